/**
 * The two stores answer player-data batches alike, operation for operation: seeded random batches of
 * loads, saves (conditional on a right, wrong or no version), deletes, listings and forgets over a few
 * players and keys, under limits small enough to refuse often (bytes, live keys, tombstones), some
 * recorded with an id and a read budget small enough to stop them, some retried — run on SQLite and on
 * a real PostgreSQL started here, each answer compared, and every player's rows at the end. PostgreSQL
 * runs a run of key operations in two statements (src/store/postgres-player-data-keys.ts), and a
 * listing or a forget on its own between such runs; SQLite one operation at a time, always.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerDataApplyOptions, PlayerDataLimits, PlayerDataOp, PlayerDataOpResult, Store } from '../../../src/store/types.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('player data equivalence');
const sqlite = factories.find((f) => f.name === 'sqlite')?.factory;
const postgres = factories.find((f) => f.name === 'postgres')?.factory;

const LIMITS: PlayerDataLimits = { maxBytesPerPlayer: 120, maxKeysPerPlayer: 3, maxDeletedKeysPerPlayer: 2 };
const PLAYERS = ['p1', 'p2', 'p3'];
const KEYS = ['a', 'b', 'c', 'd', 'e'];

/** mulberry32: a small seeded generator, so a failure replays. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const randomOp = (r: () => number): PlayerDataOp => {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const playerId = pick(PLAYERS);
  const key = pick(KEYS);
  const expectedVersion = r() < 0.25 ? null : Math.floor(r() * 5);
  const x = r();
  if (x < 0.3) return { op: 'get', playerId, key };
  if (x < 0.75) return { op: 'put', playerId, key, value: JSON.stringify({ s: 'é'.repeat(Math.floor(r() * 30)) }), expectedVersion };
  if (x < 0.92) return { op: 'delete', playerId, key, expectedVersion };
  if (x < 0.97) return { op: 'list', playerId };
  return { op: 'forget', playerId };
};

/** Answers without their wall-clock times (the two stores write at different instants). */
const timeless = (rs: readonly PlayerDataOpResult[]): unknown =>
  rs.map((x) => (x.status === 'listed' ? { ...x, keys: x.keys.map(({ updatedAt: _, ...k }) => k) } : x));

describe.skipIf(!sqlite || !postgres)('player data: SQLite and PostgreSQL answer alike', () => {
  const handles: StoreHandle[] = [];
  let lite: Store;
  let pg: Store;
  const open = async (f: typeof sqlite): Promise<Store> => {
    const h = await f!.create();
    handles.push(h);
    return h.open();
  };
  beforeAll(async () => {
    lite = await open(sqlite);
    pg = await open(postgres);
  });
  afterAll(async () => {
    for (const s of [lite, pg]) await s?.close();
    for (const h of handles) await h.dispose();
  });

  it('seeded random batches: the same answers, batch for batch, and the same rows at the end', async () => {
    const r = rng(20261204);
    const counts = { ok: 0, stale: 0, quota: 0, stopped: 0, replayed: 0, keyOnly: 0, mixed: 0, mixedStopped: 0 };
    for (let b = 0; b < 160; b++) {
      const ops = Array.from({ length: 1 + Math.floor(r() * 12) }, () => randomOp(r));
      const options: PlayerDataApplyOptions | undefined =
        r() < 0.5 ? { batchId: `b${b}`, maxReadBytes: 20 + Math.floor(r() * 200) } : undefined;
      const [a, p] = [await lite.applyPlayerData(ops, LIMITS, options), await pg.applyPlayerData(ops, LIMITS, options)];
      expect(timeless(p), `batch ${b}: ${JSON.stringify(ops)}`).toEqual(timeless(a));
      if (options && r() < 0.3) {
        const again = { ...options, retry: true };
        const [ra, rp] = [await lite.applyPlayerData(ops, LIMITS, again), await pg.applyPlayerData(ops, LIMITS, again)];
        expect(timeless(rp), `retry of batch ${b}`).toEqual(timeless(ra));
        counts.replayed++;
      }
      for (const x of a) if (x.status in counts) counts[x.status as 'ok' | 'stale' | 'quota']++;
      if (a.length < ops.length) counts.stopped++;
      const other = ops.findIndex((o) => o.op === 'list' || o.op === 'forget');
      if (other < 0) counts.keyOnly++;
      // Key operations before and after a listing or a forget: two runs of the key path in one batch.
      else if (other > 0 && ops.slice(other + 1).some((o) => o.op !== 'list' && o.op !== 'forget')) {
        counts.mixed++;
        if (a.length < ops.length) counts.mixedStopped++;
      }
    }
    for (const playerId of PLAYERS) {
      const list = [{ op: 'list' as const, playerId }];
      expect(timeless(await pg.applyPlayerData(list, LIMITS)), playerId).toEqual(timeless(await lite.applyPlayerData(list, LIMITS)));
    }
    // The run reached every case it is meant to compare.
    expect(counts.ok).toBeGreaterThan(50);
    expect(counts.stale).toBeGreaterThan(20);
    expect(counts.quota).toBeGreaterThan(5);
    expect(counts.stopped).toBeGreaterThan(3);
    expect(counts.replayed).toBeGreaterThan(5);
    expect(counts.keyOnly).toBeGreaterThan(50);
    expect(counts.mixed).toBeGreaterThan(10);
    expect(counts.mixedStopped).toBeGreaterThan(0);
  });
});
