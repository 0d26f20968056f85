/**
 * The player-data queue is bounded by bytes as well as by calls: values waiting for a slow store are
 * held in memory, and 10,000 calls of 64 KiB values would be ≈ 640 MB. A call that would take the
 * queued values past `maxQueuedBytes` is answered PD_UNAVAILABLE at once and changes nothing; the
 * room comes back as batches commit. A batch that writes is recorded with its answers, loads
 * included: it stops once its loads' answers pass `maxBatchBytes`, so the record stays bounded, and
 * the calls after it run in the next batch, in call order. A real SQLite store.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
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

  it('a batch that writes stops after its loads pass maxBatchBytes: its record stays bounded, the rest commit next, in order', async () => {
    const dir = tempDataDir('wt-pdreadbytes-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const svc = new PlayerDataService({ store, maxBatchBytes: 2048, flushDelayMs: 60_000 });
    cleanup.push(() => svc.close());
    const big = (c: string) => c.repeat(1000);
    for (const k of ['a', 'b', 'c']) svc.save('t:p', k, big(k), JSON.stringify(big(k)), 0);
    await svc.flush();
    const before = svc.stats().batches;
    // One queue: a save, three loads of ~1 KB answers, a save on what the first load read, a load after it.
    const calls = [
      svc.save('t:p', 'n', 1, '1', 0),
      svc.load('t:p', 'a'),
      svc.load('t:p', 'b'),
      svc.load('t:p', 'c'),
      svc.save('t:p', 'a', 'A', '"A"', 1),
      svc.load('t:p', 'a'),
    ];
    await svc.flush();
    expect((await Promise.all(calls)).map((r) => (r.status === 'ok' ? [r.value, r.version] : r.code))).toEqual([
      [1, 1],
      [big('a'), 1],
      [big('b'), 1],
      [big('c'), 1],
      ['A', 2],
      ['A', 2],
    ]);
    // The first batch stopped after the second load (≈ 2 KB of answers); the rest were the next one.
    expect(svc.stats().batches - before).toBe(2);
    const db = new Database(join(dir.dir, SQLITE_FILE_NAME), { readonly: true });
    cleanup.push(() => {
      db.close();
    });
    const rows = db.prepare('SELECT length(results) AS n FROM player_data_batches').all() as Array<{ n: number }>;
    expect(rows.length).toBe(4); // two for the setup (its saves pass 2048 bytes), two for the queue above
    for (const r of rows) expect(r.n).toBeLessThan(2048 + 1100);
  });
});
