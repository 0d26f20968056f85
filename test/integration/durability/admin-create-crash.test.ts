/**
 * A world created through the admin API survives a crash right after its `201` (found by the
 * crash campaign's create probe: on PostgreSQL the answer went out before the world's record was
 * written, and a SIGKILL right after the 201 lost the world 8 times out of 8). A real server
 * (`src/cli/main.ts`) on a real PostgreSQL: create a world, SIGKILL the server as soon as the
 * answer arrives, start it again on the same database — the world is back. The test holds the
 * world-records table locked while the creation runs, so an answer sent before the record is
 * durable is caught every time (not only when the kill wins a race).
 */
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { launchInstance, startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';

const server = await freshDatabase();
if ('skip' in server) console.warn(`[admin-create-crash] skipped: ${server.skip}`);
/** The server the first test restarted, left running for the second (which starts its own without it). */
let restarted: TestInstance | null = null;
/** Kills a server launched ahead of its turn that was never told to go (a failure before it). */
const warm: Array<() => void> = [];
afterAll(async () => {
  for (const kill of warm) kill();
  if (restarted) {
    restarted.child.kill('SIGKILL');
    if (restarted.child.exitCode === null && restarted.child.signalCode === null) await once(restarted.child, 'exit');
  }
  if (!('skip' in server)) await server.destroy();
});
const args = (url: string): string[] => ['--store', url, '--npcs', '50', '--stats-interval', '0', '--checkpoint-interval', '0'];

describe.skipIf('skip' in server)('admin world creation is durable when answered', () => {
  it('SIGKILL right after the 201: the world is back after the restart (PostgreSQL)', { timeout: 90_000 }, async () => {
    const pgs = server as Exclude<typeof server, { skip: string }>;
    const a = await startInstance('create', args(pgs.url));
    // The server after the kill loads its modules meanwhile; it opens the store only on its go, below.
    const next = await launchInstance('restart', args(pgs.url));
    warm.push(next.kill);
    // Hold world records still (a lock the record upsert waits for): an answer while it is held
    // was sent before the record was durable — the server is killed at once, before it can land.
    const locker = new pg.Client({ connectionString: pgs.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE world_configs IN EXCLUSIVE MODE');
    const post = a.api('POST', '/api/v1/worlds', { id: 'made', npcs: 40 });
    const early = await Promise.race([post.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
    if (early) {
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
    }
    await locker.query('ROLLBACK');
    await locker.end();
    expect((await post).status).toBe(201);
    if (!early) {
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
    }
    const b = await next.go();
    restarted = b; // stopped in afterAll
    const r = await b.api('GET', '/api/v1/worlds/made/stats');
    expect(r.status, `world made after the restart (answered ${early ? 'before' : 'after'} its record could be written)`).toBe(200);
    expect(r.json.id).toBe('made');
  });

  it('a record the store refuses: 503 WT_ERR_WORLD_NOT_DURABLE and no world; the id can be created later', {
    timeout: 60_000,
  }, async () => {
    const pgs = server as Exclude<typeof server, { skip: string }>;
    // The first test's restarted server has the same options (one process start less); alone, a server of its own.
    const own = restarted === null || restarted.child.exitCode !== null ? await startInstance('refused', args(pgs.url)) : null;
    const a = own ?? (restarted as TestInstance);
    const db = new pg.Client({ connectionString: pgs.url });
    await db.connect();
    try {
      // A real refusal by the database (a trigger raising an error) for this one world's record.
      await db.query(`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
      await db.query(`CREATE TRIGGER refuse_doomed BEFORE INSERT OR UPDATE ON world_configs
        FOR EACH ROW WHEN (NEW.world_id = 'doomed') EXECUTE FUNCTION refuse_doomed()`);
      const r = await a.api('POST', '/api/v1/worlds', { id: 'doomed', npcs: 10 });
      expect(r.status).toBe(503);
      expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
      expect(r.headers.get('retry-after')).toBe('1');
      expect((await a.api('GET', '/api/v1/worlds/doomed/stats')).status).toBe(404);
      await db.query('DROP TRIGGER refuse_doomed ON world_configs');
      expect((await a.api('POST', '/api/v1/worlds', { id: 'doomed', npcs: 10 })).status).toBe(201);
      expect((await db.query(`SELECT 1 FROM world_configs WHERE world_id = 'doomed'`)).rowCount).toBe(1);
    } finally {
      await db.end();
      if (own) {
        own.child.kill('SIGKILL');
        await once(own.child, 'exit');
      }
    }
  });
});
