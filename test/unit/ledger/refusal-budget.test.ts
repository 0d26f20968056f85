/**
 * The per-player budget of recorded refusals over real stores (SQLite, and PostgreSQL when a server
 * can be started): a player without coins adds at most `burst` refusal rows, then one per refill;
 * past the budget a refusal is answered unrecorded (`seq` null) and its key is decided again on a
 * retry; `ok` entries are never limited and stay exactly-once.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogue } from '../../../src/ledger/catalogue.js';
import { parseLedgerOptions } from '../../../src/ledger/ledger-options.js';
import { LedgerService, type LedgerServiceOptions } from '../../../src/ledger/ledger-service.js';
import { createRefusalBudget, refusalRowsPerDay } from '../../../src/ledger/refusal-budget.js';
import { startRefusalPruner } from '../../../src/ledger/refusal-retention.js';
import type { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { fillSqlite } from '../../helpers/full-sqlite.js';
import { startPostgres } from '../../helpers/postgres-server.js';
import { postgresFactory, sqliteFactory, type StoreFactory, type StoreHandle } from '../../helpers/store-factories.js';

const catalogue = createCatalogue([
  { id: 'sword', price: 30 },
  { id: 'apple', price: 2 },
]);

const pgServer = await startPostgres();
if ('skip' in pgServer) console.warn(`[refusal budget] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});
const factories: Array<[string, StoreFactory | undefined]> = [
  ['sqlite', sqliteFactory],
  ['postgres', 'skip' in pgServer ? undefined : postgresFactory(pgServer)],
];

const sword = (playerId: string, key: string) => ({ playerId, key, item: 'sword', quantity: 1, expectedPrice: 30 });

for (const [name, factory] of factories)
  describe.skipIf(!factory)(`recorded refusals (${name})`, () => {
    let handle: StoreHandle;
    let store: Store;
    let clock = 1_000_000;
    const services: LedgerService[] = [];
    const service = (over: Partial<LedgerServiceOptions> = {}): LedgerService => {
      const s = new LedgerService({ store, catalogue, worldId: 'w1', rateLimit: { perSecond: 0 }, now: () => clock, ...over });
      services.push(s);
      return s;
    };
    const refusalRows = async (playerId: string): Promise<number> =>
      (await store.readLedger({ playerId })).filter((e) => e.status === 'rejected').length;

    beforeEach(async () => {
      clock = 1_000_000;
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      for (const s of services.splice(0)) await s.close();
      await store.close();
      await handle.dispose();
    });

    it('a zero-coin player spamming purchases adds burst rows, then one per refill; the rest are unrecorded', async () => {
      const l = service({ recordedRefusals: { burst: 10, perMinute: 1 } });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => l.purchase(sword('poor', `k${i}`))));
      expect(results.every((r) => r.status === 'rejected' && r.code === 'TX_INSUFFICIENT_FUNDS')).toBe(true);
      // In arrival order: the first 10 are rows (seq set), the other 90 are not.
      expect(results.slice(0, 10).every((r) => r.seq !== null)).toBe(true);
      expect(results.slice(10).every((r) => r.seq === null && r.replayed === false)).toBe(true);
      expect(await refusalRows('poor')).toBe(10);
      expect(l.stats()).toMatchObject({ refusalsRecorded: 10, refusalsUnrecorded: 90, committed: 10 });
      expect(l.stats().rejected.TX_INSUFFICIENT_FUNDS).toBe(100);
      // Another player has its own budget.
      expect((await l.purchase(sword('other', 'o1'))).seq).not.toBeNull();
      // One minute later: one more row, then unrecorded again.
      clock += 60_000;
      const later = await Promise.all([l.purchase(sword('poor', 'm1')), l.purchase(sword('poor', 'm2'))]);
      expect(later.map((r) => r.seq !== null)).toEqual([true, false]);
      expect(await refusalRows('poor')).toBe(11);
    });

    it('the same key after an unrecorded refusal is decided again; a recorded one replays; ok stays exactly once', async () => {
      const l = service({ recordedRefusals: { burst: 1, perMinute: 1 } });
      const recorded = await l.purchase(sword('p1', 'a'));
      expect(recorded.seq).not.toBeNull();
      const unrecorded = await l.purchase(sword('p1', 'b'));
      expect(unrecorded).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', seq: null });
      // Still poor, budget still spent: the retry is refused again, still without a row.
      expect(await l.purchase(sword('p1', 'b'))).toMatchObject({ code: 'TX_INSUFFICIENT_FUNDS', seq: null, replayed: false });
      // Nothing is stored for the key, so other content under it is no conflict: it is a new request.
      expect(await l.purchase({ ...sword('p1', 'b'), item: 'apple', expectedPrice: 2 })).toMatchObject({ seq: null });
      await l.reward({ playerId: 'p1', key: 'coins', coins: 100 });
      // The recorded refusal replays even though the coins would cover it now ...
      expect(await l.purchase(sword('p1', 'a'))).toEqual({ ...recorded, replayed: true });
      // ... the unrecorded one is decided again: ok, once.
      const ok = await l.purchase(sword('p1', 'b'));
      expect(ok).toMatchObject({ status: 'ok', code: null, coinsDelta: -30, replayed: false });
      expect(await l.purchase(sword('p1', 'b'))).toEqual({ ...ok, replayed: true });
      // A restart (new service, new budget) replays the ok from the store.
      await l.close();
      const l2 = service({ recordedRefusals: { burst: 1, perMinute: 1 } });
      expect(await l2.purchase(sword('p1', 'b'))).toEqual({ ...ok, replayed: true });
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 70, items: { sword: 1 } });
      expect((await store.readLedger({ playerId: 'p1' })).filter((e) => e.key === 'b')).toHaveLength(1);
    });

    it('ok purchases never take from the budget, before or after it is spent', async () => {
      const l = service({ recordedRefusals: { burst: 2, perMinute: 1 } });
      await l.reward({ playerId: 'rich', key: 'start', coins: 100 });
      const first = await Promise.all(
        Array.from({ length: 20 }, (_, i) => l.purchase({ ...sword('rich', `a${i}`), item: 'apple', expectedPrice: 2 })),
      );
      expect(first.every((r) => r.status === 'ok' && r.seq !== null)).toBe(true);
      // 60 coins left: 2 swords ok, then refusals: 2 recorded, the rest not.
      const swords = await Promise.all(Array.from({ length: 6 }, (_, i) => l.purchase(sword('rich', `s${i}`))));
      expect(swords.map((r) => (r.status === 'ok' ? 'ok' : r.seq === null ? 'unrecorded' : 'recorded'))).toEqual([
        'ok',
        'ok',
        'recorded',
        'recorded',
        'unrecorded',
        'unrecorded',
      ]);
      await l.reward({ playerId: 'rich', key: 'more', coins: 10 });
      const apples = await Promise.all(
        Array.from({ length: 5 }, (_, i) => l.purchase({ ...sword('rich', `b${i}`), item: 'apple', expectedPrice: 2 })),
      );
      expect(apples.every((r) => r.status === 'ok' && r.seq !== null)).toBe(true);
      expect(await store.ledgerBalance('rich')).toMatchObject({ coins: 0, items: { apple: 25, sword: 2 } });
      expect(l.stats()).toMatchObject({ refusalsRecorded: 2, refusalsUnrecorded: 2 });
    });

    it('refusal rows past the retention are pruned; ok entries stay; a pruned key is decided again', async () => {
      const l = service({ recordedRefusals: { burst: 5, perMinute: 1 } });
      await l.reward({ playerId: 'p1', key: 'start', coins: 10 });
      const refused = await l.purchase(sword('p1', 'r1'));
      expect(refused.seq).not.toBeNull();
      const pruned: number[] = [];
      const failed: unknown[] = [];
      const pruner = startRefusalPruner({
        store,
        retentionHours: 1,
        now: () => clock,
        onPruned: (n) => pruned.push(n),
        onFailed: (e) => failed.push(e),
        intervalMs: 3_600_000,
      });
      try {
        // Inside the window: nothing goes, and the key replays its refusal.
        clock += 30 * 60_000;
        expect(await pruner!.pass()).toBe(0);
        expect(await l.purchase(sword('p1', 'r1'))).toEqual({ ...refused, replayed: true });
        // A later refusal (within the budget) stays while younger than the window.
        const young = await l.purchase(sword('p1', 'r2'));
        expect(young.seq).not.toBeNull();
        clock += 40 * 60_000;
        expect(await pruner!.pass()).toBe(1);
        expect(pruned).toEqual([1]);
        expect((await store.readLedger({ playerId: 'p1' })).map((e) => e.key)).toEqual(['start', 'r2']);
        // The pruned key is a new request now: decided against today's balance (coins arrived: ok, once).
        await l.reward({ playerId: 'p1', key: 'more', coins: 40 });
        const ok = await l.purchase(sword('p1', 'r1'));
        expect(ok).toMatchObject({ status: 'ok', replayed: false, coinsDelta: -30 });
        clock += 10 * 3_600_000;
        expect(await pruner!.pass()).toBe(1);
        expect(await l.purchase(sword('p1', 'r1'))).toEqual({ ...ok, replayed: true });
        expect((await store.readLedger({ playerId: 'p1' })).map((e) => `${e.key}:${e.status}`)).toEqual(['start:ok', 'more:ok', 'r1:ok']);
        expect(await store.ledgerBalance('p1')).toMatchObject({ coins: 20, items: { sword: 1 } });
        expect(failed).toEqual([]);
      } finally {
        pruner?.stop();
      }
      expect(startRefusalPruner({ store, retentionHours: 0, onPruned: () => {}, onFailed: () => {} })).toBeNull();
    });

    it('a pass deletes in chunks of 500, at most 10,000 rows', async () => {
      const rows = Array.from({ length: 2500 }, (_, i) => ({
        worldId: 'w1',
        playerId: `p${i % 50}`,
        key: `k${i}`,
        kind: 'purchase' as const,
        item: 'sword',
        quantity: 0,
        unitPrice: 30,
        coinsDelta: 0,
        status: 'rejected' as const,
        code: 'TX_INSUFFICIENT_FUNDS',
        fingerprint: 'purchase|sword|1|30',
        createdAt: 1000,
      }));
      await store.commitLedger(rows);
      const pruned: number[] = [];
      const pruner = startRefusalPruner({
        store,
        retentionHours: 1,
        onPruned: (n) => pruned.push(n),
        onFailed: () => {},
        intervalMs: 3_600_000,
      });
      try {
        expect(await pruner!.pass()).toBe(2500);
        expect(pruned).toEqual([500, 500, 500, 500, 500]);
        expect(await store.readLedger({})).toEqual([]);
      } finally {
        pruner?.stop();
      }
    });

    it('the budget continues across a restart (a new service over the same store): it starts from the stored refusals', async () => {
      const budget = { recordedRefusals: { burst: 10, perMinute: 1 } };
      const spam = (l: LedgerService, prefix: string, n: number) =>
        Promise.all(Array.from({ length: n }, (_, i) => l.purchase(sword('poor', `${prefix}${i}`))));
      const l1 = service(budget);
      expect((await spam(l1, 'a', 12)).filter((r) => r.seq !== null)).toHaveLength(10);
      // A real restart: the service and the store closed, both opened again over the same file / database.
      await l1.close();
      await store.close();
      store = await handle.open();
      clock += 30_000;
      const l2 = service(budget);
      // Half a minute after the burst: the bucket is still empty, as it would be without the restart.
      const after = await spam(l2, 'b', 5);
      expect(after.every((r) => r.code === 'TX_INSUFFICIENT_FUNDS' && r.seq === null)).toBe(true);
      expect(await refusalRows('poor')).toBe(10);
      // A minute after the burst: one token, as without the restart.
      clock += 30_000;
      expect((await spam(l2, 'c', 2)).map((r) => r.seq !== null)).toEqual([true, false]);
      // One store read for the player, not one per refusal.
      expect(l2.stats().refusalBudgetReads).toBe(1);
      // Another world's ledger (its own budget) and another player start full.
      const other = service({ ...budget, worldId: 'w2' });
      expect((await spam(other, 'd', 11)).filter((r) => r.seq !== null)).toHaveLength(10);
      expect((await l2.purchase(sword('fresh', 'f1'))).seq).not.toBeNull();
    });

    it('the per-day bound holds across restarts: a restart every minute adds no fresh burst', async () => {
      const budget = { recordedRefusals: { burst: 3, perMinute: 1 } };
      let recorded = 0;
      for (let minute = 0; minute < 6; minute++) {
        const l = service(budget);
        const r = await Promise.all(Array.from({ length: 5 }, (_, i) => l.purchase(sword('poor', `m${minute}-${i}`))));
        recorded += r.filter((x) => x.seq !== null).length;
        await l.close();
        await store.close();
        store = await handle.open();
        clock += 60_000;
      }
      // burst + one per refill: 3 + 5 (a fresh bucket per start would give 3 × 6 = 18).
      expect(recorded).toBe(8);
      expect(await refusalRows('poor')).toBe(8);
      // Rows older than the day do not count: a day later the bucket is full again.
      clock += 24 * 3_600_000;
      const l = service(budget);
      const r = await Promise.all(Array.from({ length: 5 }, (_, i) => l.purchase(sword('poor', `late${i}`))));
      expect(r.filter((x) => x.seq !== null)).toHaveLength(3);
    });

    it('refusals recorded past the budget (two owners of a world for a moment) leave the next service in debt', async () => {
      const row = (i: number) => ({
        worldId: 'w1',
        playerId: 'poor',
        key: `old${i}`,
        kind: 'purchase' as const,
        item: 'sword',
        quantity: 0,
        unitPrice: 30,
        coinsDelta: 0,
        status: 'rejected' as const,
        code: 'TX_INSUFFICIENT_FUNDS',
        fingerprint: 'purchase|sword|1|30',
        createdAt: clock,
      });
      await store.commitLedger(Array.from({ length: 13 }, (_, i) => row(i)));
      const l = service({ recordedRefusals: { burst: 10, perMinute: 1 } });
      // 3 in debt: three minutes of refill pay it, the fourth gives a token.
      clock += 3 * 60_000;
      expect((await l.purchase(sword('poor', 'a'))).seq).toBeNull();
      clock += 60_000;
      expect((await l.purchase(sword('poor', 'b'))).seq).not.toBeNull();
      expect((await l.purchase(sword('poor', 'c'))).seq).toBeNull();
      expect(l.stats().refusalBudgetReads).toBe(1);
    });

    it('burst 0 records no refusal at all', async () => {
      const l = service({ recordedRefusals: { burst: 0 } });
      const r = await Promise.all(Array.from({ length: 5 }, (_, i) => l.purchase(sword('p', `k${i}`))));
      expect(r.every((x) => x.code === 'TX_INSUFFICIENT_FUNDS' && x.seq === null)).toBe(true);
      expect(await store.readLedger({})).toEqual([]);
    });

    it.skipIf(name !== 'sqlite')(
      'a refusal whose time is no integer (a damaged file) counts as made at 0: no part of the budget, pruned first',
      async () => {
        const budget = { recordedRefusals: { burst: 3, perMinute: 1 } };
        const spam = (l: LedgerService, prefix: string, n: number) =>
          Promise.all(Array.from({ length: n }, (_, i) => l.purchase(sword('poor', `${prefix}${i}`))));
        const l1 = service(budget);
        expect((await spam(l1, 'a', 3)).every((r) => r.seq !== null)).toBe(true);
        await l1.close();
        const [first] = (await store.readLedger({ playerId: 'poor' })).map((e) => e.seq);
        await handle.raw(`UPDATE ledger SET created_at = 'late' WHERE seq = ${first}`);
        expect((await store.readLedger({ playerId: 'poor' })).map((e) => e.createdAt)).toEqual([0, clock, clock]);
        expect(await store.ledgerRefusalTimes('w1', 'poor', clock - 60_000, 10)).toEqual([clock, clock]);
        // The two intact refusals took two of three tokens: one left. Before, the time read as NaN made the bucket
        // NaN, which never compared below 1: every refusal of the player recorded, the per-day bound gone.
        const l2 = service(budget);
        expect((await spam(l2, 'b', 2)).map((r) => r.seq !== null)).toEqual([true, false]);
        // The damaged row is past any retention: deleted by the next pass, after the expired ones; the others stay.
        expect(await store.pruneLedgerRefusals(clock - 60_000, 500)).toBe(1);
        expect((await store.readLedger({ playerId: 'poor' })).map((e) => e.createdAt)).toEqual([clock, clock, clock]);
        expect(await store.pruneLedgerRefusals(clock - 60_000, 500)).toBe(0);
      },
    );

    it('the default budget: 10 rows at once, 1 per minute (1,450 a day)', async () => {
      const l = service();
      const r = await Promise.all(Array.from({ length: 30 }, (_, i) => l.purchase(sword('p', `k${i}`))));
      expect(r.filter((x) => x.seq !== null)).toHaveLength(10);
      expect(refusalRowsPerDay()).toBe(1450);
    });
  });

describe('recorded refusals through a store outage (SQLite full)', () => {
  it('a refusal whose batch commit failed and was retried takes one token, not one per attempt', async () => {
    const handle = await sqliteFactory.create();
    const store = (await handle.open()) as SqliteStore;
    const l = new LedgerService({
      store,
      catalogue,
      worldId: 'w1',
      rateLimit: { perSecond: 0 },
      recordedRefusals: { burst: 2, perMinute: 0.001 },
    });
    try {
      await fillSqlite(store);
      const long = (k: string) => sword('poor', `${k}-${'x'.repeat(120)}`);
      const pending = l.purchase(long('a'));
      while (l.stats().retries < 3 && l.stats().refusalsUnrecorded === 0) await new Promise((r) => setTimeout(r, 10));
      store.setMaxPageCount(1_000_000_000);
      const a = await pending;
      expect(a).toMatchObject({ code: 'TX_INSUFFICIENT_FUNDS' });
      expect(a.seq).not.toBeNull();
      // The second token is still there: the retries of `a` did not spend it.
      expect((await l.purchase(long('b'))).seq).not.toBeNull();
      expect((await l.purchase(long('c'))).seq).toBeNull();
      expect(l.stats()).toMatchObject({ refusalsRecorded: 2, refusalsUnrecorded: 1 });
    } finally {
      await l.close();
      await store.close();
      await handle.dispose();
    }
  });
});

describe('refusal budget options', () => {
  it('the ledger block validates recordedRefusals with messages that name the path', () => {
    expect(parseLedgerOptions({ recordedRefusals: { burst: 3, perMinute: 0.5 } })).toEqual({
      recordedRefusals: { burst: 3, perMinute: 0.5 },
    });
    expect(() => parseLedgerOptions({ recordedRefusals: { burst: -1, perMinute: 0, retentionHours: -1, rate: 1 } })).toThrow(
      expect.objectContaining({
        details: {
          problems: [
            'ledger.recordedRefusals.burst must be a number between 0 and 1000000 (0 = never record)',
            'ledger.recordedRefusals.perMinute must be a number between 0.001 and 1000000',
            'ledger.recordedRefusals.retentionHours must be a number between 0 and 87600 (0 = keep forever)',
            'ledger.recordedRefusals.rate is not a known setting',
          ],
        },
      }),
    );
    expect(() => parseLedgerOptions({ recordedRefusals: 5 })).toThrow(/recordedRefusals must be an object/);
  });

  it('a refill of 0 is refused, never read as unlimited', () => {
    expect(() => createRefusalBudget({ perMinute: 0 }, Date.now)).toThrow(/perMinute must be a number > 0/);
  });
});
