/**
 * Child process of test/integration/durability/pg-connection-lost.test.ts: opens a PostgresStore
 * on the URL in argv[2] and, for every line on stdin, commits one fenced ledger entry (key = the
 * line) and prints the outcome as one JSON line. A connection lost mid-transaction must reject the
 * write with WT_ERR_STORE_UNAVAILABLE, never take the process down.
 */
import { createInterface } from 'node:readline';
import { isWorldtickError } from '../../src/errors.js';
import { PostgresStore } from '../../src/store/postgres-store.js';

const store = await PostgresStore.open({ url: process.argv[2] ?? '', connectTimeoutMs: 500 });
const say = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
say({ ready: true, pid: process.pid });
for await (const key of createInterface({ input: process.stdin })) {
  if (key === '') continue;
  const entry = {
    worldId: 'w',
    playerId: 'p1',
    key,
    kind: 'reward' as const,
    item: null,
    quantity: 0,
    unitPrice: 0,
    coinsDelta: 1,
    status: 'ok' as const,
    code: null,
    fingerprint: 'reward|1||0',
    createdAt: Date.now(),
  };
  try {
    const [r] = await store.commitLedger([entry], { worldId: 'w', token: 5 });
    say({ key, outcome: 'ok', seq: r?.entry.seq });
  } catch (err) {
    say({ key, outcome: 'rejected', code: isWorldtickError(err) ? err.code : String(err) });
  }
}
await store.close();
