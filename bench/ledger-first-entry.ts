/**
 * What a PostgreSQL commit's first-entry check costs (docs/DURABILITY.md "Transactions: one ledger":
 * a player expected at `lastSeq` 0 gets a neutral `ledger_balances` row before the rows are locked).
 * Figures, one fresh server per run:
 *   - `first`: `commitLedger` batches of rewards to players with no entry yet, each expected at 0
 *     (the path with the extra INSERT), batch sizes 1 and 64;
 *   - `known`: the same players again, expected at their `lastSeq` (no extra statement: control);
 *   - `seed`: 500 rewards to new players at once through the ledger service (what the durability
 *     suite does before each run; group commit on).
 * Wall µs per entry (PostgreSQL: round trips and the server's work included). An A/B runs this file
 * in a copy of the base commit and in this tree, alternated. Prints JSON.
 *
 *   npx tsx bench/ledger-first-entry.ts [--quick]
 */
import { createCatalogue } from '../src/ledger/catalogue.js';
import { LedgerService } from '../src/ledger/ledger-service.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { startPostgres } from '../test/helpers/postgres-server.js';

const QUICK = process.argv.includes('--quick');
const ENTRIES = QUICK ? 2048 : 8192;

const reward = (playerId: string, key: string): LedgerEntryInput => ({
  worldId: 'bench',
  playerId,
  key,
  kind: 'reward',
  item: null,
  quantity: 0,
  unitPrice: 0,
  coinsDelta: 10,
  status: 'ok',
  code: null,
  fingerprint: 'reward|10||0',
  createdAt: Date.now(),
});

/** Wall µs per entry of committing ENTRIES rewards in batches of `size` to players `${tag}-<i>`, each expected at `seqOf`. */
const commitRun = async (store: Store, tag: string, size: number, key: string, seqOf: Map<string, number>): Promise<number> => {
  const t0 = performance.now();
  for (let i = 0; i < ENTRIES; i += size) {
    const batch = Array.from({ length: size }, (_, j) => reward(`${tag}-${i + j}`, key));
    const out = await store.commitLedger(batch, undefined, new Map(batch.map((e) => [e.playerId, seqOf.get(e.playerId) ?? 0])));
    for (const r of out) seqOf.set(r.entry.playerId, r.entry.seq);
  }
  return Math.round(((performance.now() - t0) * 1000) / ENTRIES);
};

const main = async (): Promise<void> => {
  const pg = await startPostgres();
  if ('skip' in pg) throw new Error(`no PostgreSQL: ${pg.skip}`);
  const store = await PostgresStore.open({ url: pg.url });
  try {
    const figures: Record<string, number> = {};
    for (const size of [1, 64]) {
      const seqs = new Map<string, number>();
      figures[`firstUsPerEntry@${size}`] = await commitRun(store, `b${size}`, size, 'first', seqs);
      figures[`knownUsPerEntry@${size}`] = await commitRun(store, `b${size}`, size, 'second', seqs);
    }
    const ledger = new LedgerService({
      store,
      catalogue: createCatalogue([{ id: 'apple', price: 1 }]),
      worldId: 'bench',
      rateLimit: { perSecond: 0 },
    });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 500 }, (_, i) => ledger.reward({ playerId: `seed-${i}`, key: 'seed', coins: 1_000_000 })));
    figures.seed500Ms = Math.round(performance.now() - t0);
    await ledger.close();
    console.log(JSON.stringify(figures));
  } finally {
    await store.close();
    await pg.destroy();
  }
};

await main();
