/**
 * The store contract: one suite, run over SQLite and PostgreSQL (a real server started here;
 * skipped with a message only where PostgreSQL cannot be had).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import type { LedgerEntryInput, Store } from '../../../src/store/types.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';
import { codeOf } from '../../helpers/code-of.js';

const factories = await sqliteAndPostgres('store contract');

const entry = (over: Partial<LedgerEntryInput> = {}): LedgerEntryInput => ({
  worldId: 'w1',
  playerId: 'p1',
  key: 'k1',
  kind: 'reward',
  item: null,
  quantity: 0,
  unitPrice: 0,
  coinsDelta: 100,
  status: 'ok',
  code: null,
  fingerprint: 'reward|100',
  createdAt: 1_700_000_000_000,
  ...over,
});

/** A recorded refusal (a purchase rejected for funds) of `playerId` in `worldId` at `createdAt`. */
const refusal = (key: string, createdAt: number, playerId = 'p1', worldId = 'w1'): LedgerEntryInput =>
  entry({
    key,
    playerId,
    worldId,
    kind: 'purchase',
    item: 'apple',
    unitPrice: 5,
    coinsDelta: 0,
    status: 'rejected',
    code: 'TX_INSUFFICIENT_FUNDS',
    createdAt,
  });

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`store contract: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;
    const extra: Store[] = [];

    beforeEach(async () => {
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await handle.dispose();
    });

    it('applies every migration on open, once, and keeps data across reopen', async () => {
      expect(store.kind).toBe(name);
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      await store.putPlayer({ id: 'p1', name: 'Ada' });
      await store.close();
      store = await handle.open();
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect((await store.getPlayer('p1'))?.name).toBe('Ada');
    });

    it('refuses a database whose schema is newer than this build', async () => {
      await store.close();
      await handle.raw(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'future', 0)`);
      expect(await codeOf(handle.open())).toBe('WT_ERR_STORE_MIGRATION_FAILED');
      store = await (async () => {
        await handle.raw(`DELETE FROM schema_migrations WHERE version = ${LATEST_SCHEMA_VERSION + 1}`);
        return handle.open();
      })();
    });

    it('commits a ledger batch in one transaction with increasing seqs; a repeated key returns the original', async () => {
      const before = store.stats();
      const res = await store.commitLedger([
        entry({ key: 'a', coinsDelta: 100 }),
        entry({
          key: 'b',
          kind: 'purchase',
          item: 'sword',
          quantity: 2,
          unitPrice: 10,
          coinsDelta: -20,
          fingerprint: 'purchase|sword|2|10',
        }),
        entry({ key: 'c', playerId: 'p2', coinsDelta: 5 }),
      ]);
      expect(res.map((r) => r.duplicate)).toEqual([false, false, false]);
      expect(res[0].entry.seq).toBeLessThan(res[1].entry.seq);
      expect(res[1].entry.seq).toBeLessThan(res[2].entry.seq);
      const after = store.stats();
      expect(after.ledgerBatches - before.ledgerBatches).toBe(1);
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.ledgerEntries - before.ledgerEntries).toBe(3);

      const again = await store.commitLedger([
        entry({ key: 'a', coinsDelta: 999, fingerprint: 'other' }),
        entry({ key: 'd', coinsDelta: 1 }),
      ]);
      expect(again[0]).toEqual({ entry: res[0].entry, duplicate: true });
      expect(again[1].duplicate).toBe(false);
      expect(store.stats().ledgerEntries - before.ledgerEntries).toBe(4);

      const found = await store.findLedgerEntries([
        { playerId: 'p1', key: 'b' },
        { playerId: 'p1', key: 'zzz' },
        { playerId: 'p2', key: 'c' },
      ]);
      expect(found.map((e) => e.key).sort()).toEqual(['b', 'c']);
      expect(found.find((e) => e.key === 'b')).toEqual(res[1].entry);
    });

    it('keeps a key repeated inside one batch once', async () => {
      const res = await store.commitLedger([entry({ key: 'x', coinsDelta: 7 }), entry({ key: 'x', coinsDelta: 8 })]);
      expect(res[0].duplicate).toBe(false);
      expect(res[1]).toEqual({ entry: res[0].entry, duplicate: true });
      expect((await store.ledgerBalance('p1')).coins).toBe(7);
    });

    it('reads the ledger in seq order with filters and sums balances from ok entries only', async () => {
      await store.commitLedger([
        entry({ key: '1', coinsDelta: 50 }),
        entry({ key: '2', kind: 'purchase', item: 'apple', quantity: 3, unitPrice: 5, coinsDelta: -15 }),
        entry({
          key: '3',
          kind: 'purchase',
          item: 'apple',
          quantity: 100,
          unitPrice: 5,
          coinsDelta: 0,
          status: 'rejected',
          code: 'TX_INSUFFICIENT_FUNDS',
        }),
        entry({ key: '4', playerId: 'p2', worldId: 'w2', coinsDelta: 9 }),
        entry({ key: '5', kind: 'reward', item: 'gem', quantity: 1, coinsDelta: 0 }),
      ]);
      const all = await store.readLedger({});
      expect(all.map((e) => e.key)).toEqual(['1', '2', '3', '4', '5']);
      expect((await store.readLedger({ playerId: 'p2' })).map((e) => e.key)).toEqual(['4']);
      expect((await store.readLedger({ worldId: 'w1', afterSeq: all[1].seq })).map((e) => e.key)).toEqual(['3', '5']);
      expect((await store.readLedger({ limit: 2 })).length).toBe(2);
      const rejected = all[2];
      expect(rejected.status).toBe('rejected');
      expect(rejected.code).toBe('TX_INSUFFICIENT_FUNDS');
      expect(await store.ledgerBalance('p1')).toEqual({ coins: 35, items: { apple: 3, gem: 1 }, lastSeq: all[4].seq });
      expect(await store.ledgerBalance('nobody')).toEqual({ coins: 0, items: {}, lastSeq: 0 });
    });

    it('prunes recorded refusals older than a time, oldest first, at most a limit; never an ok entry', async () => {
      await store.commitLedger([
        entry({ key: 'old-ok', createdAt: 1000 }),
        refusal('r3', 3000),
        refusal('r1', 1000),
        refusal('r2', 2000, 'p2'),
        refusal('r9', 9000),
      ]);
      const balance = await store.ledgerBalance('p1');
      expect(await store.pruneLedgerRefusals(5000, 2)).toBe(2);
      expect((await store.readLedger({})).map((e) => e.key)).toEqual(['old-ok', 'r3', 'r9']);
      expect(await store.pruneLedgerRefusals(5000, 100)).toBe(1);
      expect(await store.pruneLedgerRefusals(5000, 100)).toBe(0);
      expect((await store.readLedger({})).map((e) => e.key)).toEqual(['old-ok', 'r9']);
      expect(await store.ledgerBalance('p1')).toMatchObject({ coins: balance.coins, items: balance.items });
      // A pruned key is free again: the same (player, key) can be committed anew.
      const again = await store.commitLedger([refusal('r1', 10_000)]);
      expect(again[0].duplicate).toBe(false);
    });

    it("reads a player's refusal times in one world since a time, the newest up to a limit, oldest first", async () => {
      await store.commitLedger([
        entry({ key: 'ok', createdAt: 4000 }),
        refusal('r5', 5000),
        refusal('r1', 1000),
        refusal('r3', 3000),
        refusal('r4', 4000),
        refusal('other-player', 4500, 'p2'),
        refusal('other-world', 4600, 'p1', 'w2'),
      ]);
      expect(await store.ledgerRefusalTimes('w1', 'p1', 2000, 10)).toEqual([3000, 4000, 5000]);
      expect(await store.ledgerRefusalTimes('w1', 'p1', 0, 2)).toEqual([4000, 5000]);
      expect(await store.ledgerRefusalTimes('w2', 'p1', 0, 10)).toEqual([4600]);
      expect(await store.ledgerRefusalTimes('w1', 'p3', 0, 10)).toEqual([]);
    });

    it('fencing: keeps the highest token per world and refuses stale writes, changing nothing', async () => {
      expect(await store.currentFence('w1')).toBe(0);
      expect(await store.fence({ worldId: 'w1', token: 5 })).toBe(5);
      expect(await codeOf(store.fence({ worldId: 'w1', token: 3 }))).toBe('WT_ERR_STORE_FENCED');
      expect(await store.fence({ worldId: 'w2', token: 1 })).toBe(1);

      expect(await codeOf(store.commitLedger([entry({ key: 'stale' })], { worldId: 'w1', token: 4 }))).toBe('WT_ERR_STORE_FENCED');
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'stale' }])).toEqual([]);
      await store.commitLedger([entry({ key: 'fresh' })], { worldId: 'w1', token: 5 });
      await store.commitLedger([entry({ key: 'newer' })], { worldId: 'w1', token: 7 });
      expect(await store.currentFence('w1')).toBe(7);
      expect(await codeOf(store.commitLedger([entry({ key: 'old-owner' })], { worldId: 'w1', token: 5 }))).toBe('WT_ERR_STORE_FENCED');

      const cp = { worldId: 'w1', step: 1, worldTime: 1, config: {}, data: new Uint8Array([1]), fencingToken: 6 };
      expect(await codeOf(store.saveCheckpoint(cp, { fence: { worldId: 'w1', token: 6 } }))).toBe('WT_ERR_STORE_FENCED');
      expect(await store.loadCheckpoint('w1')).toBeUndefined();
      expect(await codeOf(store.putWorldConfig('w1', { a: 1 }, { fence: { worldId: 'w1', token: 2 } }))).toBe('WT_ERR_STORE_FENCED');
      expect(await store.getWorldConfig('w1')).toBeUndefined();
      expect(store.stats().fencedRefusals).toBe(5);
      expect(await codeOf(store.fence({ worldId: 'w1', token: -1 }))).toBe('WT_ERR_OPTION_INVALID');
    });

    it('fencing holds across two instances sharing the store', async () => {
      const other = await handle.open();
      extra.push(other);
      await store.fence({ worldId: 'w1', token: 1 });
      await other.fence({ worldId: 'w1', token: 2 });
      expect(await codeOf(store.commitLedger([entry({ key: 'from-old' })], { worldId: 'w1', token: 1 }))).toBe('WT_ERR_STORE_FENCED');
      await other.commitLedger([entry({ key: 'from-new' })], { worldId: 'w1', token: 2 });
      expect((await store.readLedger({})).map((e) => e.key)).toEqual(['from-new']);
    });

    it('saves and loads checkpoints (bytes + metadata); load returns the newest', async () => {
      const bytes = new Uint8Array(70_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
      const first = await store.saveCheckpoint({
        worldId: 'w1',
        step: 10,
        worldTime: 0.5,
        config: { simulation: { timeScale: 60 } },
        data: new Uint8Array([9, 9]),
        fencingToken: 3,
      });
      const second = await store.saveCheckpoint(
        {
          worldId: 'w1',
          step: 20,
          worldTime: 1.25,
          config: { simulation: { timeScale: 2 } },
          data: bytes,
          fencingToken: 3,
          meta: { format: 1, ledgerSeq: 42 },
        },
        { keep: 1 },
      );
      expect(second.id).toBeGreaterThan(first.id);
      await store.saveCheckpoint({ worldId: 'w2', step: 1, worldTime: 0, config: null, data: new Uint8Array(0), fencingToken: 0 });
      const loaded = await store.loadCheckpoint('w1');
      expect(loaded).toBeDefined();
      expect(loaded!.id).toBe(second.id);
      expect(loaded!.step).toBe(20);
      expect(loaded!.worldTime).toBe(1.25);
      expect(loaded!.config).toEqual({ simulation: { timeScale: 2 } });
      expect(loaded!.meta).toEqual({ format: 1, ledgerSeq: 42 });
      expect(loaded!.fencingToken).toBe(3);
      expect(loaded!.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(Buffer.from(loaded!.data), Buffer.from(bytes))).toBe(0);
      expect((await store.loadCheckpoint('w2'))!.data.byteLength).toBe(0);
      expect(await store.loadCheckpoint('nope')).toBeUndefined();
      expect(store.stats().checkpointsSaved).toBe(3);
      // The one kept before the newest (keep 2 by default): loaded by `before`.
      const third = await store.saveCheckpoint({
        worldId: 'w1',
        step: 30,
        worldTime: 2,
        config: null,
        data: new Uint8Array([3]),
        fencingToken: 3,
      });
      expect((await store.loadCheckpoint('w1', { before: third.id }))?.step).toBe(20);
      expect(await store.loadCheckpoint('w1', { before: second.id })).toBeUndefined(); // pruned by keep: 1
      expect((await store.loadCheckpoint('w1', { before: third.id + 1 }))?.step).toBe(30);
    });

    it('stores player records; an update keeps createdAt', async () => {
      const a = await store.putPlayer({ id: 'p1', name: 'Ada', data: { level: 1 } });
      const b = await store.putPlayer({ id: 'p1', name: 'Ada L.', data: { level: 2 } });
      expect(b.createdAt).toBe(a.createdAt);
      expect(await store.getPlayer('p1')).toEqual(b);
      expect(b).toMatchObject({ id: 'p1', name: 'Ada L.', data: { level: 2 } });
      expect(await store.getPlayer('p2')).toBeUndefined();
    });

    it('writeSessions applies player and session writes in order in one transaction; an update keeps createdAt', async () => {
      const first = await store.putPlayer({ id: 'p0', name: 'Ada', data: { x: 1 } });
      await store.putSession({ token: 'gone', playerId: 'p0', worldId: 'w1', expiresAt: 2e12, data: {} });
      const before = store.stats().transactions;
      const rec = (token: string, live: boolean) => ({ token, playerId: 'p1', worldId: 'w1', expiresAt: 2e12, data: { live } });
      await store.writeSessions([
        ...Array.from({ length: 50 }, (_, i) => ({ kind: 'player' as const, id: `p${i}`, name: `n${i}`, data: { x: i } })),
        { kind: 'session', record: rec('t1', true) },
        { kind: 'session', record: rec('t1', false) }, // the later write wins
        { kind: 'dropSession', token: 'gone' },
        { kind: 'session', record: rec('t2', true) },
        { kind: 'dropSession', token: 't2' },
      ]);
      expect(store.stats().transactions).toBe(before + 1);
      expect(await store.getPlayer('p49')).toMatchObject({ name: 'n49', data: { x: 49 } });
      expect(await store.getPlayer('p0')).toMatchObject({ name: 'n0', data: { x: 0 }, createdAt: first.createdAt });
      expect((await store.getSession('t1', 0))?.data).toEqual({ live: false });
      expect(await store.getSession('gone', 0)).toBeUndefined();
      expect(await store.getSession('t2', 0)).toBeUndefined();
      await store.writeSessions([]);
      expect(store.stats().transactions).toBe(before + 1); // nothing to write: no transaction
    });

    it('stores session/resume records with expiry', async () => {
      const now = 1_800_000_000_000;
      await store.putSession({ token: 't1', playerId: 'p1', worldId: 'w1', expiresAt: now + 1000, data: { lastInputSeq: 7 } });
      await store.putSession({ token: 't2', playerId: 'p2', worldId: 'w1', expiresAt: now - 1, data: {} });
      expect(await store.getSession('t1', now)).toEqual({
        token: 't1',
        playerId: 'p1',
        worldId: 'w1',
        expiresAt: now + 1000,
        data: { lastInputSeq: 7 },
      });
      expect(await store.getSession('t1', now + 1000)).toBeUndefined();
      expect(await store.getSession('t2', now)).toBeUndefined();
      await store.putSession({ token: 't1', playerId: 'p1', worldId: 'w2', expiresAt: now + 5000, data: {} });
      expect((await store.getSession('t1', now + 2000))?.worldId).toBe('w2');
      expect(await store.pruneSessions(now, 10)).toBe(1);
      expect(await store.deleteSession('t1')).toBe(true);
      expect(await store.deleteSession('t1')).toBe(false);
      expect(await store.getSession('t1', now)).toBeUndefined();
    });

    it('stores world configs', async () => {
      await store.putWorldConfig('w2', { simulation: { timeScale: 1 } });
      const r = await store.putWorldConfig('w1', { simulation: { pauseSimulation: true } });
      expect(r.worldId).toBe('w1');
      expect((await store.getWorldConfig('w1'))?.config).toEqual({ simulation: { pauseSimulation: true } });
      expect((await store.listWorldConfigs()).map((c) => c.worldId)).toEqual(['w1', 'w2']);
      await store.putWorldConfig('w1', { simulation: { pauseSimulation: false } });
      expect((await store.getWorldConfig('w1'))?.config).toEqual({ simulation: { pauseSimulation: false } });
      expect(await store.deleteWorldConfig('w1')).toBe(true);
      expect(await store.deleteWorldConfig('w1')).toBe(false);
      expect(await store.getWorldConfig('w1')).toBeUndefined();
      expect(await codeOf(store.putWorldConfig('w3', undefined))).toBe('WT_ERR_OPTION_INVALID');
    });

    it('tells whether a world has a stored config by its key, without reading it', async () => {
      expect(await store.hasWorldConfig('w1')).toBe(false);
      await store.putWorldConfig('w1', { simulation: { timeScale: 1 } });
      await store.putWorldConfig('w10', { simulation: { timeScale: 1 } });
      expect(await store.hasWorldConfig('w1')).toBe(true);
      expect(await store.hasWorldConfig('w')).toBe(false);
      expect(await store.hasWorldConfig('W1')).toBe(false);
      // A record that is not even JSON (written by hand, or damaged) is there all the same.
      await handle.raw(`INSERT INTO world_configs (world_id, config, updated_at) VALUES ('garbled', 'not json', 1)`);
      expect(await store.hasWorldConfig('garbled')).toBe(true);
      // Read, it is unreadable (not a SyntaxError): the world record's reader skips the world (src/store/rows.ts).
      expect((await store.getWorldConfig('garbled'))?.config).toMatchObject({ unreadable: expect.stringMatching(/^not JSON/) });
      expect((await store.listWorldConfigs()).map((r) => r.worldId)).toContain('garbled');
      expect(await store.deleteWorldConfig('w1')).toBe(true);
      expect(await store.hasWorldConfig('w1')).toBe(false);
      expect(await store.hasWorldConfig('w10')).toBe(true);
    });

    it('deletes a world config of one incarnation only', async () => {
      await store.putWorldConfig('w1', { incarnation: 'new', clock: { step: 1 } });
      await store.putWorldConfig('w2', { simulation: { timeScale: 1 } });
      expect(await store.deleteWorldConfig('w1', { incarnation: 'old' })).toBe(false);
      expect(await store.deleteWorldConfig('w2', { incarnation: 'old' })).toBe(false);
      expect((await store.getWorldConfig('w1'))?.config).toEqual({ incarnation: 'new', clock: { step: 1 } });
      expect(await store.deleteWorldConfig('w1', { incarnation: 'new' })).toBe(true);
      expect(await store.getWorldConfig('w1')).toBeUndefined();
      expect(await store.deleteWorldConfig('w3', { incarnation: 'new' })).toBe(false);
      expect((await store.listWorldConfigs()).map((c) => c.worldId)).toEqual(['w2']);
    });

    it('refuses a fenced delete of a world record once a higher token was seen (another instance took the world over)', async () => {
      await store.putWorldConfig('w1', { incarnation: 'i1', clock: { step: 1 } }, { fence: { worldId: 'w1', token: 1 } });
      // The world moved on: the new owner announced token 2 and writes the record under it.
      await store.fence({ worldId: 'w1', token: 2 });
      await store.putWorldConfig('w1', { incarnation: 'i1', clock: { step: 2 } }, { fence: { worldId: 'w1', token: 2 } });
      expect(await codeOf(store.deleteWorldConfig('w1', { incarnation: 'i1', fence: { worldId: 'w1', token: 1 } }))).toBe(
        'WT_ERR_STORE_FENCED',
      );
      expect((await store.getWorldConfig('w1'))?.config).toEqual({ incarnation: 'i1', clock: { step: 2 } });
      // The owner's token (or a world never fenced) deletes it.
      expect(await store.deleteWorldConfig('w1', { incarnation: 'i1', fence: { worldId: 'w1', token: 2 } })).toBe(true);
      await store.putWorldConfig('w3', { incarnation: 'i3' });
      expect(await store.deleteWorldConfig('w3', { fence: { worldId: 'w3', token: 1 } })).toBe(true);
      expect(await store.listWorldConfigs()).toEqual([]);
    });

    it("deletes a world's checkpoints with its record (of that incarnation only when one is named)", async () => {
      const cp = (worldId: string, incarnation: string) =>
        store.saveCheckpoint({
          worldId,
          step: 1,
          worldTime: 0,
          config: null,
          data: new Uint8Array(8),
          fencingToken: 0,
          meta: { incarnation },
        });
      await store.putWorldConfig('w1', { incarnation: 'old' });
      await cp('w1', 'old');
      await cp('w2', 'old');
      expect(await store.deleteWorldConfig('w1', { incarnation: 'old' })).toBe(true);
      expect(await store.loadCheckpoint('w1')).toBeUndefined();
      expect((await store.loadCheckpoint('w2'))?.worldId).toBe('w2'); // another world's stay
      // A world created again under the id: deleting the old incarnation leaves the new one's.
      await store.putWorldConfig('w1', { incarnation: 'new' });
      await cp('w1', 'new');
      expect(await store.deleteWorldConfig('w1', { incarnation: 'old' })).toBe(false);
      expect((await store.loadCheckpoint('w1'))?.meta).toEqual({ incarnation: 'new' });
      // No incarnation named: the world's record and every checkpoint of it.
      await cp('w3', 'a');
      await store.putWorldConfig('w3', {});
      expect(await store.deleteWorldConfig('w3')).toBe(true);
      expect(await store.loadCheckpoint('w3')).toBeUndefined();
    });

    it('fails with WT_ERR_STORE_CLOSED after close', async () => {
      await store.close();
      await store.close();
      expect(await codeOf(store.getPlayer('p1'))).toBe('WT_ERR_STORE_CLOSED');
      expect(await codeOf(store.commitLedger([entry()]))).toBe('WT_ERR_STORE_CLOSED');
      store = await handle.open();
    });
  });
}
