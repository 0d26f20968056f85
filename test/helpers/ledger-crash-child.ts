/**
 * Child process of the crash test: rewards through a ledger service on SQLite, printing each
 * acknowledged key on stdout, forever — until the parent kills it with SIGKILL.
 */
import { createCatalogue } from '../../src/ledger/catalogue.js';
import { LedgerService } from '../../src/ledger/ledger-service.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const store = new SqliteStore({ dataDir: process.argv[2] });
const ledger = new LedgerService({ store, catalogue: createCatalogue([]), worldId: 'w1', rateLimit: { perSecond: 0 } });
let n = 0;
const wave = async (): Promise<void> => {
  const results = await Promise.all(Array.from({ length: 50 }, () => ledger.reward({ playerId: `p${n % 5}`, key: `k${n++}`, coins: 1 })));
  process.stdout.write(
    results
      .filter((r) => r.status === 'ok')
      .map((r) => `${r.key}\n`)
      .join(''),
  );
  setImmediate(() => void wave());
};
void wave();
