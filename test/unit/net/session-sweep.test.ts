/**
 * The paced session sweep (src/net/session-sweep.ts; docs/DURABILITY.md "Expired records (the session
 * sweep)") over a real SQLite file and a real PostgreSQL: transactions sized by the time budget of the
 * controllers' mode — bigger while the store is cheap and the worlds are `normal` (a large backlog
 * drains in fewer turns), smaller when `degraded`, none in an `emergency` (the pass is deferred) — and
 * only expired records are ever deleted, never a live or a parked one.
 */
import type { ControllerMode } from '../../../src/controller/controller.js';
import { describe, expect, it } from 'vitest';
import { DurableSessions } from '../../../src/net/durable-sessions.js';
import {
  nextSweepLimit,
  SESSION_SWEEP_MAX_CHUNK,
  SESSION_SWEEP_MIN_CHUNK,
  SWEEP_BUDGETS,
  SWEEP_SLACK_MARGIN_MS,
} from '../../../src/net/session-sweep.js';
import { SESSION_PRUNE_CHUNK } from '../../../src/store/bounded-prune.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
import { freshStoreEach, sqliteAndPostgres, type StoreHandle } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('session sweep');

const NOW = 50_000_000;

/** `expired` records (e<i>: the i-th oldest expiry), `kept` live (24 h) and `kept` parked (grace) ones. */
const seed = async (store: Store, expired: number, kept: number): Promise<void> => {
  const ops: SessionWrite[] = [];
  const rec = (token: string, expiresAt: number, live: boolean): SessionWrite => ({
    kind: 'session',
    record: { token, playerId: `x:${token}`, worldId: 'w', expiresAt, data: { live } },
  });
  for (let i = 0; i < expired; i++) ops.push(rec(`e${String(i).padStart(6, '0')}`, NOW - expired + i, false));
  // Parked: expiring a millisecond and more after now (the newest expired record expired a millisecond before).
  for (let i = 0; i < kept; i++) ops.push(rec(`live${i}`, NOW + 86_400_000, true), rec(`park${i}`, NOW + 1 + i, false));
  await store.writeSessions(ops);
};

const keptTokens = (kept: number): string[] =>
  Array.from({ length: kept }, (_, i) => [`live${i}`, `park${i}`])
    .flat()
    .sort();

const tokens = async (h: StoreHandle): Promise<string[]> =>
  (await h.query('SELECT token FROM sessions')).map((r) => String(r.token)).sort();

/**
 * The store with each sweep transaction's limit noted; `costPerRowMs`: each call also holds the
 * event loop that long per row asked for (a slow store, or a loaded machine).
 */
const spied = (store: Store, limits: number[], costPerRowMs = 0): Store => {
  const spy: Store = Object.create(store) as Store;
  spy.pruneSessions = (now, limit) => {
    limits.push(limit);
    const until = performance.now() + costPerRowMs * limit;
    while (performance.now() < until);
    return store.pruneSessions(now, limit);
  };
  return spy;
};

const sweeper = (store: Store, mode: () => ControllerMode, slackMs = () => Number.POSITIVE_INFINITY): DurableSessions =>
  new DurableSessions(
    store,
    () => 60,
    (err) => {
      throw err;
    },
    () => NOW,
    { mode, slackMs },
  );

