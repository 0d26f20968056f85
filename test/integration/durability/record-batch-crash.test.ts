/**
 * A world created through the admin API survives a SIGKILL right after its `201` on SQLite, where world
 * records are group-committed (src/store/sqlite-record-batch.ts: records asked for within 20 ms share one
 * transaction) and many worlds' records wait in that window with it. The crash campaign's `record-batch`
 * window (bench/crash-campaign-record-batch.ts) kills at random there; this test makes it certain: it holds
 * the SQLite write lock from another connection while the create runs, so the batch holding the world's
 * record cannot commit — a `201` that arrives meanwhile was sent on a record still waiting, and the server is
 * killed at once. A real server (`src/cli/main.ts`), a real SQLite file, a real SIGKILL.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { launchInstance, startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { fileTempDirs } from '../../helpers/data-dir.js';

const tempDir = fileTempDirs();
const running: TestInstance[] = [];
const warm: Array<() => void> = [];
afterAll(async () => {
  for (const kill of warm) kill();
  for (const i of running) {
    i.child.kill('SIGKILL');
    if (i.child.exitCode === null && i.child.signalCode === null) await once(i.child, 'exit');
  }
});

const kill = async (i: TestInstance): Promise<void> => {
  i.child.kill('SIGKILL');
  if (i.child.exitCode === null && i.child.signalCode === null) await once(i.child, 'exit');
};

describe('SQLite world records, group-committed: a create answered 201 survives a SIGKILL', () => {
  it('killed right after the 201 while other worlds’ records wait in the window: every world is back', { timeout: 90_000 }, async () => {
    const dir = tempDir('wt-record-batch-crash-');
    const args = ['--data-dir', dir, '--npcs', '20', '--stats-interval', '0', '--checkpoint-interval', '0'];
    const a = await startInstance('create', args);
    running.push(a);
    // Worlds whose clock records (every 10 steps each) keep the group-commit window busy.
    const others = Array.from({ length: 12 }, (_, i) => `busy-${i}`);
    for (const id of others) expect((await a.api('POST', '/api/v1/worlds', { id, npcs: 10, capacity: 100 })).status).toBe(201);
    const next = await launchInstance('restart', args);
    warm.push(next.kill);
    // The write lock of the store file (under the server's 2 s busy timeout): no batch commits while it is held.
    const locker = new Database(join(dir, 'worldtick.sqlite'), { timeout: 5000 });
    locker.prepare('BEGIN IMMEDIATE').run();
    const post = a.api('POST', '/api/v1/worlds', { id: 'made', npcs: 10, capacity: 100 });
    const early = await Promise.race([post.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 800))]);
    if (early) await kill(a); // answered on a record still waiting: the batch dies with the process
    locker.prepare('ROLLBACK').run();
    locker.close();
    expect((await post).status).toBe(201);
    if (!early) await kill(a); // at once: the other worlds' records are asked for all the time
    const b = await next.go();
    running.push(b);
    const r = await b.api('GET', '/api/v1/worlds/made/stats');
    expect(
      r.status,
      `world made after the restart (answered ${early ? 'while its record could not commit' : 'once the lock was released'})`,
    ).toBe(200);
    for (const id of others) expect((await b.api('GET', `/api/v1/worlds/${id}/stats`)).status, id).toBe(200);
  });
});
