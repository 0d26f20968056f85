/**
 * The shared backend of the multi-instance cluster tests: one real redis-server (coordination) and
 * one real PostgreSQL (the shared store). Either both can be had, or the suite skips with a reason.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { createWorld, launchInstance, ownersFrom, startInstance, until, type ApiInstance, type TestInstance } from './cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from './cluster-runtimes.js';
import type { PgServer } from './postgres-server.js';
import type { GameDefinition } from '../../src/game/definition.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from './redis-server.js';
import { freshDatabase } from './shared-postgres.js';

/**
 * The suite's PostgreSQL (a fresh database on the run's shared server, {@link freshDatabase}: `destroy`
 * drops it, stop/start/crash are refused) when redis-server is installed too; otherwise say why it
 * skips (logged once).
 */
export const sharedBackendOrSkip = async (suite: string): Promise<{ skip: string | null; pg: PgServer | null }> => {
  const pg = findRedisServer() ? await freshDatabase() : { skip: 'redis-server is not installed' };
  if ('skip' in pg) {
    console.warn(`${suite}: skipped (${pg.skip})`);
    return { skip: pg.skip, pg: null };
  }
  return { skip: null, pg };
};

/** Options every instance of a shared-store cluster test starts with (the test adds its own). */
export const sharedStoreArgs = (redis: RedisTestServer, pg: PgServer): string[] => [
  '--redis',
  redis.url,
  '--store',
  pg.url,
  '--stats-interval',
  '0',
  '--log-level',
  'info',
];

/**
 * A redis-server plus instances `a` and `b` over the shared store `pg`, with `a` owning world
 * `worldId` (created there with `worldNpcs` NPCs): started in the calling describe block's
 * `beforeAll`, stopped (with `pg`) in its `afterAll`. `inst` is `[a, b]` once the hook ran.
 */
export const twoInstancesOwning = (
  pg: PgServer,
  o: { worldId: string; worldNpcs: number; args: string[] },
): { inst: [TestInstance, TestInstance] } => {
  // b loads its modules while a starts (launchInstance), and starts for real only once a listens.
  let b: ReturnType<typeof launchInstance> | undefined;
  const startA = (id: string, args: string[]): Promise<TestInstance> => {
    const launched = launchInstance('b', args);
    b = launched;
    return startInstance(id, args).catch(async (err: unknown) => {
      (await launched).kill();
      throw err;
    });
  };
  const startB = async (id: string, args: string[]): Promise<TestInstance> => (b === undefined ? startInstance(id, args) : (await b).go());
  return twoOwning(pg, o, startA, startB);
};

/**
 * {@link twoInstancesOwning} with in-process runtimes (test/helpers/cluster-runtimes.ts: the same
 * `createRuntime` on real ports) in place of child processes, for a file that neither kills, stops nor
 * signals an instance: no process start to pay (~1.2 s of CPU each). `o.game`: the game they serve (else the life simulation).
 */
export const twoRuntimesOwning = (
  pg: PgServer,
  o: { worldId: string; worldNpcs: number; args: string[]; game?: GameDefinition },
): { inst: [RuntimeInstance, RuntimeInstance] } => {
  const start = (id: string, args: string[]): Promise<RuntimeInstance> => startRuntimeInstance(id, args, o.game);
  return twoOwning(pg, o, start, start);
};

/**
 * In-process runtimes `a` and `b` over the shared store `pg` and a redis-server of their own (lease TTL 3 s,
 * no NPCs, then `extraArgs`), started in the calling describe block's `beforeAll` once both see each other, stopped (with `pg`)
 * in its `afterAll`. `inst` is `[a, b]` once the hook ran.
 */
export const twoRuntimes = (pg: PgServer, extraArgs: readonly string[] = []): { inst: RuntimeInstance[] } => {
  const ctx = { inst: [] as RuntimeInstance[] };
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = ['--redis', redis.url, '--store', pg.url, '--lease-ttl', '3', '--npcs', '0', ...extraArgs];
    ctx.inst.push(await startRuntimeInstance('a', args));
    ctx.inst.push(await startRuntimeInstance('b', args));
    await until('both instances see each other', () =>
      ctx.inst.every((i) => i.runtime.cluster.instances().length === 2 && i.runtime.cluster.reachable),
    );
  }, 60_000);
  afterAll(async () => {
    for (const i of ctx.inst.slice().reverse()) await i.stop();
    await redis?.stop();
    await pg.destroy();
  }, 30_000);
  return ctx;
};

/** Starts one instance: {@link startInstance} (a child process) or {@link startRuntimeInstance} (in process). */
type Starter<I> = (id: string, args: string[]) => Promise<I>;

/**
 * {@link twoInstancesOwning} with the starter of each instance given: a child process only for the one
 * the file kills, stops or signals (`twoOwning(pg, o, startInstance, startRuntimeInstance)`: `a` a child,
 * `b` in process).
 */
export const twoOwning = <A extends ApiInstance & { stop(): Promise<void> }, B extends ApiInstance & { stop(): Promise<void> }>(
  pg: PgServer,
  o: { worldId: string; worldNpcs: number; args: string[] },
  startA: Starter<A>,
  startB: Starter<B>,
): { inst: [A, B] } => {
  const ctx = { inst: [] as unknown as [A, B] };
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = [...sharedStoreArgs(redis, pg), ...o.args];
    ctx.inst[0] = await startA('a', args);
    ctx.inst[1] = await startB('b', args);
    // A loaded machine may answer 503 (not created, nothing kept): sent again, as docs/ADMIN.md tells a client to.
    const made = await createWorld(ctx.inst[0], { id: o.worldId, npcs: o.worldNpcs }, '?placement=local');
    expect(made.status, made.text).toBe(201);
    await until(`both instances see each other and a owns ${o.worldId}`, async () => {
      for (const i of ctx.inst) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return (await ownersFrom(ctx.inst[1]))[o.worldId] === 'a';
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(ctx.inst.map((i: A | B) => i.stop()));
    await redis?.stop();
    await pg.destroy();
  }, 30_000);
  return ctx;
};

/**
 * Resolves once `inst` ran at least `n` more control ticks (heartbeat, lease step, view refresh, orphan
 * failover: one every lease TTL / 3), counted as changes of its own `heartbeatAt` in its
 * `GET /api/v1/cluster` view. The view of a tick is read in that tick, beside its heartbeat, so it shows
 * the previous tick's heartbeat: `n` changes seen mean at least `n - 1` whole ticks ran after the call.
 * A change missed between two polls only makes the wait longer. In place of a fixed sleep of "a few
 * ticks" before asserting that something did NOT happen.
 */
export const controlTicks = async (inst: ApiInstance, n: number, timeoutMs = 30_000): Promise<void> => {
  const beat = async (): Promise<number | null> => {
    const list = (await inst.api('GET', '/api/v1/cluster')).json.instances as Array<{ id: string; heartbeatAt: number }>;
    return list.find((i) => i.id === inst.id)?.heartbeatAt ?? null;
  };
  let last = await beat();
  let seen = 0;
  await until(
    `${n} control ticks of ${inst.id}`,
    async () => {
      const b = await beat();
      if (b !== null && b !== last) {
        seen++;
        last = b;
      }
      return seen >= n;
    },
    timeoutMs,
    50,
  );
};
