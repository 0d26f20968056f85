/**
 * The catch-up of a fresh wallet from the player's ledger summary (src/ledger/catch-up.ts), over
 * SQLite and a real PostgreSQL: the wallet is set from ONE summary row, not the history; entries the
 * world commits for the player while it joins are applied once (those the summary counted are not
 * applied again, the later ones are not lost); a wallet that is no longer fresh when the summary
 * arrives, or has a watermark at the bind, gets the entries above its watermark instead.
 */
import { playerRow } from '../../../components/player-table.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeldBalance } from '../../../src/ledger/apply.js';
import type { TxResult } from '../../../src/ledger/decide.js';
import {
  attachLedger,
  bindPlayer,
  detachLedger,
  grantReward,
  submitPurchase,
  walletOf,
  worldLedgerStats,
} from '../../../src/ledger/world-ledger.js';
import { sumBalance } from '../../../src/store/rows.js';
import type { LedgerEntryInput, Store } from '../../../src/store/types.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('catch-up from the ledger summary');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Entry `i` of player `P`'s history: rewards of 15 coins and potion purchases of 10, alternating. */
const history = (i: number): LedgerEntryInput =>
  i % 2 === 0
    ? rewardEntry(`h${i}`, { playerId: 'P', coinsDelta: 15 })
    : rewardEntry(`h${i}`, { playerId: 'P', kind: 'purchase', item: 'potion', quantity: 1, unitPrice: 10, coinsDelta: -10 });

