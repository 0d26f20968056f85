/**
 * The ledger service over real stores (SQLite, and PostgreSQL when a server can be started):
 * every result code, idempotency across restarts, group commit, exactly-once application to wallets.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWallet, walletSlot } from '../../../components/wallet.js';
import { applyLedgerEntries, readWallet } from '../../../src/ledger/apply.js';
import { createCatalogue } from '../../../src/ledger/catalogue.js';
import { LedgerService, type LedgerServiceOptions } from '../../../src/ledger/ledger-service.js';
import type { Store } from '../../../src/store/types.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { postgresFactory, sqliteFactory, type StoreFactory, type StoreHandle } from '../../helpers/store-factories.js';

const catalogue = createCatalogue(
  [
    { id: 'sword', price: 30 },
    { id: 'apple', price: 2 },
  ],
  { maxQuantity: 10 },
);

const pgServer = await freshDatabase();
if ('skip' in pgServer) console.warn(`[ledger service] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});
const factories: Array<[string, StoreFactory | undefined]> = [
  ['sqlite', sqliteFactory],
  ['postgres', 'skip' in pgServer ? undefined : postgresFactory(pgServer)],
];

for (const [name, factory] of factories)
  describe.skipIf(!factory)(`ledger service (${name})`, () => {
    let handle: StoreHandle;
    let store: Store;
    const services: LedgerService[] = [];
    const service = (over: Partial<LedgerServiceOptions> = {}): LedgerService => {
      const s = new LedgerService({ store, catalogue, worldId: 'w1', rateLimit: { perSecond: 0 }, ...over });
      services.push(s);
      return s;
    };

    beforeEach(async () => {
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      for (const s of services.splice(0)) await s.close();
      await store.close();
      await handle.dispose();
    });

    it('rewards then purchases; ok only after commit; balance from the ledger', async () => {
      const l = service();
      const r = await l.reward({ playerId: 'p1', key: 'start', coins: 100 });
      expect(r).toMatchObject({ status: 'ok', code: null, coinsDelta: 100, replayed: false });
      expect(r.seq).toBeGreaterThan(0);
      // The result's entry is in the store: it was committed before the promise resolved.
      expect((await store.findLedgerEntries([{ playerId: 'p1', key: 'start' }]))[0].seq).toBe(r.seq);
      const p = await l.purchase({ playerId: 'p1', key: 'buy-1', item: 'sword', quantity: 3, expectedPrice: 30 });
      expect(p).toMatchObject({ status: 'ok', kind: 'purchase', item: 'sword', quantity: 3, coinsDelta: -90 });
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 10, items: { sword: 3 } });
      const g = await l.reward({ playerId: 'p1', key: 'gift', item: 'apple', quantity: 4 });
      expect(g).toMatchObject({ status: 'ok', item: 'apple', quantity: 4, coinsDelta: 0 });
    });

    it("a player whose balance is damaged beyond a rebuild fails only its own requests, not the batch's others", async () => {
      const l = service();
      for (const p of ['p1', 'p2']) await l.reward({ playerId: p, key: 'start', coins: 100 });
      // p1's entries edited to 2^63 - 1 and its summary row damaged: the store cannot rebuild or store its balance.
      await handle.raw("UPDATE ledger SET coins_delta = 9223372036854775807 WHERE player_id = 'p1'");
      await handle.raw("UPDATE ledger_balances SET items = 'x{' WHERE player_id = 'p1'");
      const l2 = service(); // a fresh cache: reads the damaged balance
      const buy = (playerId: string) => l2.purchase({ playerId, key: 'buy', item: 'apple', quantity: 1, expectedPrice: 2 });
      const [r1, r2] = await Promise.all([buy('p1'), buy('p2')]);
      // Before: the batch of both failed (SQLite "integer overflow", PostgreSQL "out of range for type bigint"): p2's too.
      expect([r1.code, r2.status, r2.coinsDelta]).toEqual(['TX_UNAVAILABLE', 'ok', -2]);
      expect(l2.stats()).toMatchObject({ damagedBatches: 1, retries: 1 }); // both were in the refused batch; p2's committed again
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'buy' }])).toEqual([]);
      expect(await store.ledgerBalance('p2')).toMatchObject({ coins: 98, items: { apple: 1 } });
    });

    it('answers every rejection code and changes nothing', async () => {
      const l = service({ rateLimit: { perSecond: 1, burst: 2 } });
      await l.reward({ playerId: 'p1', key: 'start', coins: 50 });
      const before = await store.readLedger({});
      const code = async (p: Promise<{ code: string | null }>): Promise<string | null> => (await p).code;
      expect(await code(l.purchase({ playerId: 'p1', key: 'a', item: 'shield', quantity: 1, expectedPrice: 5 }))).toBe('TX_UNKNOWN_ITEM');
      expect(await code(l.purchase({ playerId: 'p1', key: 'b', item: 'apple', quantity: 0, expectedPrice: 2 }))).toBe('TX_BAD_QUANTITY');
      expect(await code(l.purchase({ playerId: 'p1', key: 'c', item: 'apple', quantity: 11, expectedPrice: 2 }))).toBe('TX_RATE_LIMITED');
      const l2 = service();
      expect(await code(l2.purchase({ playerId: 'p1', key: 'c', item: 'apple', quantity: 11, expectedPrice: 2 }))).toBe('TX_BAD_QUANTITY');
      expect(await code(l2.purchase({ playerId: 'p1', key: 'c2', item: 'apple', quantity: 1.5, expectedPrice: 2 }))).toBe(
        'TX_BAD_QUANTITY',
      );
      expect(await code(l2.purchase({ playerId: 'p1', key: 'd', item: 'apple', quantity: 1, expectedPrice: 1 }))).toBe('TX_PRICE_MISMATCH');
      expect(await code(l2.purchase({ playerId: 'p1', key: '', item: 'apple', quantity: 1, expectedPrice: 2 }))).toBe('TX_BAD_REQUEST');
      expect(await code(l2.purchase({ playerId: 'p 1', key: 'e', item: 'apple', quantity: 1, expectedPrice: 2 }))).toBe('TX_BAD_REQUEST');
      expect(await code(l2.reward({ playerId: 'p1', key: 'f' }))).toBe('TX_BAD_QUANTITY');
      expect(await code(l2.reward({ playerId: 'p1', key: 'g', coins: -5 }))).toBe('TX_BAD_QUANTITY');
      expect(await code(l2.reward({ playerId: 'p1', key: 'h', item: 'gem' }))).toBe('TX_UNKNOWN_ITEM');
      // Unrecorded rejections wrote nothing.
      expect(await store.readLedger({})).toEqual(before);
      // Insufficient funds is decided against the ledger balance and recorded (replayed by key).
      const poor = await l2.purchase({ playerId: 'p1', key: 'i', item: 'sword', quantity: 2, expectedPrice: 30 });
      expect(poor).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', coinsDelta: 0, quantity: 0 });
      expect(poor.seq).not.toBeNull();
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 50, items: {} });
      // Key conflict: same key, other content.
      expect(await code(l2.purchase({ playerId: 'p1', key: 'i', item: 'sword', quantity: 1, expectedPrice: 30 }))).toBe('TX_KEY_CONFLICT');
      expect(await code(l2.reward({ playerId: 'p1', key: 'start', coins: 51 }))).toBe('TX_KEY_CONFLICT');
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 50, items: {} });
      const stats = l2.stats();
      expect(stats.rejected.TX_KEY_CONFLICT).toBe(2);
      expect(stats.rejected.TX_INSUFFICIENT_FUNDS).toBe(1);
      // Closed: TX_UNAVAILABLE.
      await l2.close();
      expect(await code(l2.reward({ playerId: 'p1', key: 'late', coins: 1 }))).toBe('TX_UNAVAILABLE');
    });

    it('idempotency: the same key gets the original result, concurrently, later and after a restart', async () => {
      const l = service();
      await l.reward({ playerId: 'p1', key: 'start', coins: 100 });
      const req = { playerId: 'p1', key: 'buy', item: 'sword', quantity: 1, expectedPrice: 30 };
      const [a, b] = await Promise.all([l.purchase(req), l.purchase(req)]);
      expect(a.replayed).toBe(false);
      expect(b).toEqual({ ...a, replayed: true });
      const c = await l.purchase(req);
      expect(c).toEqual({ ...a, replayed: true });
      // Another player may use the same key.
      expect((await l.reward({ playerId: 'p2', key: 'buy', coins: 1 })).status).toBe('ok');
      // Restart: new store connection, new service — the original answer survives; the balance counts it once.
      await l.close();
      await store.close();
      store = await handle.open();
      const l2 = service();
      expect(await l2.purchase(req)).toEqual({ ...a, replayed: true });
      expect((await l2.purchase({ ...req, quantity: 2 })).code).toBe('TX_KEY_CONFLICT');
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 70, items: { sword: 1 } });
      // A recorded rejection is replayed too, even after the balance would now cover it.
      const poor = await l2.purchase({ playerId: 'p3', key: 'x', item: 'apple', quantity: 1, expectedPrice: 2 });
      expect(poor.code).toBe('TX_INSUFFICIENT_FUNDS');
      await l2.reward({ playerId: 'p3', key: 'coins', coins: 10 });
      expect(await l2.purchase({ playerId: 'p3', key: 'x', item: 'apple', quantity: 1, expectedPrice: 2 })).toEqual({
        ...poor,
        replayed: true,
      });
    });

    it('decides a batch in order against the ledger balance', async () => {
      const l = service({ flushDelayMs: 50 });
      await l.reward({ playerId: 'p1', key: 'start', coins: 60 });
      const results = await Promise.all(
        [1, 2, 3].map((i) => l.purchase({ playerId: 'p1', key: `b${i}`, item: 'sword', quantity: 1, expectedPrice: 30 })),
      );
      expect(results.map((r) => r.code)).toEqual([null, null, 'TX_INSUFFICIENT_FUNDS']);
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 0, items: { sword: 2 } });
    });

    it('group-commits many requests in few transactions', async () => {
      const l = service({ flushDelayMs: 5, maxBatch: 256 });
      const before = store.stats();
      const n = 1000;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => l.reward({ playerId: `p${i % 50}`, key: `k${i}`, coins: 1 })));
      expect(results.every((r) => r.status === 'ok')).toBe(true);
      const after = store.stats();
      const batches = after.ledgerBatches - before.ledgerBatches;
      expect(after.ledgerEntries - before.ledgerEntries).toBe(n);
      expect(batches).toBeGreaterThanOrEqual(Math.ceil(n / 256));
      expect(batches).toBeLessThanOrEqual(10);
      expect(l.stats().batches).toBe(batches);
      expect(l.stats().maxBatch).toBeGreaterThan(100);
    });

    it('yields committed entries that apply to wallets exactly once, also after a replay', async () => {
      const l = service();
      const wallet = createWallet(16);
      const eids = new Map([
        ['p1', 3],
        ['p2', 5],
      ]);
      const eidOf = (id: string): number | undefined => eids.get(id);
      await l.reward({ playerId: 'p1', key: 'r1', coins: 100 });
      await l.purchase({ playerId: 'p1', key: 'b1', item: 'apple', quantity: 5, expectedPrice: 2 });
      await l.purchase({ playerId: 'p2', key: 'b2', item: 'apple', quantity: 5, expectedPrice: 2 });
      await l.reward({ playerId: 'p9', key: 'r9', coins: 1 });
      const committed = l.takeCommitted();
      expect(committed.map((e) => e.key)).toEqual(['r1', 'b1', 'r9']);
      expect(l.takeCommitted()).toEqual([]);
      expect(applyLedgerEntries(wallet, committed, eidOf, catalogue)).toEqual({ applied: 2, skipped: 0, absent: 1 });
      expect(wallet.coins[3]).toBe(90);
      expect(walletSlot(wallet, catalogue.get('apple')!.slot)[3]).toBe(5);
      // Replaying the same entries (and the catch-up from the store) changes nothing.
      expect(applyLedgerEntries(wallet, committed, eidOf, catalogue)).toEqual({ applied: 0, skipped: 2, absent: 1 });
      const caught = await l.entriesSince('p1', 0);
      expect(applyLedgerEntries(wallet, caught, eidOf, catalogue).applied).toBe(0);
      expect(readWallet(wallet, 3, 'p1', catalogue)).toEqual({
        playerId: 'p1',
        coins: 90,
        items: { apple: 5 },
        appliedSeq: committed[1].seq,
      });
      // A wallet restored from an older checkpoint catches up from its watermark only.
      const restored = createWallet(16);
      restored.coins[3] = 100;
      restored.appliedSeq[3] = committed[0].seq;
      const since = await l.entriesSince('p1', restored.appliedSeq[3]);
      expect(since.map((e) => e.key)).toEqual(['b1']);
      applyLedgerEntries(restored, since, eidOf, catalogue);
      expect(readWallet(restored, 3, 'p1', catalogue)).toEqual(readWallet(wallet, 3, 'p1', catalogue));
    });

    it('carries the fencing token and stops a stale owner', async () => {
      let fencedCalls = 0;
      const l = service({ fenceToken: 1, onFenced: () => void fencedCalls++ });
      expect((await l.reward({ playerId: 'p1', key: 'a', coins: 5 })).status).toBe('ok');
      await store.fence({ worldId: 'w1', token: 2 });
      const r = await l.reward({ playerId: 'p1', key: 'b', coins: 5 });
      expect(r.code).toBe('TX_UNAVAILABLE');
      expect(l.stats().fenced).toBe(true);
      expect(fencedCalls).toBe(1);
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'b' }])).toEqual([]);
      l.setFenceToken(2);
      expect((await l.reward({ playerId: 'p1', key: 'b', coins: 5 })).status).toBe('ok');
    });
  });
