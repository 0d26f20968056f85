/**
 * The player-data service through real store outages: calls accepted into the queue survive a
 * transient outage (the same batch retried with jittered backoff until the store is back), each
 * write applied exactly once with its version check; past the deadline or the queue bound the
 * caller gets PD_UNAVAILABLE with the reason, and nothing of a refused call is stored.
 *
 * Faults, all real: SQLite full (its file capped with `max_page_count` and filled, so the engine
 * itself answers SQLITE_FULL: the disk-full path without root; a real full disk on a tmpfs is
 * player-data-disk-full.test.ts); PostgreSQL, the test's own
 * server SIGKILLed and restarted (crash recovery) and stopped and restarted, under a steady load of
 * conditional saves; and a COMMIT whose answer is lost (the connection cut right after the COMMIT
 * was sent, through a proxy): its retry finds the batch's record instead of applying it twice, and
 * answers the batch's loads as they were in it (not its own later save, nor another instance's).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PLAYER_DATA_LIMITS, PlayerDataService, type PlayerDataResult } from '../../../src/player-data/player-data-service.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { startCommitCutProxy } from '../../helpers/commit-cut-proxy.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { fillSqlitePlayerData } from '../../helpers/full-sqlite-player-data.js';
import { putOp } from '../../helpers/player-data-ops.js';
import { startPostgres } from '../../helpers/postgres-server.js';

const pgServer = await startPostgres();
if ('skip' in pgServer) console.warn(`[player data outage] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
};
const save = (svc: PlayerDataService, p: string, key: string, value: unknown, version: number | null): Promise<PlayerDataResult> =>
  svc.save(p, key, value, JSON.stringify(value), version);

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const sqlite = (): SqliteStore => {
  const dir = tempDataDir('wt-pdout-');
  cleanup.push(() => dir.remove());
  const store = new SqliteStore({ dataDir: dir.dir });
  cleanup.push(() => store.close());
  return store;
};

const service = (store: Store, o: Partial<ConstructorParameters<typeof PlayerDataService>[0]> = {}): PlayerDataService => {
  const svc = new PlayerDataService({ store, retryFirstMs: 5, retryMaxMs: 50, ...o });
  cleanup.push(() => svc.close());
  return svc;
};

describe('player data through a SQLite store that is full', () => {
  it('writes queued during the outage commit once it heals, in order, each once, with their version checks', async () => {
    const store = sqlite();
    const svc = service(store);
    expect(await save(svc, 'p1', 'n', 0, 0)).toMatchObject({ status: 'ok', version: 1 });
    await fillSqlitePlayerData(store);
    // A chain of conditional saves (each on the version the previous one makes), a last-writer-wins
    // save, and a stale one: all accepted into the queue while every commit fails.
    const chain = Array.from({ length: 10 }, (_, i) => save(svc, 'p1', 'n', i + 1, i + 1));
    const any = save(svc, 'p2', 'x', 'y'.repeat(500), null);
    const stale = save(svc, 'p1', 'n', 99, 1);
    await until(() => svc.stats().retries >= 3, 'retries');
    expect(svc.stats().retrying).toBeGreaterThan(0);
    expect(store.stats().unavailableErrors).toBeGreaterThanOrEqual(3);
    store.setMaxPageCount(1_000_000_000);
    expect((await Promise.all(chain)).map((r) => (r.status === 'ok' ? r.version : r.code))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await any).toMatchObject({ status: 'ok', version: 1 });
    expect(await stale).toMatchObject({ status: 'rejected', code: 'PD_VERSION_STALE', version: 11 });
    expect(await svc.load('p1', 'n')).toMatchObject({ value: 10, version: 11 });
    expect(await svc.load('p2', 'x')).toMatchObject({ version: 1 });
    const st = svc.stats();
    expect(st.recoveredBatches).toBeGreaterThanOrEqual(1);
    expect(st.retrying).toBe(0);
    expect(st.storeFailures).toBeGreaterThanOrEqual(st.retries);
    expect(st.longestOutageMs).toBeGreaterThan(0);
    expect(st.unavailable).toEqual({});
  });

  it('an outage longer than the deadline answers PD_UNAVAILABLE (deadline); later calls past the bound: queue-full; nothing stored', async () => {
    const store = sqlite();
    const events: Array<Record<string, unknown>> = [];
    const svc = service(store, { retryDeadlineMs: 300, maxQueued: 5, onOutage: (e) => events.push({ ...e }) });
    await fillSqlitePlayerData(store);
    const t0 = Date.now();
    const queued = Array.from({ length: 5 }, (_, i) => save(svc, `p${i}`, 'k', i, 0));
    const over = await save(svc, 'p9', 'k', 9, 0); // the queue holds 5 calls: refused at once
    expect(over).toEqual({ status: 'rejected', key: 'k', code: 'PD_UNAVAILABLE', reason: 'queue-full' });
    const answers = await Promise.all(queued);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    for (const r of answers) expect(r).toMatchObject({ status: 'rejected', code: 'PD_UNAVAILABLE', reason: 'deadline' });
    expect(svc.stats().unavailable).toEqual({ 'queue-full': 1, deadline: 5 });
    expect(events.map((e) => e.state)).toEqual(['down']); // the outage goes on after the calls gave up
    store.setMaxPageCount(1_000_000_000);
    for (let i = 0; i < 5; i++) expect(await svc.load(`p${i}`, 'k')).toMatchObject({ status: 'ok', version: 0 });
    expect(events[1]).toMatchObject({ state: 'up', expired: 5 }); // one pair per outage
  });

  it('close during an outage retries at most closeGraceMs more, then answers the rest without further attempts', async () => {
    const store = sqlite();
    const svc = service(store, { closeGraceMs: 100, maxBatch: 2 });
    await fillSqlitePlayerData(store);
    const pending = Array.from({ length: 6 }, (_, i) => save(svc, `p${i}`, 'k', 1, 0)); // 3 batches
    await until(() => svc.stats().retries >= 1, 'a retry');
    const t0 = Date.now();
    await svc.close();
    expect(Date.now() - t0).toBeLessThan(10_000); // not the 30 s deadline
    for (const r of await Promise.all(pending)) expect(r).toMatchObject({ code: 'PD_UNAVAILABLE', reason: 'deadline' });
    // Only the first batch was attempted: the store still down past the grace, the others are answered at once.
    const st = svc.stats();
    expect(st.storeFailures).toBe(st.retries + 1);
    expect(await save(svc, 'p1', 'k', 1, 0)).toMatchObject({ code: 'PD_UNAVAILABLE', reason: 'closed' });
  });

  it('bad retry options are refused with every problem named', () => {
    expect(() => new PlayerDataService({ store: {} as Store, retryDeadlineMs: -1, retryFirstMs: 100, retryMaxMs: 10 })).toThrow(
      /retryDeadlineMs must be a number of ms in 0\.\.300000/,
    );
    expect(() => new PlayerDataService({ store: {} as Store, retryFirstMs: 100, retryMaxMs: 10 })).toThrow(
      /retryMaxMs must be >= retryFirstMs/,
    );
  });
});

describe.skipIf('skip' in pgServer)('player data through a PostgreSQL server that crashes and stops', () => {
  const pgs = pgServer as Exclude<typeof pgServer, { skip: string }>;

  it('a steady load of conditional saves rides through a SIGKILL and a stop of the server: every save ok, each applied once', async () => {
    const store = await PostgresStore.open({ url: pgs.url, connectTimeoutMs: 300 });
    cleanup.push(() => store.close());
    const svc = service(store, { retryDeadlineMs: 30_000, retryMaxMs: 200 });
    const players = ['a', 'b', 'c', 'd'].map((p) => `load-${p}`);
    const acked = new Map<string, number>(players.map((p) => [p, 0]));
    const failures: PlayerDataResult[] = [];
    let running = true;
    const writer = async (p: string) => {
      for (let v = 0; running; v++) {
        const r = await save(svc, p, 'counter', v + 1, v); // value = version after the save
        if (r.status !== 'ok' || r.version !== v + 1) {
          failures.push(r);
          return;
        }
        acked.set(p, v + 1);
      }
    };
    const writers = players.map(writer);
    const total = () => [...acked.values()].reduce((a, b) => a + b, 0);
    await until(() => total() >= 40, 'saves before the crash');
    await pgs.crash(); // SIGKILL of the postmaster: connections die mid-query
    const atCrash = total();
    await sleep(300);
    await pgs.start(); // crash recovery
    await until(() => total() >= atCrash + 40, 'saves after the crash', 20_000);
    await pgs.stop(); // fast shutdown: sessions terminated
    const atStop = total();
    await sleep(300);
    await pgs.start();
    await until(() => total() >= atStop + 40, 'saves after the stop', 20_000);
    running = false;
    await Promise.all(writers);
    expect(failures).toEqual([]);
    const st = svc.stats();
    expect(st.retries).toBeGreaterThan(0);
    expect(st.recoveredBatches).toBeGreaterThanOrEqual(2);
    expect(st.unavailable).toEqual({});
    // Each player's stored counter is the last acknowledged one, and its version equals its value: no save applied twice or lost.
    for (const p of players)
      expect(await svc.load(p, 'counter')).toMatchObject({ status: 'ok', value: acked.get(p), version: acked.get(p) });
  }, 60_000);

  it('a COMMIT whose answer is lost: the retry is answered from the batch record, nothing applied twice', async () => {
    const proxy = await startCommitCutProxy(pgs.port);
    cleanup.push(() => proxy.close());
    const url = pgs.url.replace(`:${pgs.port}/`, `:${proxy.port}/`);
    const store = await PostgresStore.open({ url, connectTimeoutMs: 300 });
    cleanup.push(() => store.close());
    const svc = service(store);
    expect(await save(svc, 'amb', 'k', 'v1', 0)).toMatchObject({ status: 'ok', version: 1 });
    proxy.arm();
    const [cond, any] = await Promise.all([save(svc, 'amb', 'k', 'v2', 1), save(svc, 'amb', 'other', 'w', null)]);
    expect(proxy.cuts).toBe(1);
    // Without the record the conditional save's retry would be refused as stale (its own write) and the 'any' save applied twice.
    expect(cond).toMatchObject({ status: 'ok', version: 2 });
    expect(any).toMatchObject({ status: 'ok', version: 1 });
    expect(store.stats().playerDataReplayed).toBe(1);
    expect(svc.stats().retries).toBeGreaterThanOrEqual(1);
    expect(await svc.load('amb', 'k')).toMatchObject({ value: 'v2', version: 2 });
    expect(await svc.load('amb', 'other')).toMatchObject({ value: 'w', version: 1 });
  });

  it('a COMMIT whose answer is lost: the retry answers each load as it was in the batch, not the writes after it', async () => {
    const proxy = await startCommitCutProxy(pgs.port);
    cleanup.push(() => proxy.close());
    const store = await PostgresStore.open({ url: pgs.url.replace(`:${pgs.port}/`, `:${proxy.port}/`), connectTimeoutMs: 300 });
    cleanup.push(() => store.close());
    const other = await PostgresStore.open({ url: pgs.url }); // another instance on the same database, not through the proxy
    cleanup.push(() => other.close());
    const svc = service(store);
    expect(await save(svc, 'rd', 'k', 'v1', 0)).toMatchObject({ status: 'ok', version: 1 });
    proxy.arm({ hold: true });
    // One batch: a load, a save on the version it read, a load after it.
    const answers = Promise.all([svc.load('rd', 'k'), save(svc, 'rd', 'k', 'v2', 1), svc.load('rd', 'k')]);
    await until(() => proxy.cuts === 1 && svc.stats().retries >= 1, 'the cut COMMIT and a failed retry');
    // The other instance saves on the version the batch left (it waits for the batch's COMMIT to land: the player's lock).
    expect(await other.applyPlayerData([putOp('k', 'v3', 2, 'rd')], PLAYER_DATA_LIMITS)).toEqual([{ status: 'ok', version: 3 }]);
    proxy.release();
    const [before, saved, after] = await answers;
    expect(store.stats().playerDataReplayed).toBe(1);
    expect(before).toMatchObject({ status: 'ok', value: 'v1', version: 1 });
    expect(saved).toMatchObject({ status: 'ok', version: 2 });
    expect(after).toMatchObject({ status: 'ok', value: 'v2', version: 2 });
    expect(await svc.load('rd', 'k')).toMatchObject({ value: 'v3', version: 3 });
  });
});
