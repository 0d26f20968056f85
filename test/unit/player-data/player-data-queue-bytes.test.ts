/**
 * The player-data queue is bounded by bytes as well as by calls: values waiting for a slow store are
 * held in memory, and 10,000 calls of 64 KiB values would be ≈ 640 MB. A call that would take the
 * queued values past `maxQueuedBytes` is answered PD_UNAVAILABLE at once and changes nothing; the
 * room comes back as batches commit. A real SQLite store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('player data service: queued bytes are bounded', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a save past maxQueuedBytes is refused PD_UNAVAILABLE; once the queue drains there is room again', async () => {
    const dir = tempDataDir('wt-pdbytes-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    // A long flush delay: nothing commits until flush(), so the queue holds what was sent.
    const svc = new PlayerDataService({ store, maxQueuedBytes: 5000, flushDelayMs: 60_000 });
    cleanup.push(() => svc.close());
    const text = JSON.stringify('x'.repeat(2998)); // 3000 bytes
    const first = svc.save('t:a', 'k1', 'x'.repeat(2998), text, 0);
    const second = await svc.save('t:b', 'k1', 'x'.repeat(2998), text, 0);
    expect(second).toMatchObject({ status: 'rejected', code: 'PD_UNAVAILABLE', key: 'k1' });
    expect(svc.queued).toBe(1);
    await svc.flush();
    expect(await first).toMatchObject({ status: 'ok', version: 1 });
    const loaded = svc.load('t:b', 'k1'); // nothing was stored for the refused save
    const third = svc.save('t:b', 'k1', 'x'.repeat(2998), text, 0);
    await svc.flush();
    expect(await loaded).toMatchObject({ status: 'ok', value: undefined, version: 0 });
    expect(await third).toMatchObject({ status: 'ok', version: 1 });
  });
});
