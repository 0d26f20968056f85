/**
 * A forget that lands between a batch's COMMIT and its retry, on a real PostgreSQL started here:
 * the COMMIT's answer is lost (a proxy cuts the connection right after forwarding it, then refuses
 * new connections, `test/helpers/commit-cut-proxy.ts`), another instance forgets the player, then
 * the retry goes through. The retry is still exactly once — answered from the batch's record, the
 * save not applied again — and the record no longer holds the player's value: the batch's load is
 * answered what a load right after the forget reads (no value, the tombstone's version). And two
 * forgets of players whose values share a record, on two connections at once: neither writes the
 * other's erased value back.
 */
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PLAYER_DATA_LIMITS, PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { postgresPlayerData } from '../../../src/store/postgres-player-data.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { getOp, putOp } from '../../helpers/player-data-ops.js';
import { startCommitCutProxy } from '../../helpers/commit-cut-proxy.js';
import { startPostgres } from '../../helpers/postgres-server.js';

const pgServer = await startPostgres();
if ('skip' in pgServer) console.warn(`[player data forget retry] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const until = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.skipIf('skip' in pgServer)('a forget between a COMMIT whose answer was lost and the retry', () => {
  const pgs = pgServer as Exclude<typeof pgServer, { skip: string }>;

  /** Every batch record's text, read from the table directly. */
  const records = async (): Promise<string> => {
    const c = new pg.Client({ connectionString: pgs.url });
    await c.connect();
    try {
      return (await c.query('SELECT results FROM player_data_batches')).rows.map((r) => String(r.results)).join('\n');
    } finally {
      await c.end();
    }
  };

  it('the retry is answered once from the record, its load as forgotten; no record holds the value', async () => {
    const proxy = await startCommitCutProxy(pgs.port);
    cleanup.push(() => proxy.close());
    const store = await PostgresStore.open({ url: pgs.url.replace(`:${pgs.port}/`, `:${proxy.port}/`), connectTimeoutMs: 300 });
    cleanup.push(() => store.close());
    const other = await PostgresStore.open({ url: pgs.url }); // the operator's instance, not through the proxy
    cleanup.push(() => other.close());
    const svc = new PlayerDataService({ store, retryFirstMs: 5, retryMaxMs: 50 });
    cleanup.push(() => svc.close());
    expect(await svc.save('fg', 'k', 'SECRET-V1', '"SECRET-V1"', 0)).toMatchObject({ status: 'ok', version: 1 });

    proxy.arm({ hold: true });
    // One batch that writes (so it is recorded): a load of the value, a last-writer-wins save.
    const answers = Promise.all([svc.load('fg', 'k'), svc.save('fg', 'note', 'n', '"n"', null)]);
    await until(() => proxy.cuts === 1 && svc.stats().retries >= 1, 'the cut COMMIT and a failed retry');
    // The forget waits for the batch's COMMIT to land (the player's lock), then erases the value from its record.
    expect(await other.applyPlayerData([{ op: 'forget', playerId: 'fg' }], PLAYER_DATA_LIMITS)).toEqual([
      {
        status: 'forgotten',
        keys: [
          { key: 'k', version: 2 },
          { key: 'note', version: 2 },
        ],
      },
    ]);
    expect(await records()).not.toContain('SECRET');

    proxy.release();
    const [loaded, saved] = await answers;
    expect(store.stats().playerDataReplayed).toBe(1);
    // The load: no value, the forget's tombstone version (as a load after the forget); not 'SECRET-V1'.
    expect(loaded).toEqual({ status: 'ok', key: 'k', value: undefined, version: 2 });
    // The save: its own write's answer, not applied again (again, 'any' would have re-created the value at version 3).
    expect(saved).toMatchObject({ status: 'ok', key: 'note', version: 1 });
    expect(await svc.load('fg', 'note')).toEqual({ status: 'ok', key: 'note', value: undefined, version: 2 });
    expect(await records()).not.toContain('SECRET');
  });

  it("two forgets at once of players loaded in the same record: neither writes the other's value back", async () => {
    const store = await PostgresStore.open({ url: pgs.url });
    cleanup.push(() => store.close());
    await store.applyPlayerData([putOp('k', 'PA-SECRET', 0, 'pa'), putOp('k', 'PB-SECRET', 0, 'pb')], PLAYER_DATA_LIMITS);
    const shared = [getOp('k', 'pa'), getOp('k', 'pb'), putOp('w', 1, null, 'pc')];
    await store.applyPlayerData(shared, PLAYER_DATA_LIMITS, { batchId: 'shared' });
    expect(await records()).toContain('PA-SECRET');
    // Forget pa in a transaction held open, forget pb through the store meanwhile, then commit the first.
    const pool = new pg.Pool({ connectionString: pgs.url, max: 1 });
    pool.on('error', () => undefined); // an idle client's error (its database dropped at the end) is emitted on the pool
    cleanup.push(() => pool.end());
    const a = await pool.connect();
    cleanup.push(() => a.release());
    await a.query('BEGIN');
    await postgresPlayerData(a, [{ op: 'forget', playerId: 'pa' }], PLAYER_DATA_LIMITS);
    const second = store.applyPlayerData([{ op: 'forget', playerId: 'pb' }], PLAYER_DATA_LIMITS);
    const probe = new pg.Client({ connectionString: pgs.url });
    await probe.connect();
    cleanup.push(() => probe.end());
    const waiting = async () => Number((await probe.query('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')).rows[0].n);
    const end = Date.now() + 10_000;
    while ((await waiting()) === 0) if (Date.now() > end) throw new Error('the second forget never waited for the first');
    await a.query('COMMIT');
    expect(await second).toEqual([{ status: 'forgotten', keys: [{ key: 'k', version: 2 }] }]);
    const text = await records();
    expect(text).not.toContain('PA-SECRET');
    expect(text).not.toContain('PB-SECRET');
    // A retry of the shared batch: both loads answered as forgotten, its save replayed (not applied again).
    expect(await store.applyPlayerData(shared, PLAYER_DATA_LIMITS, { batchId: 'shared', retry: true })).toEqual([
      { status: 'ok', version: 2 },
      { status: 'ok', version: 2 },
      { status: 'ok', version: 1 },
    ]);
    expect(store.stats().playerDataReplayed).toBe(1);
  });
});
