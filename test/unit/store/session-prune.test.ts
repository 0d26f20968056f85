/**
 * Expired session records are pruned in bounded transactions (docs/DURABILITY.md "Players and
 * sessions", the session sweep), over a real SQLite file and a real PostgreSQL: `Store.pruneSessions`
 * deletes at most `limit` expired records, oldest expiry first, and never a live one; the durable
 * sessions' sweep runs such transactions (sized by its pace: test/unit/net/session-sweep.test.ts) until
 * one comes back short, a turn of the event loop between two
 * (on SQLite one unbounded DELETE held the event loop — every world's step, every socket — for its
 * whole length). Bad arguments are refused with a code and delete nothing.
 *
 * SQLite's INTEGER columns take any value: a session whose `expires_at` a hand edit or a damaged file made text
 * reads as expired (its resume refused, its row pruned after the expired ones), and a world's fencing token
 * made text is replaced by the next fenced write's. Before, the text compared greater than every time and as
 * NaN in JavaScript: such a resume token never expired nor was pruned, and no write was refused as stale again.
 */
import { describe, expect, it } from 'vitest';
import { DurableSessions } from '../../../src/net/durable-sessions.js';
import { SESSION_PRUNE_CHUNK } from '../../../src/store/bounded-prune.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
import { codeOf } from '../../helpers/code-of.js';
import { type StoreHandle, sqliteAndPostgres, freshStoreEach } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('session prune');

const NOW = 5_000_000;

/** `expired` records expired at NOW (expiry NOW - expired + i: token e<i> has the i-th oldest) and `live` records. */
const seed = async (store: Store, expired: number, live: number): Promise<void> => {
  const ops: SessionWrite[] = [];
  const rec = (token: string, expiresAt: number): SessionWrite => ({
    kind: 'session',
    record: { token, playerId: `t:${token}`, worldId: 'w', expiresAt, data: {} },
  });
  for (let i = 0; i < expired; i++) ops.push(rec(`e${String(i).padStart(6, '0')}`, NOW - expired + i));
  for (let i = 0; i < live; i++) ops.push(rec(`live${i}`, NOW + 1 + i));
  await store.writeSessions(ops);
};

const tokens = async (h: StoreHandle): Promise<string[]> =>
  (await h.query('SELECT token FROM sessions')).map((r) => String(r.token)).sort();

