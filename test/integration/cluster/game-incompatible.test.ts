/**
 * Handovers to an instance whose game cannot hold a world's checkpoint (`WT_ERR_CHECKPOINT_INCOMPATIBLE`,
 * docs/GAME-API.md "Shipping a new version of your game", docs/CLUSTER.md "Migration"): a rolling
 * upgrade where instance `b` runs v3 of test/helpers/upgrade-game-main.ts (`Health.hp` narrowed to u8)
 * and `a`, `c` run v2 (the boss's hp 300 fits). Real instances on a real redis-server and PostgreSQL.
 *
 * - a migration to `b` is refused (409, reason `game-incompatible`, counted `gameIncompatible`), the lease
 *   handed back, the world steps on at `a`;
 * - a drain of `a` with only `b` left asks `b`, is refused (`tried`), and keeps the worlds on `a`;
 * - after `a` dies, `b` declines a world it fails over (listed as not started, `game-incompatible`,
 *   at `failover`; the lease released), and `c` (v2) takes it over and runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { ownersFrom, startInstance, until, type TestInstance, createWorld } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const backend = await sharedBackendOrSkip('[game-incompatible]');
const MAIN = 'test/helpers/upgrade-game-main.ts';
const BOSS_WORLDS = 'arena,arena2,arena3,arena4';

/** Whether `inst` steps a copy of `worldId` (a local, non-standby world). */
const runs = async (inst: TestInstance, worldId: string): Promise<boolean> => {
  const list = (await inst.api('GET', '/api/v1/worlds')).json.worlds as Array<{ id: string; step?: number; standby?: boolean }>;
  return list.some((w) => w.id === worldId && w.step !== undefined && w.standby !== true);
};

const stepOf = async (inst: TestInstance, worldId: string): Promise<number> =>
  (await inst.api('GET', `/api/v1/worlds/${worldId}`)).json.step as number;

