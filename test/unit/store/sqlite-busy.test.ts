/**
 * A SQLite store whose file another connection keeps write-locked (`BEGIN IMMEDIATE`): the outage is in
 * `stats().unavailable` (reason `busy`) until a write succeeds, and meanwhile an operation waits for the
 * lock only `SQLITE_BUSY_PROBE_MS`, not the whole busy timeout (`stats().lockWaitMs`): every wait blocks
 * the event loop.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_BUSY_PROBE_MS, SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe('SqliteStore: a write lock held by another connection', () => {
  it('records the outage and waits only the probe for the lock until a write succeeds', async () => {
    const data = tempDataDir('wt-sqlite-busy-');
    dirs.push(data);
    const store = new SqliteStore({ dataDir: data.dir, busyTimeoutMs: 300 });
    await store.putWorldConfig('w1', { a: 1 });
    expect(store.stats()).toMatchObject({ unavailable: null, lockWaitMs: 300 });

    const other = new Database(join(data.dir, SQLITE_FILE_NAME));
    other.exec('BEGIN IMMEDIATE');
    const err1 = await store.putWorldConfig('w1', { a: 2 }).catch((e: unknown) => e);
    expect(err1).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'busy' } });
    const s1 = store.stats();
    expect(s1.unavailable).toMatchObject({ reason: 'busy', failures: 1 });
    expect(s1.lockWaitMs).toBe(SQLITE_BUSY_PROBE_MS);
    // A read succeeds under the lock (WAL) and does not end the outage.
    expect(await store.listWorldConfigs()).toHaveLength(1);
    await expect(store.putWorldConfig('w1', { a: 3 })).rejects.toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE' });
    expect(store.stats().unavailable).toMatchObject({ reason: 'busy', failures: 2, sinceMs: s1.unavailable!.sinceMs });
    expect(store.stats().lockWaitMs).toBe(SQLITE_BUSY_PROBE_MS);

    other.exec('ROLLBACK');
    other.close();
    await store.putWorldConfig('w1', { a: 4 });
    expect(store.stats()).toMatchObject({ unavailable: null, lockWaitMs: 300 });
    await store.close();
  });
});
