/**
 * Two cluster instances for the tests of a failed admin create (create-undo-during-takeover,
 * create-orphan-after-kill): `a` on the store as it is, `b` whose PostgreSQL client gives up a query
 * after 1 s (a slow store, seen from b), so a create on b whose record write is held by a trigger
 * (test/helpers/pg-record-triggers.ts) is answered 503. Lease TTL 2 s; no NPCs, periodic checkpoints or
 * balance rounds.
 */
import { startFirstThenRest, ownsDefaultWorld, until, type TestInstance } from './cluster-instances.js';
import type { PgServer } from './postgres-server.js';
import type { RedisTestServer } from './redis-server.js';
import { sharedStoreArgs } from './shared-cluster.js';

/** Start `a` then `b` into `children`; resolves once `a` sees both. */
export const startSlowCreatorPair = async (children: TestInstance[], redis: RedisTestServer, db: PgServer): Promise<void> => {
  const common = ['--lease-ttl', '2', '--npcs', '0', '--checkpoint-interval', '0', '--balance-interval', '0'];
  const slowB = { ...db, url: `${db.url}?query_timeout=1000` };
  await startFirstThenRest(
    children,
    ['a', [...sharedStoreArgs(redis, db), ...common]],
    [['b', [...sharedStoreArgs(redis, slowB), ...common]]],
    ownsDefaultWorld,
  );
  const [a] = children as [TestInstance];
  await until('2 instances', async () => (await a.api('GET', '/api/v1/cluster')).json.instances.length === 2);
};

/** A failure's message with what each instance logged about `world` (and `state`, when given, first). */
export const explainWorld =
  (children: readonly TestInstance[], world: string, state?: () => Promise<string>) =>
  async (err: Error): Promise<never> => {
    const about = (i: TestInstance): unknown[] => i.lines.filter((l) => l.world === world).map((l) => l.msg);
    const s = state ? ` (${await state()})` : '';
    throw new Error(`${err.message}${s}: ${children.map((i) => `${i.id}: ${JSON.stringify(about(i))}`).join('; ')}`);
  };
