/**
 * Suite `cluster`: costs of the coordination seam (src/cluster). Lease renew round trip on the
 * in-process coordinator vs a real local redis-server (started here on a free port; the Redis
 * tasks are skipped with a note when redis-server is missing), listing 1,000 leases, ticket
 * sign/verify, and the balancer's plan time at two cluster sizes. Coordination runs beside the
 * step, never inside it: these figures size renew intervals, not frame budgets.
 */
import { LocalCoordinator } from '../src/cluster/local-coordinator.js';
import { RedisCoordinator } from '../src/cluster/redis-coordinator.js';
import { planBalance, type BalanceWorld } from '../src/cluster/balancer.js';
import { signTicket, verifyTicket } from '../src/cluster/ticket.js';
import { findRedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import type { Suite } from './harness.js';
import { runClusterScenarios } from './cluster-scenarios.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Seeded worlds of unequal load, all on the first three instances (a fresh cluster grew). */
const worldsFor = (count: number, instances: readonly string[]): BalanceWorld[] => {
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, (_, i) => ({ id: `w${i}`, instanceId: instances[i % 3], load: 1 + next() * 10 }));
};

const suite: Suite = {
  name: 'cluster',
  async run(ctx) {
    const local = new LocalCoordinator();
    await local.acquire('w', 'A', 10_000);
    const secret = 'bench-secret-0123456789';
    const ticket = signTicket({ worldId: 'w1', playerId: 'p1', target: 'B', expiresAt: Date.now() + 3_600_000 }, secret);
    const ids5 = ['i0', 'i1', 'i2', 'i3', 'i4'];
    const ids10 = Array.from({ length: 10 }, (_, i) => `i${i}`);
    const w100 = worldsFor(100, ids5);
    const w1000 = worldsFor(1000, ids10);
    const inst = (ids: readonly string[], ws: readonly BalanceWorld[]) =>
      ids.map((id) => ({ id, load: ws.filter((w) => w.instanceId === id).reduce((a, w) => a + w.load, 0) }));
    const i100 = inst(ids5, w100);
    const i1000 = inst(ids10, w1000);
    const p100 = planBalance(i100, w100, { now: 0, maxMoves: 1000 });
    const p1000 = planBalance(i1000, w1000, { now: 0, maxMoves: 1000 });
    ctx.record('plan100on5', { status: p100.status, moves: p100.moves.length });
    ctx.record('plan1000on10', { status: p1000.status, moves: p1000.moves.length });

    const tasks: Array<[string, () => void | Promise<void>]> = [
      ['local renew (in-process)', async () => void (await local.renew('w', 'A', 10_000))],
      ['ticket sign', () => void signTicket({ worldId: 'w1', playerId: 'p1', target: 'B', expiresAt: 2e12 }, secret)],
      ['ticket verify', () => void verifyTicket(ticket, secret)],
      ['planBalance 100 worlds on 5 instances', () => void planBalance(i100, w100, { now: 0, maxMoves: 1000 })],
    ];
    if (!ctx.quick)
      tasks.push(['planBalance 1000 worlds on 10 instances', () => void planBalance(i1000, w1000, { now: 0, maxMoves: 1000 })]);

    const bin = findRedisServer();
    const server = bin ? await startRedisServer(bin) : null;
    const redis = server ? new RedisCoordinator({ connection: server.url }) : null;
    try {
      if (redis) {
        await redis.acquire('w', 'A', 10_000);
        for (let i = 0; i < 1000; i++) await redis.acquire(`world-${i}`, `inst-${i % 10}`, 600_000);
        ctx.record('leasesListed', (await redis.listLeases()).length);
        tasks.push(
          ['redis renew (round trip, local server)', async () => void (await redis.renew('w', 'A', 10_000))],
          ['redis getOwner', async () => void (await redis.getOwner('w'))],
          ['redis listLeases (1000 leases)', async () => void (await redis.listLeases())],
        );
      } else {
        ctx.log('redis-server not installed: Redis tasks skipped (apt-get install -y redis-server)');
        ctx.record('redisSkipped', true);
      }
      const figs = await ctx.measure(tasks, { timeMs: ctx.quick ? 200 : 1000 });
      const byName = new Map(figs.map((f) => [f.name, f.meanMs]));
      const localMs = byName.get('local renew (in-process)');
      const redisMs = byName.get('redis renew (round trip, local server)');
      if (localMs !== undefined && redisMs !== undefined) ctx.record('redisOverLocalRenew', r3(redisMs / localMs));
    } finally {
      await redis?.close();
      await local.close();
      await server?.stop();
    }
    // Migration pause, failover time, redirects per second, spread after balancing (real instances).
    await runClusterScenarios(ctx);
  },
};

export default suite;
