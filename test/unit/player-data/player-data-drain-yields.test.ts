/**
 * The player-data service on a real SQLite store: better-sqlite3 commits synchronously, so a full
 * queue (10,000 calls, ~157 batches) drained batch after batch through resolved promises never
 * gave the event loop a turn — sockets, timers and the world's tick waited for the whole drain.
 * Asserted: between batches the drain yields to the event loop (a macrotask scheduled after the
 * calls runs while saves are still queued), and every save still commits, once, in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('player data service: a long queue does not hold the event loop', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('10,000 queued saves: the loop gets a turn between batches; all commit', async () => {
    const dir = tempDataDir('wt-pdyield-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const svc = new PlayerDataService({ store });
    cleanup.push(() => svc.close());
    let answered = 0;
    const all: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10_000; i++)
      all.push(
        svc.save(`p${i % 100}`, `k${i % 50}`, i, String(i), null).then((r) => {
          answered++;
          return r;
        }),
      );
    let answeredAtTurn = -1;
    setImmediate(() => (answeredAtTurn = answered));
    const results = await Promise.all(all);
    expect(answeredAtTurn).toBeGreaterThanOrEqual(0);
    expect(answeredAtTurn).toBeLessThan(10_000);
    expect(results.every((r) => (r as { status: string }).status === 'ok')).toBe(true);
    expect(svc.stats().batches).toBeGreaterThan(100);
    // The last write of each (player, key) won: value of the highest i.
    const last = await svc.load('p99', 'k49');
    expect(last).toMatchObject({ status: 'ok', value: 9999 });
  });
});
