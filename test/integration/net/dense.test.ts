/**
 * Dense areas keep what matters: with far more entities in range than `maxEntitiesPerSession`,
 * every snapshot holds the session's own player, then the entities with the smallest priority
 * key (docs/PROTOCOL.md: own player, NPCs interacting with it, then squared distance with
 * players and detailed NPCs counted at a quarter), checked against a brute-force sort.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNpc, type SimWorld } from '../../../src/world/sim-world.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const lcg = (seed: number) => () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

/** The documented selection, written independently: ids of the `max` smallest keys. */
const bruteForce = (world: SimWorld, self: number, players: ReadonlySet<number>, ids: number[], radius: number, max: number): number[] => {
  const { Position, Tier, Interaction } = world.stores;
  const x = Position.x[self],
    y = Position.y[self];
  const keyed: Array<[number, number]> = [];
  for (const e of ids) {
    const dx = Position.x[e] - x,
      dy = Position.y[e] - y;
    const d2 = dx * dx + dy * dy;
    if (d2 > radius * radius) continue;
    const key = e === self ? -1 : Interaction.target[e] === self ? 0 : players.has(e) || Tier.tier[e] === 0 ? d2 / 4 : d2;
    keyed.push([key, e]);
  }
  keyed.sort((a, b) => a[0] - b[0]);
  return keyed
    .slice(0, max)
    .map((k) => k[1])
    .sort((a, b) => a - b);
};

describe('interest: dense areas', () => {
  it('8,000 NPCs in range, cap 256: each snapshot holds the own player and the nearest/most important, as a brute-force sort says', async () => {
    ts = await startTestServer({ capacity: 10_000, size: 1000 });
    const { world } = ts;
    const c = await ts.client();
    const w = await c.join('w1', 'me');
    const other = await ts.client();
    const wo = await other.join('w1', 'other');
    await ts.idle();
    ts.hold = true;
    const { Position, Velocity, Tier, Interaction } = world.stores;
    const me = w.playerId;
    Position.x[me] = 500;
    Position.y[me] = 500;
    Position.x[wo.playerId] = 530;
    Position.y[wo.playerId] = 500; // a player 30 away: counts as 15
    const rnd = lcg(99);
    const npcs: number[] = [];
    for (let i = 0; i < 8000; i++) {
      const r = 75 * Math.sqrt(rnd()),
        a = rnd() * 2 * Math.PI;
      const e = spawnNpc(world, 500 + r * Math.cos(a), 500 + r * Math.sin(a), 1);
      Velocity.x[e] = (rnd() - 0.5) * 4;
      Velocity.y[e] = (rnd() - 0.5) * 4;
      npcs.push(e);
    }
    Tier.tier[npcs[0]] = 0; // a detailed NPC (as far as any other)
    Interaction.target[npcs[1]] = me; // an NPC interacting with me, wherever it is
    Position.x[npcs[1]] = 570;
    Position.y[npcs[1]] = 500;
    Velocity.x[npcs[1]] = 0;
    Velocity.y[npcs[1]] = 0;
    const ids = [me, wo.playerId, ...npcs];
    const max = ts.server.config.maxEntitiesPerSession;
    for (let k = 0; k < 30; k++) {
      ts.step(1);
      await c.waitForStep(world.clock.step - 1);
      const view = [...c.view.entities.keys()].sort((a, b) => a - b);
      expect(view).toHaveLength(max);
      expect(view).toContain(me);
      expect(view).toContain(npcs[1]);
      expect(view, `step ${world.clock.step - 1}`).toEqual(
        bruteForce(world, me, new Set([wo.playerId]), ids, ts.server.config.interestRadius, max),
      );
    }
    expect(c.view.inconsistencies).toBe(0);
    expect(ts.server.stats().worlds.w1!.truncatedEntities).toBeGreaterThan(0);
  });
});
