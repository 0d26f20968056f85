/**
 * A SIGTERM that arrives while the instance is moving a world away (docs/CLUSTER.md "Migration",
 * "Stopping during a migration"): the stop waits for the migration to finish before it writes its
 * final checkpoints and releases its leases, and starts no new one. Two instances on a real
 * redis-server and a real PostgreSQL; `a` owns world `sm` and is asked to migrate it to `b`. The
 * migration is kept in flight deterministically: `b` is paused (SIGSTOP) before the migration is
 * asked for, so `a`'s check of the target cannot be answered (meanwhile `sm` steps on: it is not
 * held before the target answered); `a` gets SIGTERM once the migration began,
 * and `b` is resumed (SIGCONT) only once `a` logged that its stop waits for it. The migration answers
 * 200, `b` took the world by migration (not failover) at the step `a` stopped at, and steps it on;
 * `a` exits 0 and a migration asked for after the stop began is refused.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoInstancesOwning } from '../../helpers/shared-cluster.js';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster stop during a migration');

describe.skipIf(skip !== null)('cluster: stop during a migration', () => {
  const { inst } = twoInstancesOwning(sharedPg as PgServer, {
    worldId: 'sm',
    worldNpcs: 2_000,
    args: ['--npcs', '100', '--lease-ttl', '2', '--checkpoint-interval', '0'],
  });

  it('waits for the migration in flight; the world is owned once, by b, from the step a stopped at', async () => {
    const [a, b] = inst;
    await until('a stepped sm a while', async () => ((await a.api('GET', '/api/v1/worlds/sm')).json.step as number) > 10);
    // A second world a surely owns (the default world may be b's): the migration asked for during the stop.
    expect((await createWorld(a, { id: 'sl', npcs: 10 }, '?placement=local')).status).toBe(201);
    const mark = a.lines.length;
    b.child.kill('SIGSTOP'); // b answers no adopt request until resumed: a's migration stays in flight
    try {
      const moving = a.api('POST', '/api/v1/worlds/sm/migrate', { to: 'b' });
      await until('the migration began', () => a.lines.slice(mark).some((l) => l.msg === 'cluster: migrating world'), 10_000, 2);
      // The target is asked before the world is held: while b cannot answer, sm steps on here.
      const asked = (await a.api('GET', '/api/v1/worlds/sm')).json.step as number;
      await until(
        'a steps sm while b is paused',
        async () => ((await a.api('GET', '/api/v1/worlds/sm')).json.step as number) > asked + 5,
        10_000,
      );
      const exited = once(a.child, 'exit');
      a.child.kill('SIGTERM'); // once: a second signal would end the stop at once
      await until(
        'a waits for the migration',
        () => a.lines.slice(mark).some((l) => l.msg === 'cluster: stop waits for the migrations in flight'),
        10_000,
        2,
      );
      // While the stop waits for it, no other migration starts here.
      const late = await a.api('POST', '/api/v1/worlds/sl/migrate', { to: 'b' });
      expect(late.status, JSON.stringify(late.json)).toBe(503);
      expect(late.json).toMatchObject({ code: 'WT_ERR_MIGRATION_FAILED', message: 'instance a is stopping: it starts no migration' });
      b.child.kill('SIGCONT');
      const m = await moving;
      expect(m.status, JSON.stringify(m.json)).toBe(200);
      expect(m.json).toMatchObject({ worldId: 'sm', from: 'a', to: 'b' });
      await exited;
      expect(a.child.exitCode).toBe(0);
      expect(a.lines.some((l) => l.msg === 'cluster: migrations in flight finished; stopping')).toBe(true);
      const stopped = a.lines.find((l) => l.msg === 'runtime stopped') as { failed: number } | undefined;
      expect(stopped?.failed).toBe(0);

      // b took sm by migration, exactly at the step a stopped it at, and steps it on; nobody failed it over.
      const moves = (await b.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ worldId: string; kind: string; step: number }>;
      expect(moves.filter((x) => x.worldId === 'sm')).toEqual([expect.objectContaining({ kind: 'migrated-in', step: m.json.step })]);
      await until(
        'b steps sm past the migration',
        async () => ((await b.api('GET', '/api/v1/worlds/sm')).json.step as number) > m.json.step,
      );
      await until('b alone owns sm', async () => (await ownersFrom(b)).sm === 'b');
      expect(
        b.lines.some((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.why === 'failover' && l.world === 'sm'),
      ).toBe(false);
    } finally {
      b.child.kill('SIGCONT');
    }
  }, 90_000);
});
