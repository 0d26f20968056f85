/**
 * One instance (no `--redis`), a real server (`src/cli/main.ts`) on a real PostgreSQL: a create answered
 * `503 WT_ERR_WORLD_NOT_DURABLE` — "not created" — whose record lands late (a deferred trigger holds its COMMIT
 * past the client's 1 s query timeout) and whose undo's delete is refused (a second trigger); the server is
 * killed (SIGKILL) with its undo not done, the record still stored. Started again on the same database, the
 * world must not come back: its record (marked pending, never confirmed) is removed at start, and the same
 * create is answered 201. Before: the world was restored at the restart and the create answered 409
 * (docs/ADMIN.md "A create answered 503").
 */
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { launchInstance, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { dropTrigger, refuseDeletes, slowCommits, storedCount } from '../../helpers/pg-record-triggers.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';

const server = await freshDatabase();
if ('skip' in server) console.warn(`[create-killed-restart] skipped: ${server.skip}`);
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

describe.skipIf('skip' in server)('one instance: a create answered 503 whose server dies before its undo is done', () => {
  it('does not come back after the restart: its record is removed at start and the create sent again succeeds', {
    timeout: 90_000,
  }, async () => {
    const pgs = server as Exclude<typeof server, { skip: string }>;
    // The server's client gives up a query after 1 s (a slow store, seen from it).
    const args = ['--store', `${pgs.url}?query_timeout=1000`, '--npcs', '0', '--stats-interval', '0', '--checkpoint-interval', '0'];
    const a = await startInstance('one', args);
    started.push(a);
    // The server after the kill loads its modules meanwhile; it opens the store only on its go, below.
    const next = await launchInstance('one-again', args);
    warm.push(next.kill);
    const world = 'k1';
    await slowCommits(pgs.url, world, 'killed_one_commit');
    await refuseDeletes(pgs.url, world, 'killed_one_refuse');
    const body = { id: world, npcs: 0 };
    const r = await a.api('POST', '/api/v1/worlds', body);
    expect(r.status, JSON.stringify(r.json)).toBe(503);
    expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
    await until('the late record landed', async () => (await storedCount(pgs.url, world)) === 1);
    await until('the undo retrying', () =>
      a.lines.some((l) => l.world === world && l.msg === 'admin create: removing the record of a failed create failed; retrying'),
    );
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    await dropTrigger(pgs.url, 'killed_one_commit');
    await dropTrigger(pgs.url, 'killed_one_refuse');
    const b = await next.go();
    started.push(b);
    expect((await b.api('GET', `/api/v1/worlds/${world}`)).status).toBe(404);
    expect(await storedCount(pgs.url, world)).toBe(0);
    expect(b.lines.some((l) => l.world === world && l.msg === 'stored world not restored: its create was never confirmed')).toBe(true);
    const again = await b.api('POST', '/api/v1/worlds', body);
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(await storedCount(pgs.url, world)).toBe(1);
  });
});
