/**
 * Deferral floors under load (issue 12, 10,000 sessions): with the replicate budget spent, idle
 * players and spectators are deferred down to their floor rates, released at their own slots so
 * the floor sends spread evenly over the steps (no burst every 5th step), while active players
 * are sent every step.
 */
import { describe, expect, it } from 'vitest';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { replicateWorld } from '../../../src/net/replicate-phase.js';
import { createWorldNet, type NetTransport } from '../../../src/net/replication.js';
import { createConn, createSession, type Session } from '../../../src/net/session.js';
import { SessionClass } from '../../../src/net/session-priority.js';
import { createSimWorld, spawnPlayer } from '../../../src/world/sim-world.js';

describe('deferral floors', () => {
  it('idle players every 5th step and spectators every 20th, spread evenly; active players every step', () => {
    const world = createSimWorld({ id: 'd', capacity: 400, size: 400, systems: [], config: { simulation: { tickIntervalSeconds: 0.05 } } });
    const sentBy = new Map<number, number>();
    const transport: NetTransport = {
      send: (s) => {
        sentBy.set(s.conn.id, (sentBy.get(s.conn.id) ?? 0) + 1);
        return 1;
      },
      buffered: () => 0,
      close: () => {},
      event: () => new Uint8Array(),
      now: () => 0,
    };
    const net = createWorldNet(world, resolveNetConfig({ replicateBudgetMs: 0.000001 }), transport);
    const groups = { active: [] as Session[], idle: [] as Session[], spec: [] as Session[] };
    for (let i = 0; i < 140; i++) {
      const cls = i < 100 ? SessionClass.player : SessionClass.spectator;
      const s = createSession(createConn(i + 1, 0, 10), 'd', spawnPlayer(world, 10 + i, 10 + i), 'n', 't', 60, cls);
      (cls === SessionClass.spectator ? groups.spec : i < 20 ? groups.active : groups.idle).push(s);
      net.sessions.push(s);
    }
    world.ctx.budgets.interestQuality = 1; // pressure 2
    const perStep: number[] = [];
    const steps = 60;
    for (let step = 0; step < steps; step++) {
      const now = performance.now();
      for (const s of groups.active) s.lastInputAt = now; // active: an input every step
      world.ctx.step = step;
      const before = net.stats.snapshotsSent;
      replicateWorld(world, world.ctx, net);
      perStep.push(net.stats.snapshotsSent - before);
    }
    const count = (ss: Session[]) => ss.map((s) => sentBy.get(s.conn.id) ?? 0);
    expect(count(groups.active).every((n) => n === steps)).toBe(true);
    // After the first cycle each idle player is sent exactly at its slot: every 5th step.
    for (const n of count(groups.idle)) expect(n === steps / 5 || n === steps / 5 + 1).toBe(true);
    for (const n of count(groups.spec)) expect(n === steps / 20 || n === steps / 20 + 1).toBe(true);
    // Spread: from step 20 on, every step sends 20 active + 80/5 idle + 40/20 spectators.
    for (const n of perStep.slice(20)) expect(n).toBe(20 + 16 + 2);
  });
});
