/**
 * Child process of test/integration/leaks/pg-read-results.test.ts: opens a PostgresStore on the URL in
 * argv[2], stores six world records with ids `<argv[3]>-0` … `-5`, reads them back with four listings at
 * once (the pool opens a connection for each listing it cannot serve from an idle one), deletes them,
 * prints `{"ready":true,…}` and stays up until its stdin ends: the test reads its heap meanwhile. The ids
 * live only inside `work` (the prefix alone, in argv, does not contain them).
 */
import { PostgresStore } from '../../src/store/postgres-store.js';

const store = await PostgresStore.open({ url: process.argv[2] ?? '' });

const work = async (prefix: string): Promise<{ seen: number[]; left: number }> => {
  const ids = Array.from({ length: 6 }, (_, n) => `${prefix}-${n}`);
  for (const id of ids) await store.putWorldConfig(id, { note: 'heap test' });
  const lists = await Promise.all(Array.from({ length: 4 }, () => store.listWorldConfigs()));
  const seen = lists.map((l) => l.filter((r) => ids.includes(r.worldId)).length);
  for (const id of ids) await store.deleteWorldConfig(id);
  return { seen, left: (await store.listWorldConfigs()).length };
};

process.stdout.write(`${JSON.stringify({ ready: true, ...(await work(process.argv[3] ?? 'x')) })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void store.close().then(() => process.exit(0)));