const fill = async (store: Store, n: number): Promise<void> => {
  for (let i = 0; i < n; i += 500) {
    const batch: LedgerEntryInput[] = [];
    for (let j = i; j < Math.min(n, i + 500); j++) batch.push(history(j));
    await store.commitLedger(batch);
  }
};

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`catch-up from the ledger summary: ${name}`, () => {
    const cleanup: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
    });

    const setup = async (): Promise<{ world: SimWorld; store: Store; handle: StoreHandle }> => {
      const handle = await factory!.create();
      cleanup.push(() => handle.dispose());
      const store = await handle.open();
      cleanup.push(() => store.close());
      const world = createSimWorld({ id: 'cs', capacity: 64, seed: 1 });
      attachLedger(world, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
      cleanup.push(() => detachLedger(world));
      return { world, store, handle };
    };

    const until = async (world: SimWorld, done: () => boolean): Promise<void> => {
      for (let i = 0; i < 400 && !done(); i++) {
        world.ingest.drain(world, 100);
        await sleep(5);
      }
      expect(done()).toBe(true);
    };

    /** What the ledger says `P` holds, summed from every entry (the old, O(history) way). */
    const truth = async (store: Store): Promise<{ coins: number; potion: number }> => {
      const b = sumBalance(await store.readLedger({ playerId: 'P' }));
      return { coins: b.coins, potion: b.items.potion ?? 0 };
    };
    const held = (w: HeldBalance | null): { coins: number; potion: number } | null => w && { coins: w.coins, potion: w.items.potion ?? 0 };

    it('a fresh wallet is set from the summary; rewards and purchases committed while it joins apply once each', async () => {
      const { world, store } = await setup();
      await fill(store, 1200);
      // Committed before the bind, applied by the step after it: the summary counts it (held, then skipped).
      expect((await grantReward(world, { playerId: 'P', key: 'before', coins: 7 })).status).toBe('ok');
      const eid = spawnPlayer(world, 1, 1);
      bindPlayer(world, eid, 'P');
      // Committed while the summary is read or after it (held until the catch-up applies).
      const answers: Array<{ r: TxResult; w: HeldBalance | null }> = [];
      const bought = Array.from(
        { length: 5 },
        (_, i) =>
          new Promise<void>((res) =>
            submitPurchase(world, { playerId: 'P', key: `buy${i}`, item: 'potion', quantity: 1, expectedPrice: 10 }, (r, w) => {
              answers.push({ r, w });
              res();
            }),
          ),
      );
      const rewards = [1, 2, 3].map((i) => grantReward(world, { playerId: 'P', key: `during${i}`, coins: i }));
      const drained = until(world, () => answers.length === 5);
      await Promise.all([...bought, ...rewards, drained]);
      expect(answers.every((a) => a.r.status === 'ok')).toBe(true);
      await until(world, () => world.ledger?.catchingUp.size === 0 && world.ingest.stats().every((t) => t.pending === 0));
      const want = await truth(store);
      expect(want).toEqual({ coins: 600 * 15 - 600 * 10 + 7 + 6 - 50, potion: 605 });
      expect(held(walletOf(world, 'P'))).toEqual(want);
      expect(world.stores.Wallet.appliedSeq[playerRow(world.stores, eid)]).toBe((await store.ledgerBalance('P')).lastSeq);
      // Each purchase is answered with a wallet that holds it (applied, or counted by the summary).
      for (const a of answers) expect(a.w?.appliedSeq ?? 0).toBeGreaterThanOrEqual(a.r.seq ?? Number.POSITIVE_INFINITY);
      const s = worldLedgerStats(world);
      expect(s?.catchUpSummaries).toBe(1);
      expect(s?.catchUpEntriesRead).toBe(0);
      // Only what the world committed itself was applied entry by entry (9 at most), not the history.
      expect(s?.applied).toBeLessThanOrEqual(9);
    });

    it('a wallet that holds something when its summary arrives, or has a watermark, gets the entries above it', async () => {
      const { world, store } = await setup();
      await fill(store, 400);
      const entries = await store.readLedger({ playerId: 'P' });
      const mid = entries[99];
      if (!mid) throw new Error('history too short');
      const upTo = sumBalance(entries.slice(0, 100));
      const eid = spawnPlayer(world, 1, 1);
      bindPlayer(world, eid, 'P');
      // Before the summary applies, the row gets a watermark (as a restored row would have): the
      // summary is not used; the catch-up is read again from that watermark.
      const row = playerRow(world.stores, eid);
      world.stores.Wallet.coins[row] = upTo.coins;
      world.stores.Wallet.item0[row] = upTo.items.potion ?? 0;
      world.stores.Wallet.appliedSeq[row] = mid.seq;
      await until(world, () => walletOf(world, 'P') !== null);
      expect(held(walletOf(world, 'P'))).toEqual(await truth(store));
      expect(worldLedgerStats(world)?.catchUpEntriesRead).toBe(300);
      // Bound again into an entity with a watermark: incremental, nothing above it to read.
      const again = spawnPlayer(world, 2, 2);
      const r2 = playerRow(world.stores, again);
      world.stores.Wallet.coins[r2] = upTo.coins;
      world.stores.Wallet.item0[r2] = upTo.items.potion ?? 0;
      world.stores.Wallet.appliedSeq[r2] = mid.seq;
      bindPlayer(world, again, 'P');
      await until(world, () => walletOf(world, 'P') !== null);
      expect(held(walletOf(world, 'P'))).toEqual(await truth(store));
      expect(worldLedgerStats(world)?.catchUpEntriesRead).toBe(600);
      expect(worldLedgerStats(world)?.catchUpSummaries).toBe(1);
    });

    it.skipIf(name !== 'sqlite')(
      'an entry whose amount is no integer (a damaged file) is applied to no wallet; the entries around it are',
      async () => {
        const { world, store, handle } = await setup();
        await fill(store, 200);
        const entries = await store.readLedger({ playerId: 'P' });
        const mid = entries[99];
        const reward = entries[150];
        const purchase = entries[151];
        if (!mid || !reward || !purchase) throw new Error('history too short');
        expect([reward.coinsDelta, purchase.quantity]).toEqual([15, 1]);
        const upTo = sumBalance(entries.slice(0, 100));
        const eid = spawnPlayer(world, 1, 1);
        const row = playerRow(world.stores, eid);
        world.stores.Wallet.coins[row] = upTo.coins;
        world.stores.Wallet.item0[row] = upTo.items.potion ?? 0;
        world.stores.Wallet.appliedSeq[row] = mid.seq;
        await handle.raw(
          `UPDATE ledger SET coins_delta = 'fifteen' WHERE seq = ${reward.seq}; UPDATE ledger SET quantity = x'01' WHERE seq = ${purchase.seq}`,
        );
        bindPlayer(world, eid, 'P');
        await until(world, () => walletOf(world, 'P') !== null);
        // Every entry above the watermark but the two damaged ones: the reward's 15 coins, the purchase's -10 and its potion.
        const intact = sumBalance(entries.filter((e) => e.seq !== reward.seq && e.seq !== purchase.seq));
        expect(held(walletOf(world, 'P'))).toEqual({ coins: intact.coins, potion: intact.items.potion ?? 0 });
        expect(world.stores.Wallet.appliedSeq[row]).toBe(entries[199]?.seq);
        const s = worldLedgerStats(world);
        expect([s?.catchUpEntriesRead, s?.entriesDamaged]).toEqual([100, 2]);
        // Later entries apply on top as usual.
        expect((await grantReward(world, { playerId: 'P', key: 'after', coins: 5 })).status).toBe('ok');
        await until(world, () => walletOf(world, 'P')?.coins === intact.coins + 5);
      },
    );
  });
}
