/**
 * A writer to pause, run as a process by test/integration/durability/pg-paused-writer.test.ts:
 * `node test/helpers/pg-paused-writer-main.ts <json>` with `{ url, worldId, token, queryTimeoutMs,
 * idleInTransactionTimeoutMs }`. It opens the product's PostgreSQL store (one pooled connection),
 * prints `{"msg":"open"}`, makes one fenced ledger commit (the test pauses it mid-transaction from
 * outside), prints `{"msg":"commit",…}` with its outcome (and the store's `idleTransactionsEnded`), tries the same commit once more and prints
 * `{"msg":"retry",…}`, then closes the store and exits.
 */
import { PostgresStore } from '../../src/store/postgres-store.js';
import { rewardEntry } from './ledger-entries.js';

interface Args {
  url: string;
  worldId: string;
  token: number;
  queryTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const outcome = (err: unknown): Record<string, unknown> => {
  const e = err as { code?: unknown; message?: unknown; details?: { reason?: unknown } };
  return { ok: false, code: e.code, reason: e.details?.reason, message: String(e.message) };
};

const entry = rewardEntry('paused-1', { worldId: args.worldId });

const store = await PostgresStore.open({
  url: args.url,
  maxConnections: 1,
  queryTimeoutMs: args.queryTimeoutMs,
  idleInTransactionTimeoutMs: args.idleInTransactionTimeoutMs,
});
say({ msg: 'open' });
const fence = { worldId: args.worldId, token: args.token };
for (const msg of ['commit', 'retry']) {
  try {
    await store.commitLedger([entry], fence);
    say({ msg, ok: true });
  } catch (err) {
    say({ msg, ...outcome(err), idleTransactionsEnded: store.stats().idleTransactionsEnded });
  }
}
await store.close();