describe('the next transaction size', () => {
  it('fits the last one’s cost per row in the mode’s budget, at most doubling, within the bounds', () => {
    const full = (limit: number, holdMs: number, wallMs: number) =>
      nextSweepLimit(limit, { deleted: limit, holdMs, wallMs }, SWEEP_BUDGETS.normal);
    // Cheap (1 ms for 2,000 rows): doubles — the catch-up of a large backlog.
    expect(full(2000, 1, 1)).toBe(4000);
    expect(full(12_000, 1, 1)).toBe(SESSION_SWEEP_MAX_CHUNK);
    // 20 ms for 2,000 rows held the loop: 8 ms worth (normal), 3 ms worth (degraded).
    expect(full(2000, 20, 20)).toBe(800);
    expect(nextSweepLimit(2000, { deleted: 2000, holdMs: 20, wallMs: 20 }, SWEEP_BUDGETS.degraded)).toBe(300);
    // PostgreSQL: nothing held, 40 ms round trip for 2,000 rows: the wall budget (50 ms) bounds it.
    expect(full(2000, 0, 40)).toBe(2500);
    // Never below the floor, however slow.
    expect(full(2000, 500, 500)).toBe(SESSION_SWEEP_MIN_CHUNK);
  });
});

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`paced session sweep: ${name}`, () => {
    const fresh = freshStoreEach(factory);

    it('a large backlog goes in bounded transactions, the oldest first, never a live or parked record', async () => {
      const { store, handle } = fresh;
      await seed(store, 30_000, 200);
      const limits: number[] = [];
      const ds = sweeper(spied(store, limits), () => 'normal');
      ds.prune();
      await ds.settled();
      expect(ds.expiredSessionsSwept).toBe(30_000);
      expect(await tokens(handle)).toEqual(keptTokens(200));
      expect(limits[0]).toBe(SESSION_PRUNE_CHUNK);
      for (const l of limits) expect(l).toBeGreaterThanOrEqual(SESSION_SWEEP_MIN_CHUNK);
      for (const l of limits) expect(l).toBeLessThanOrEqual(SESSION_SWEEP_MAX_CHUNK);
      // At most twice the largest before it.
      for (let i = 1; i < limits.length; i++) expect(limits[i]).toBeLessThanOrEqual(2 * Math.max(...limits.slice(0, i)));
    });

    it('degraded worlds: after the first, each transaction asks for what fits 3 ms (a slow store: 0.01 ms a row)', async () => {
      const { store, handle } = fresh;
      await seed(store, 6000, 20);
      const slow: number[] = [];
      const ds = sweeper(spied(store, slow, 0.01), () => 'degraded');
      ds.prune();
      await ds.settled();
      expect(await tokens(handle)).toEqual(keptTokens(20));
      // Before: 2,000 every time. Now 2,000 (20 ms), then at most 3 ms worth: 300 rows.
      expect(slow[0]).toBe(SESSION_PRUNE_CHUNK);
      expect(slow.length).toBeGreaterThan(10);
      for (const l of slow.slice(1)) expect(l).toBeLessThanOrEqual(300);
      for (const l of slow.slice(1)) expect(l).toBeGreaterThanOrEqual(SESSION_SWEEP_MIN_CHUNK);
    });

    it('the next step due within the margin: after the first, each transaction asks for the floor only', async () => {
      const { store, handle } = fresh;
      await seed(store, 4000, 10);
      const limits: number[] = [];
      const ds = sweeper(
        spied(store, limits),
        () => 'normal',
        () => SWEEP_SLACK_MARGIN_MS / 2,
      );
      ds.prune();
      await ds.settled();
      expect(await tokens(handle)).toEqual(keptTokens(10));
      // Before: 2,000 twice. Now 2,000, then 250 (SESSION_SWEEP_MIN_CHUNK) a turn: 2,000 more in 8 full and a short one.
      expect(limits).toEqual([SESSION_PRUNE_CHUNK, ...Array.from({ length: 9 }, () => SESSION_SWEEP_MIN_CHUNK)]);
    });

    it('an emergency defers the pass (nothing deleted, counted); back to normal, the next pass clears the backlog', async () => {
      const { store, handle } = fresh;
      await seed(store, 5000, 10);
      let mode: ControllerMode = 'emergency';
      const limits: number[] = [];
      const ds = sweeper(spied(store, limits), () => mode);
      ds.prune();
      await ds.settled();
      expect(limits).toEqual([]);
      expect(ds.sessionSweepsDeferred).toBe(1);
      expect((await tokens(handle)).length).toBe(5000 + 20);
      // Emergency mid-pass: the pass stops after the transaction under way; what is left is the newest part.
      mode = 'normal';
      const mid = sweeper(
        Object.assign(Object.create(store) as Store, {
          pruneSessions: (now: number, limit: number) => {
            mode = 'emergency';
            return store.pruneSessions(now, limit);
          },
        }),
        () => mode,
      );
      mid.prune();
      await mid.settled();
      expect(mid.expiredSessionsSwept).toBe(SESSION_PRUNE_CHUNK);
      const left = (await tokens(handle)).filter((t) => t.startsWith('e'));
      expect(left[0]).toBe(`e${String(SESSION_PRUNE_CHUNK).padStart(6, '0')}`);
      mode = 'normal';
      ds.prune();
      await ds.settled();
      expect(await tokens(handle)).toEqual(keptTokens(10));
      expect(ds.expiredSessionsSwept).toBe(5000 - SESSION_PRUNE_CHUNK);
    });
  });
}
