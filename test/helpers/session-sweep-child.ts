/**
 * Child process of the session-sweep kill test (test/integration/durability/session-sweep-kill.test.ts):
 * opens the store (`sqlite <dataDir>` or `postgres <url>`), starts one durable-sessions sweep pass over
 * the backlog the test wrote, and meanwhile parks the live players `l0..l49` again, one every 5 ms (writes
 * queued between the sweep's transactions). Prints `swept <n>` each time the count grows — until the
 * parent kills it with SIGKILL.
 */
import { DurableSessions } from '../../src/net/durable-sessions.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';

const [kind, where] = process.argv.slice(2);
const store: Store = kind === 'postgres' ? await PostgresStore.open({ url: where ?? '' }) : new SqliteStore({ dataDir: where ?? '' });
const ds = new DurableSessions(
  store,
  () => 600,
  (err) => process.stderr.write(`sweep child: ${String(err)}\n`),
);
ds.prune();
let printed = 0;
let turn = 0;
const tick = (): void => {
  const i = turn++ % 50;
  ds.park(`l${i}`, `x:l${i}`, 'w', 'n', i, i);
  if (ds.expiredSessionsSwept !== printed) {
    printed = ds.expiredSessionsSwept;
    process.stdout.write(`swept ${printed}\n`);
  }
  setTimeout(tick, 5);
};
tick();
