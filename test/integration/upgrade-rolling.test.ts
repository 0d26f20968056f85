/**
 * A rolling upgrade from this build onward, seen from an instance of this build (the OLD one) on a
 * shared PostgreSQL: while it runs, a newer build migrates the database (here: the row its
 * migration leaves in `schema_migrations`). The instance steps on and its stop writes the final
 * checkpoint (exit 0) — its checkpoint writer thread connects at its first checkpoint, after the
 * migration, and attaches instead of refusing the newer schema; before the fix that checkpoint
 * failed (`store migration failed`, exit 1) and the world's state since its last checkpoint was lost
 * to the next owner. (Started again on the migrated database this build refuses: exit 2;
 * upgrade-newer-store.test.ts.) docs/CLUSTER.md "Rolling upgrade".
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.js';
import { startInstance, type TestInstance } from '../helpers/cluster-instances.js';
import { startPostgres, type PgServer } from '../helpers/postgres-server.js';

const NEWER = LATEST_SCHEMA_VERSION + 1;

describe('upgrade: a newer build migrates the shared store under a running instance', async () => {
  const server = await startPostgres();
  const skip = 'skip' in server ? server.skip : null;
  if (skip) console.warn(`upgrade-rolling: skipped (${skip})`);
  const started: TestInstance[] = [];
  afterAll(async () => {
    await Promise.all(started.map((i) => i.stop())); // left running by a failed assertion
    if (!skip) await (server as PgServer).destroy();
  }, 30_000);

  it.skipIf(skip !== null)(
    'the running instance steps on and writes its final checkpoint at its stop',
    async () => {
      const url = (server as PgServer).url;
      const sql = async (text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return (await c.query(text, values)).rows;
        } finally {
          await c.end();
        }
      };
      const args = ['--store', url, '--npcs', '50', '--checkpoint-interval', '3600', '--stats-interval', '0'];
      // A first run creates the default world: its first checkpoint is taken at open, which starts the
      // writer thread then. Started again, the world is restored and nothing checkpoints before the
      // stop (interval one hour): the writer thread connects only at the stop, after the migration.
      const first = await startInstance('first', args);
      started.push(first);
      await first.stop();
      expect(first.child.exitCode).toBe(0);
      const newest = async (): Promise<number> => Number((await sql('SELECT max(id) AS id FROM checkpoints'))[0]?.id ?? 0);
      const before = await newest();
      expect(before).toBeGreaterThan(0);
      const old = await startInstance('old', args);
      started.push(old);
      expect(await newest()).toBe(before);
      await sql('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [NEWER, 'a newer build', Date.now()]);
      await old.api('POST', '/api/v1/worlds/1/scheduler/step', { n: 3 }); // it steps on, on the migrated database
      await old.stop();
      expect(old.child.exitCode).toBe(0);
      const stopped = old.lines.find((l) => l.msg === 'runtime stopped');
      expect(stopped?.failed).toBe(0);
      const [ck] = await sql("SELECT step FROM checkpoints WHERE world_id = '1' ORDER BY id DESC LIMIT 1");
      expect(Number(ck?.step)).toBeGreaterThan(0);
      expect(await newest()).toBeGreaterThan(before); // the stop's
      // Started again on the migrated database, this build is refused (the process-level refusal:
      // upgrade-newer-store.test.ts; a new PostgreSQL open of it: the same file).
      expect(await sql('SELECT max(version) AS v FROM schema_migrations')).toEqual([{ v: NEWER }]);
    },
    60_000,
  );
});
