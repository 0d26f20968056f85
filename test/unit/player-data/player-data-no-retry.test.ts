/**
 * `retryDeadlineMs: 0` (a valid setting: 0..300,000, docs/DURABILITY.md "Store outages") means no
 * retries, not "answer everything unavailable": with a healthy store every call is attempted once
 * and commits, whatever time it spent in the queue (the flush delay alone outlasts a 0 ms
 * deadline). Only while the store is failing are calls past their deadline answered without an
 * attempt. A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { fillSqlitePlayerData } from '../../helpers/full-sqlite-player-data.js';

describe('player data without retries (retryDeadlineMs 0)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const open = (): SqliteStore => {
    const dir = tempDataDir('wt-pd-noretry-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    return store;
  };

  it('a healthy store takes every call once; a failing one answers deadline after one attempt', async () => {
    const store = open();
    const svc = new PlayerDataService({ store, retryDeadlineMs: 0, flushDelayMs: 5 });
    cleanup.push(() => svc.close());
    const saved = await Promise.all([svc.save('p1', 'k', 1, '1', 0), svc.save('p2', 'k', 2, '2', null)]);
    expect(saved).toEqual([
      { status: 'ok', key: 'k', value: 1, version: 1 },
      { status: 'ok', key: 'k', value: 2, version: 1 },
    ]);
    expect(await svc.load('p1', 'k')).toEqual({ status: 'ok', key: 'k', value: 1, version: 1 });
    expect(svc.stats().unavailable).toEqual({});

    // The store full: one attempt, no retry, deadline.
    await fillSqlitePlayerData(store);
    expect(await svc.save('p3', 'k', 'x'.repeat(1000), JSON.stringify('x'.repeat(1000)), 0)).toMatchObject({
      status: 'rejected',
      code: 'PD_UNAVAILABLE',
      reason: 'deadline',
    });
    const st = svc.stats();
    expect([st.storeFailures, st.retries]).toEqual([1, 0]);
  });
});
