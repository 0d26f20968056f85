/**
 * Store failures under the ledger, on both stores: SQLite with its file capped (disk full), and a
 * real PostgreSQL server stopped and restarted. A failing store gives coded errors, requests are
 * retried with backoff within their deadline, then answered TX_UNAVAILABLE; nothing acknowledged
 * is lost and nothing unacknowledged is half-written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { createCatalogue } from '../../../src/ledger/catalogue.js';
import type { TxResult } from '../../../src/ledger/decide.js';
import { LedgerService } from '../../../src/ledger/ledger-service.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { startPostgres } from '../../helpers/postgres-server.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

const catalogue = createCatalogue([{ id: 'apple', price: 2 }]);
const pgServer = await startPostgres();
if ('skip' in pgServer) console.warn(`[ledger faults] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});

interface Backend {
  open(): Promise<Store>;
  /** Make writes fail (and say with which store-unavailable reason). */
  break(store: Store): Promise<string>;
  heal(store: Store): Promise<void>;
  dispose(): Promise<void>;
}

const sqliteBackend = (): Backend => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-faults-'));
  return {
    open: async () => new SqliteStore({ dataDir: dir }),
    async break(store) {
      const s = store as SqliteStore;
      s.setMaxPageCount(s.pageCount());
      return 'full';
    },
    async heal(store) {
      (store as SqliteStore).setMaxPageCount(1_000_000_000);
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgresBackend = (): Backend | undefined => {
  if ('skip' in pgServer) return undefined;
  return {
    open: () => PostgresStore.open({ url: pgServer.url, connectTimeoutMs: 300 }),
    async break() {
      await pgServer.stop();
      return 'connection';
    },
    async heal() {
      await pgServer.start();
    },
    async dispose() {},
  };
};

/** Rewards with long keys: one batch needs many new pages (so a capped SQLite file is full). */
const burst = (l: LedgerService, tag: string, n = 200): Promise<TxResult[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => l.reward({ playerId: `p${i % 7}`, key: `${tag}-${i}-${'x'.repeat(100)}`, coins: 1 })));

for (const [name, make] of [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
] as const) {
  const backend = make();
  describe.skipIf(!backend)(`ledger under store failure: ${name}`, () => {
    it('coded errors, retry within the deadline, TX_UNAVAILABLE after it, nothing acknowledged lost', async () => {
      const b = backend!;
      let store = await b.open();
      try {
        // The healthy burst gets a deadline no loaded machine crosses: with the outage's 400 ms, 0 of 200 were
        // acknowledged once in a five-worker stress run (PostgreSQL; not reproduced: commits slower than the deadline).
        const l0 = new LedgerService({ store, catalogue, worldId: 'w1', deadlineMs: 10_000, rateLimit: { perSecond: 0 } });
        const acked = (await burst(l0, 'before')).filter((r) => r.status === 'ok');
        expect(acked.length).toBe(200);
        await l0.close();
        const l = new LedgerService({ store, catalogue, worldId: 'w1', deadlineMs: 400, rateLimit: { perSecond: 0 } });

        const reason = await b.break(store);
        // The store itself answers with a coded, retryable error.
        try {
          await store.commitLedger([
            rewardEntry('y'.repeat(120), { worldId: 'w1', playerId: 'q', fingerprint: 'f'.repeat(4000), createdAt: 0 }),
          ]);
          expect.unreachable('commit on a broken store resolved');
        } catch (err) {
          expect(isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')).toBe(true);
          expect((err as { details: { reason: string } }).details.reason).toBe(reason);
        }
        const failed = await burst(l, 'during');
        expect(new Set(failed.map((r) => r.code))).toEqual(new Set(['TX_UNAVAILABLE']));
        expect(l.stats().retries).toBeGreaterThan(0);
        expect(store.stats().unavailableErrors).toBeGreaterThan(0);

        // Requests in flight when the store comes back are committed within their deadline.
        const l2 = new LedgerService({ store, catalogue, worldId: 'w1', deadlineMs: 5000, rateLimit: { perSecond: 0 } });
        const pending = burst(l2, 'recover');
        await new Promise((r) => setTimeout(r, 150));
        await b.heal(store);
        const recovered = await pending;
        expect(recovered.every((r) => r.status === 'ok')).toBe(true);
        expect(l2.stats().retries).toBeGreaterThan(0);
        // A client retrying a TX_UNAVAILABLE with the same key now succeeds, once.
        const retried = await l2.reward({ playerId: failed[0].playerId, key: failed[0].key, coins: 1 });
        expect(retried.status).toBe('ok');
        await l.close();
        await l2.close();

        // Reopen: every acknowledged entry is there; nothing of the failed burst but the retried one.
        await store.close();
        store = await b.open();
        const all = await store.readLedger({});
        const keys = new Set(all.map((e) => e.key));
        for (const r of [...acked, ...recovered, retried]) expect(keys.has(r.key)).toBe(true);
        expect(all.filter((e) => e.key.startsWith('during-')).map((e) => e.key)).toEqual([retried.key]);
        expect(all.length).toBe(acked.length + recovered.length + 1);
      } finally {
        await store.close();
        await b.dispose();
      }
    });
  });
}