/** Durable sessions over `store` (grace 60 s, the clock at NOW), collecting their reported errors, with a sweep started. */
const sweeping = (store: Store): { ds: DurableSessions; errors: unknown[] } => {
  const errors: unknown[] = [];
  const ds = new DurableSessions(
    store,
    () => 60,
    (err) => errors.push(err),
    () => NOW,
  );
  ds.prune();
  return { ds, errors };
};

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`session prune: ${name}`, () => {
    const fresh = freshStoreEach(factory);

    it('the store method deletes at most `limit` expired records, oldest first; live ones stay; bad arguments refused', async () => {
      const { store, handle } = fresh;
      await seed(store, 2007, 5);
      expect(await store.pruneSessions(NOW, 2000)).toBe(2000);
      // The 7 left are the latest expiries (e002000..e002006).
      expect(await tokens(handle)).toEqual([
        ...Array.from({ length: 7 }, (_, i) => `e${String(2000 + i).padStart(6, '0')}`),
        ...Array.from({ length: 5 }, (_, i) => `live${i}`),
      ]);
      expect(await store.pruneSessions(NOW, 2000)).toBe(7);
      expect(await store.pruneSessions(NOW, 2000)).toBe(0);
      expect(await tokens(handle)).toEqual(Array.from({ length: 5 }, (_, i) => `live${i}`));
      for (const [now, limit] of [
        [Number.NaN, 10],
        [Number.POSITIVE_INFINITY, 10],
        [NOW + 10, 0],
        [NOW + 10, 1.5],
        [NOW + 10, -1],
        [NOW + 10, 100_001],
      ] as const)
        expect(await codeOf(store.pruneSessions(now, limit))).toBe('WT_ERR_OPTION_INVALID');
      expect((await tokens(handle)).length).toBe(5);
    });

    it('the sweep clears every expired record over several transactions, a turn of the event loop between two', async () => {
      const { store, handle } = fresh;
      await seed(store, 2 * SESSION_PRUNE_CHUNK + 7, 3);
      // Each transaction noted with its limit and whether a turn of the event loop passed since the one before.
      const calls: Array<{ limit: number; yielded: boolean }> = [];
      let turned = true;
      const spy: Store = Object.create(store) as Store;
      spy.pruneSessions = (now, limit) => {
        calls.push({ limit, yielded: turned });
        turned = false;
        setImmediate(() => {
          turned = true;
        });
        return store.pruneSessions(now, limit);
      };
      const { ds, errors } = sweeping(spy);
      await ds.settled();
      expect(errors).toEqual([]);
      // The first transaction of SESSION_PRUNE_CHUNK, later ones sized by the pace (test/unit/net/session-sweep.test.ts).
      expect(calls[0]).toEqual({ limit: SESSION_PRUNE_CHUNK, yielded: true });
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(calls.every((c) => c.yielded)).toBe(true);
      expect(await tokens(handle)).toEqual(['live0', 'live1', 'live2']);
    });

    it('a resume lookup issued mid-sweep is answered between the sweep transactions, not after the last; writes stay in order', async () => {
      const { store, handle } = fresh;
      const expired = 10 * SESSION_PRUNE_CHUNK; // several transactions (sized by the pace: src/net/session-sweep.ts)
      await seed(store, expired, 3);
      let done = 0; // sweep transactions committed
      const spy: Store = Object.create(store) as Store;
      spy.pruneSessions = async (now, limit) => {
        const n = await store.pruneSessions(now, limit);
        done++;
        return n;
      };
      const { ds, errors } = sweeping(spy);
      // A hello resuming live0 right after the sweep began: its lookup and its session write.
      let doneAtAnswer = -1;
      const resumed = ds.resolve('w', 'n', '', 'live0', 0, 0).then((r) => {
        doneAtAnswer = done;
        return r;
      });
      // Writes queued mid-sweep land before the sweep's later transactions: the latest-expiring
      // expired record (deleted by the last full transaction otherwise) parked again, live1 dropped.
      const latest = `e${String(expired - 1).padStart(6, '0')}`;
      ds.park(latest, `t:${latest}`, 'w', 'p', 0, 0);
      ds.drop('live1');
      expect((await resumed).resumed).toBe(true);
      await ds.settled();
      expect(errors).toEqual([]);
      // Answered before the sweep's last transaction (before this change: after all of them).
      expect(doneAtAnswer).toBeGreaterThanOrEqual(0);
      expect(doneAtAnswer).toBeLessThan(done);
      // The re-parked record is not expired any more: left by the later transactions.
      expect(done).toBeGreaterThanOrEqual(2);
      expect(await tokens(handle)).toEqual([latest, 'live0', 'live2']);
    });

    it.skipIf(name !== 'sqlite')(
      'a session expiry or fencing token that is not an integer (a damaged file) is expired, pruned, replaced',
      async () => {
        const { store, handle } = fresh;
        await seed(store, 1, 3);
        expect(await store.fence({ worldId: 'w', token: 7 })).toBe(7);
        await handle.raw(
          "UPDATE sessions SET expires_at = 'soon' WHERE token = 'live0'; UPDATE sessions SET expires_at = x'01' WHERE token = 'live1'",
        );
        await handle.raw("UPDATE fences SET token = 'seven' WHERE world_id = 'w'");
        expect((await store.getSession('live0', NOW))?.expiresAt).toBe(0);
        const { ds, errors } = sweeping(store);
        await ds.settled();
        expect(errors).toEqual([]);
        expect(await tokens(handle)).toEqual(['live2']);
        expect(await store.currentFence('w')).toBe(0);
        expect(await store.fence({ worldId: 'w', token: 3 })).toBe(3);
        expect(await codeOf(store.fence({ worldId: 'w', token: 2 }))).toBe('WT_ERR_STORE_FENCED');
        // A resume of a damaged record (read before the sweep deletes it) is refused as expired.
        await seed(store, 0, 1);
        await handle.raw("UPDATE sessions SET expires_at = 'soon' WHERE token = 'live0'");
        const again = new DurableSessions(
          store,
          () => 60,
          (err) => errors.push(err),
          () => NOW,
        );
        const r = await again.resolve('w', 'n', '', 'live0', 0, 0);
        expect([r.resumed, r.refused]).toEqual([false, 'resume token expired']);
      },
    );
  });
}
