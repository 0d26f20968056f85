/**
 * Durable joins are group-committed (src/net/durable-sessions.ts): the hellos resolved in one
 * event-loop turn write their session and new player records in that turn's write-behind batch, one
 * store transaction, and each `resolve` settles only once that batch is committed (the welcome's
 * token is durable). Over SQLite and PostgreSQL; the commit is held by a gate in front of the real
 * store's `writeSessions` (a slow commit, as PostgreSQL's is).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSessions, type ResolvedPlayer } from '../../../src/net/durable-sessions.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
import { sqliteAndPostgres, type StoreHandle } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('durable join batch');

const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`durable joins, group-committed (${name})`, () => {
    let handle: StoreHandle | null = null;
    let store: Store | null = null;
    afterEach(async () => {
      await store?.close();
      await handle?.dispose();
      store = null;
      handle = null;
    });

    /** The real store with its `writeSessions` held until `open()`; every batch noted. */
    const gated = async (): Promise<{ store: Store; batches: SessionWrite[][]; open(): void }> => {
      handle = await factory!.create();
      const real = await handle.open();
      store = real;
      const batches: SessionWrite[][] = [];
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const spy: Store = Object.create(real) as Store;
      spy.writeSessions = async (ops) => {
        batches.push([...ops]);
        await gate;
        return real.writeSessions(ops);
      };
      return { store: spy, batches, open };
    };

    it('hellos of one turn are one transaction, and none resolves before it is committed', async () => {
      const g = await gated();
      const d = new DurableSessions(
        g.store,
        () => 30,
        () => {},
      );
      const before = store!.stats().transactions;
      const settled: ResolvedPlayer[] = [];
      const all = Array.from({ length: 12 }, (_, i) => d.resolve('w1', `p${i}`, '', null, i, i).then((r) => settled.push(r)));
      await turn();
      expect(g.batches).toHaveLength(1);
      expect(g.batches[0].filter((op) => op.kind === 'session')).toHaveLength(12);
      expect(g.batches[0].filter((op) => op.kind === 'player')).toHaveLength(12);
      expect(settled, 'no resolve before the commit').toEqual([]);
      g.open();
      await Promise.all(all);
      expect(store!.stats().transactions - before).toBe(1);
      for (const r of settled) {
        expect(await store!.getSession(r.resumeToken, 0)).toMatchObject({ playerId: r.playerId, worldId: 'w1', data: { live: true } });
        expect(await store!.getPlayer(r.playerId)).toBeDefined();
      }
      expect(d.writeErrors).toBe(0);
    });

    it('a resume reads a park queued in the same turn without committing it alone; an abandoned resume is put back parked', async () => {
      const g = await gated();
      g.open();
      const d = new DurableSessions(
        g.store,
        () => 30,
        () => {},
      );
      const first = await d.resolve('w1', 'ada', 'ada-token', null, 1, 2);
      const batches = g.batches.length;
      d.park(first.resumeToken, first.playerId, 'w1', 'ada', 7, 8);
      const back = await d.resolve('w1', 'ada', 'ada-token', first.resumeToken, 0, 0);
      expect(back).toMatchObject({ resumed: true, playerId: first.playerId, x: 7, y: 8 });
      // SQLite reads within the turn: one batch. PostgreSQL's reads take turns of their own, so the
      // park goes out at the end of its turn, before the resume's write: two, in order.
      expect(g.batches.length - batches, 'the park and the resume').toBe(name === 'sqlite' ? 1 : 2);
      expect((await store!.getSession(first.resumeToken, 0))?.data).toMatchObject({ live: true });
      // The join went no further (socket gone): the record is parked again, as before the hello.
      d.abandon(back);
      await d.settled();
      expect((await store!.getSession(first.resumeToken, 0))?.data).toMatchObject({ live: false });
      // A fresh player's abandoned record is dropped.
      const ghost = await d.resolve('w1', 'ghost', '', null, 0, 0);
      d.abandon(ghost);
      await d.settled();
      expect(await store!.getSession(ghost.resumeToken, 0)).toBeUndefined();
    });

    it('settled() (the server stop) also waits for the drop of a join abandoned when its commit answered', async () => {
      handle = await factory!.create();
      const real = await handle.open();
      store = real;
      const errors: unknown[] = [];
      const d = new DurableSessions(
        real,
        () => 30,
        (e) => errors.push(e),
      );
      let token = '';
      // The socket closed while the commit was pending: the answer abandons the join.
      const joined = d.resolve('w1', 'late', '', null, 0, 0).then((r) => {
        token = r.resumeToken;
        d.abandon(r);
      });
      await d.settled();
      await joined;
      expect(await real.getSession(token, 0), 'dropped before stop returned').toBeUndefined();
      expect(errors).toEqual([]);
    });

    it('a failed commit rejects every resolve waiting for it, counted once, and writes nothing', async () => {
      handle = await factory!.create();
      const real = await handle.open();
      store = real;
      const errors: unknown[] = [];
      const d = new DurableSessions(
        real,
        () => 30,
        (e) => errors.push(e),
      );
      // The store is closed under the batch: its transaction fails (storeClosed), as any write failure.
      const all = Array.from({ length: 5 }, (_, i) => d.resolve('w1', `p${i}`, '', null, 0, 0));
      await real.close();
      const out = await Promise.allSettled(all);
      expect(out.map((o) => o.status)).toEqual(new Array(5).fill('rejected'));
      expect(d.writeErrors).toBe(1);
      expect(errors).toHaveLength(1);
    });
  });
}
