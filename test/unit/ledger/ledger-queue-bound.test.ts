/**
 * The ledger service's queue is bounded (`maxQueued`): while the store does not answer (a stalled
 * disk or database), requests beyond the bound are answered `TX_UNAVAILABLE` at once and are not
 * held, so clients that keep buying cannot grow the server's memory. Real SQLite store; the stall
 * is a gate in front of its first read of a batch (a fault a test cannot cause otherwise).
 */
import { afterEach, expect, it } from 'vitest';
import { createCatalogue } from '../../../src/ledger/catalogue.js';
import type { TxResult } from '../../../src/ledger/decide.js';
import { LedgerService } from '../../../src/ledger/ledger-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const catalogue = createCatalogue([{ id: 'apple', price: 1 }]);
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A real store whose batch reads wait until `open()` is called. */
const stalled = (real: Store): { store: Store; open: () => void } => {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const store: Store = Object.create(real) as Store;
  store.findLedgerEntries = async (refs) => {
    await gate;
    return real.findLedgerEntries(refs);
  };
  return { store, open };
};

it('past maxQueued, requests are answered TX_UNAVAILABLE at once while the store stalls; the queue stays at the bound', async () => {
  const dir = tempDataDir('wt-ledger-queue-');
  const real = new SqliteStore({ dataDir: dir.dir });
  cleanup.push(
    () => dir.remove(),
    () => real.close(),
  );
  const { store, open } = stalled(real);
  const MAX = 50;
  const l = new LedgerService({
    store,
    catalogue,
    worldId: 'w1',
    rateLimit: { perSecond: 0 },
    maxQueued: MAX,
    maxBatch: 10,
    deadlineMs: 60_000,
  });
  cleanup.push(() => l.close(), open);
  // The first batch (10) leaves the queue and waits on the store; then the queue fills to MAX.
  const first = Array.from({ length: 10 }, (_, i) => l.reward({ playerId: `p${i}`, key: `r${i}`, coins: 5 }));
  await new Promise((r) => setTimeout(r, 20));
  const queued: Array<Promise<TxResult>> = [];
  for (let i = 0; i < MAX; i++) queued.push(l.purchase({ playerId: `q${i}`, key: `k${i}`, item: 'apple', quantity: 1, expectedPrice: 1 }));
  expect(l.queued).toBe(MAX);
  // 1,000 more from many players: each answered at once, none held.
  const pending = Array.from({ length: 1000 }, (_, i) =>
    l.purchase({ playerId: `x${i}`, key: `k${i}`, item: 'apple', quantity: 1, expectedPrice: 1 }),
  );
  expect(l.queued).toBe(MAX);
  const over = await Promise.all(pending);
  expect(over.every((r) => r.status === 'rejected' && r.code === 'TX_UNAVAILABLE' && r.seq === null)).toBe(true);
  expect(l.stats().rejected.TX_UNAVAILABLE).toBe(1000);
  // The store answers again: what was held is decided (rewards ok; purchases without coins refused).
  open();
  expect((await Promise.all(first)).every((r) => r.status === 'ok')).toBe(true);
  const later = await Promise.all(queued);
  expect(later.every((r) => r.code === 'TX_INSUFFICIENT_FUNDS')).toBe(true);
  expect(l.queued).toBe(0);
});
