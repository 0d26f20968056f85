/**
 * A world deleted through the admin API stays deleted after a crash right after its `200` (the
 * match pattern, docs/ADMIN.md "Short-lived worlds": the answer went out before the world's record
 * was deleted, so a SIGKILL right after it brought the world back at the next start). A real server
 * (`src/cli/main.ts`) on a real PostgreSQL: create a world, delete it while the test holds the
 * world-records table locked, SIGKILL the server once the answer arrives, start it again on the
 * same database — the world is not there. The lock makes an answer sent before the delete is
 * durable show every time (not only when the kill wins a race).
 */
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { launchInstance, startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';

const server = await freshDatabase();
if ('skip' in server) console.warn(`[admin-delete-crash] skipped: ${server.skip}`);
const started: TestInstance[] = [];
/** Kills a server launched ahead of its turn that was never told to go (a failure before it). */
const warm: Array<() => void> = [];
afterAll(async () => {
  for (const kill of warm) kill();
  for (const i of started) {
    i.child.kill('SIGKILL');
    if (i.child.exitCode === null && i.child.signalCode === null) await once(i.child, 'exit');
  }
  if (!('skip' in server)) await server.destroy();
});
const args = (url: string): string[] => ['--store', url, '--npcs', '20', '--stats-interval', '0', '--checkpoint-interval', '0'];

describe.skipIf('skip' in server)('admin world deletion is durable when answered', () => {
  it('SIGKILL right after the 200: the world is not back after the restart (PostgreSQL)', { timeout: 90_000 }, async () => {
    const pgs = server as Exclude<typeof server, { skip: string }>;
    const a = await startInstance('delete', args(pgs.url));
    // The server after the kill loads its modules meanwhile; it opens the store only on its go, below.
    const next = await launchInstance('delete-restart', args(pgs.url));
    warm.push(next.kill);
    started.push(a);
    expect((await a.api('POST', '/api/v1/worlds', { id: 'match-9', npcs: 10 })).status).toBe(201);
    const locker = new pg.Client({ connectionString: pgs.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE world_configs IN EXCLUSIVE MODE');
    const del = a.api('DELETE', '/api/v1/worlds/match-9');
    const early = await Promise.race([del.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
    if (early) {
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
    }
    await locker.query('ROLLBACK');
    await locker.end();
    const answer = await del;
    expect(answer.status).toBe(200);
    if (!early) {
      expect(answer.json).toEqual({ deleted: 'match-9', durable: true });
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
    }
    const b = await next.go();
    started.push(b);
    const r = await b.api('GET', '/api/v1/worlds/match-9/stats');
    expect(r.status, `world match-9 after the restart (delete answered ${early ? 'before' : 'after'} its record was deleted)`).toBe(404);
  });
});
