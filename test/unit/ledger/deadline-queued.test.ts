/**
 * A request's deadline holds also when it is queued behind a hung commit (src/ledger/deadline-guard.ts):
 * answered TX_UNAVAILABLE at its deadline, not when the hung attempt ends. Before, only the attempt's
 * own batch was answered on time; a request queued behind it waited for the store (a cut PostgreSQL:
 * its 5 s query timeout), past its client's own timeout. Real SQLite store; the hang is a gate in front
 * of its commit (a fault a test cannot cause otherwise). A retry with the same key after the store
 * answers again gets the commit's stored result, or commits once.
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

/** A real store whose ledger commits wait until `open()` is called. */
const hung = (real: Store): { store: Store; open: () => void; commits: () => number } => {
  let open: () => void = () => {};
  let commits = 0;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const store: Store = Object.create(real) as Store;
  store.commitLedger = async (...args) => {
    commits++;
    await gate;
    return real.commitLedger(...args);
  };
  return { store, open, commits: () => commits };
};

/** `p`'s answer, or 'unanswered' when none came within `ms` (far past the deadline under test). */
const within = (p: Promise<TxResult>, ms: number): Promise<TxResult | 'unanswered'> =>
  Promise.race([p, new Promise<'unanswered'>((r) => setTimeout(() => r('unanswered'), ms))]);

it('a request queued behind a hung commit is answered TX_UNAVAILABLE at its deadline; its retry commits once the store answers', async () => {
  const dir = tempDataDir('wt-ledger-deadline-');
  const real = new SqliteStore({ dataDir: dir.dir });
  cleanup.push(
    () => dir.remove(),
    () => real.close(),
  );
  const { store, open, commits } = hung(real);
  const l = new LedgerService({ store, catalogue, worldId: 'w1', rateLimit: { perSecond: 0 }, deadlineMs: 200 });
  cleanup.push(() => l.close(), open);
  const first = l.reward({ playerId: 'p1', key: 'r1', coins: 5 });
  for (let i = 0; i < 100 && commits() === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(commits()).toBe(1); // the first batch's commit hangs
  const queued = l.reward({ playerId: 'p2', key: 'r2', coins: 7 });
  // Both answered at their deadline (200 ms), the store still hung (5 s is only the bound of the wait).
  expect(await within(first, 5000)).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
  expect(await within(queued, 5000)).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
  expect(commits()).toBe(1);
  expect(l.stats().rejected.TX_UNAVAILABLE).toBe(2);
  // The store answers: the hung commit lands (r1); the queued request was answered, so it is not committed.
  open();
  await l.flush();
  expect((await real.readLedger({})).map((e) => e.key)).toEqual(['r1']);
  // The clients retry with the same keys: r1 gets its stored result, r2 commits now; once each.
  expect(await l.reward({ playerId: 'p1', key: 'r1', coins: 5 })).toMatchObject({ status: 'ok', replayed: true });
  expect(await l.reward({ playerId: 'p2', key: 'r2', coins: 7 })).toMatchObject({ status: 'ok' });
  expect((await real.readLedger({})).map((e) => e.key).sort()).toEqual(['r1', 'r2']);
});