describe.skipIf(backend.skip !== null)('cluster: an instance whose game cannot hold a checkpoint refuses the world', () => {
  const pgs = backend.pg as PgServer;
  let redis: RedisTestServer | undefined;
  const inst: Record<string, TestInstance> = {};
  const start = async (id: string, version: string): Promise<TestInstance> => {
    // The default lease TTL (6 s), not 1 s: at load ≈ 20 an instance at 1 s lost the leases of worlds it
    // stepped (warn `cannot prove ownership`), and b may then take a refused world again (its refusal ends
    // with the record a rewrites), which changes the counts and `tried` lists asserted here
    // (docs/CLUSTER.md "What to set").
    const args = [...sharedStoreArgs(redis as RedisTestServer, pgs), '--checkpoint-interval', '0'];
    const i = await startInstance(id, args, { main: MAIN, env: { UPGRADE_GAME: version, UPGRADE_BOSS_WORLD: BOSS_WORLDS } });
    inst[id] = i;
    return i;
  };
  beforeAll(async () => {
    redis = await startRedisServer();
    // Both at once: which of them steps the default world "1" (no boss, fits either version) plays no part.
    const [a, b] = await Promise.all([start('a', 'v2'), start('b', 'v3')]);
    const created = await Promise.all(
      ['arena', 'arena2', 'arena3'].map(async (id) => (await createWorld(a, { id, npcs: 0 }, '?placement=local')).status),
    );
    expect(created).toEqual([201, 201, 201]);
    await until('both see each other, a owns the arenas', async () => {
      for (const i of [a, b]) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      const owners = await ownersFrom(b);
      return owners.arena === 'a' && owners.arena2 === 'a' && owners.arena3 === 'a';
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(Object.values(inst).map((i) => i.stop()));
    await redis?.stop();
    await pgs?.destroy();
  }, 30_000);

  it('a migration to it is refused as game-incompatible; the world steps on where it was', { timeout: 60_000 }, async () => {
    const { a, b } = inst as { a: TestInstance; b: TestInstance };
    const r = await a.api('POST', '/api/v1/worlds/arena/migrate', { to: 'b' });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({
      code: 'WT_ERR_MIGRATION_REFUSED',
      message: 'instance b refused arena (game-incompatible); it steps on here',
    });
    // b's log lines come through its stdout pipe, maybe after the API's answer: waited for.
    const refusal = await until('b logs the refusal', () => b.lines.find((l) => l.msg === 'cluster: handed world refused'));
    expect(refusal).toMatchObject({ world: 'arena', from: 'a', reason: 'game-incompatible', returned: true });
    const declined = await until('b logs the decline', () =>
      b.lines.find((l) => l.world === 'arena' && typeof l.msg === 'string' && l.msg.startsWith('cluster: world not taken over')),
    );
    expect(declined).toMatchObject({ why: 'migration', reason: 'game-incompatible' });
    expect(declined?.problems).toEqual(expect.arrayContaining([expect.stringContaining('Health.hp')]));
    const bView = (await b.api('GET', '/api/v1/cluster')).json;
    expect(bView.counters).toMatchObject({ adoptRefusals: 1, gameIncompatible: 1, checkpointTooNew: 0 });
    expect(bView.notStarted).toEqual([expect.objectContaining({ worldId: 'arena', reason: 'game-incompatible', at: 'migration' })]);
    const metrics = (await b.api('GET', '/metrics')).text;
    expect(metrics).toMatch(/^worldtick_cluster_game_incompatible_total 1$/m);
    expect(metrics).toMatch(/^worldtick_cluster_checkpoint_too_new_total 0$/m);
    // a owns it again and steps it on.
    expect((await ownersFrom(a)).arena).toBe('a');
    const held = await stepOf(a, 'arena');
    await until('a steps arena again', async () => (await stepOf(a, 'arena')) > held + 5);
    expect(await runs(b, 'arena')).toBe(false);
  });

  it('a drain asks it, is refused (tried), and keeps the worlds here', { timeout: 60_000 }, async () => {
    const { a, b } = inst as { a: TestInstance; b: TestInstance };
    const r = await a.api('POST', '/api/v1/cluster/drain');
    expect(r.status).toBe(200);
    const failed = r.json.failed as Array<{ worldId: string; error: string; tried: Array<{ instance: string; reason: string }> }>;
    // arena2 and arena3 were offered to b (refused); arena is not offered to b again (it refused it above).
    for (const id of ['arena2', 'arena3'])
      expect(failed.find((f) => f.worldId === id)?.tried).toEqual([{ instance: 'b', reason: 'game-incompatible' }]);
    expect(failed.find((f) => f.worldId === 'arena')?.tried).toEqual([]);
    expect((r.json.moved as Array<{ worldId: string }>).map((m) => m.worldId)).not.toContain('arena2'); // the default world may move
    expect(r.json.remaining).toEqual(expect.arrayContaining(['arena', 'arena2', 'arena3']));
    expect((await a.api('DELETE', '/api/v1/cluster/drain')).json).toMatchObject({ draining: false });
    const owners = await ownersFrom(a);
    expect([owners.arena, owners.arena2, owners.arena3]).toEqual(['a', 'a', 'a']);
    const held = await stepOf(a, 'arena2');
    await until('a steps arena2 on', async () => (await stepOf(a, 'arena2')) > held + 5);
    expect((await b.api('GET', '/api/v1/cluster')).json.counters.gameIncompatible).toBeGreaterThanOrEqual(2);
  });

  it('failover: it declines the world; an instance whose game can hold it takes it over', { timeout: 150_000 }, async () => {
    const { a, b } = inst as { a: TestInstance; b: TestInstance };
    // A world never offered to b (the drain offered it the others).
    expect((await createWorld(a, { id: 'arena4', npcs: 0 }, '?placement=local')).status).toBe(201);
    await until('b sees a owning arena4', async () => (await ownersFrom(b)).arena4 === 'a');
    // What b must decline is arena4's checkpoint (the boss's hp 300). When a is killed before it wrote its
    // first one (seen at load ≈ 20: killed 1.2 s after the 201, none written yet), b rebuilds arena4 from
    // its record with its own game (docs/GAME-API.md "No usable checkpoint") and has nothing to decline.
    await until('a checkpointed arena4', async () => (await a.api('GET', '/api/v1/worlds/arena4/stats')).json.checkpoint?.saved >= 1);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    // A bound, not a duration: a's presence and leases expire after the TTL (6 s), then b's next control tick.
    await until(
      'b declined arena4 at failover',
      async () =>
        ((await b.api('GET', '/api/v1/cluster')).json.notStarted as Array<{ worldId: string; at: string }>).some(
          (w) => w.worldId === 'arena4' && w.at === 'failover',
        ),
      40_000,
    );
    const declined = await until('b logs the decline', () =>
      b.lines.find((l) => l.world === 'arena4' && typeof l.msg === 'string' && l.msg.startsWith('cluster: world not taken over')),
    );
    expect(declined).toMatchObject({ why: 'failover', reason: 'game-incompatible' });
    expect(await runs(b, 'arena4')).toBe(false);
    const c = await start('c', 'v2');
    const arenas = ['arena', 'arena2', 'arena3', 'arena4'];
    await until('c runs the arenas', async () => (await Promise.all(arenas.map((id) => runs(c, id)))).every(Boolean), 60_000);
    await until('b sees c owning the arenas', async () => {
      const owners = await ownersFrom(b);
      return arenas.every((id) => owners[id] === 'c');
    });
    for (const id of arenas) expect(await runs(b, id)).toBe(false);
  });
});
