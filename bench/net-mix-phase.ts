/**
 * The replicate phase alone (stub transport, no sockets) on the 10,000-session mix under the
 * controller's emergency, normal floors vs overload floors (docs/NET-SCALE.md "Overload
 * floors"): CPU ms per step and snapshots per step per group. No sockets, no bots, no other
 * phases: it isolates what the policy saves the server from the machine's noise.
 */
import { resolveNetConfig, type NetConfig } from '../src/net/net-config.js';
import { replicateWorld } from '../src/net/replicate-phase.js';
import { createWorldNet, type NetTransport, type WorldNet } from '../src/net/replication.js';
import { createConn, createSession } from '../src/net/session.js';
import { SessionClass } from '../src/net/session-priority.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';
import { genWorld } from './gendata.js';
import type { SuiteContext } from './harness.js';

const stub: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => Date.now() };

/**
 * Net options of the "off" side: the overload floors and budget neutralised (the normal ones
 * apply), and the active players' spread with them (the policy before either).
 */
export const OVERLOAD_OFF: Partial<NetConfig> = {
  overloadActivePlayerMinHz: 10_000,
  overloadIdlePlayerMinHz: 10_000,
  overloadNonPlayerMinHz: 10_000,
  overloadReplicateBudgetMs: 60_000,
};

/**
 * One bench step of a world with replication only: movement, time, the step counter, what the
 * tiering phase does every step (grid rebuilds, outside the measurement), then `before` and the
 * replicate phase, whose process CPU ms is returned.
 */
export const replicateStepCpuMs = (world: ReturnType<typeof genWorld>['world'], net: WorldNet, before?: () => void): number => {
  movementSystem(world, world.ctx);
  timeSystem(world, world.ctx);
  world.ctx.step++;
  world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
  world.spatial.rebuildPlayers(world, 0);
  before?.();
  const c = process.cpuUsage();
  replicateWorld(world, world.ctx, net);
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/**
 * One run: `sessions` sessions (25 % active players with an input every step, 50 % idle players,
 * 25 % spectators) on 10,000 NPCs, 20 Hz, controller forced to emergency; overload entered at
 * once when `overload` (late factor 0), never otherwise. `spread`: the active players' overload
 * spread forced to its floor (`overloadActiveShare` 0: 10 Hz each, half of them per step);
 * otherwise it is off (`overloadActivePlayerMinHz` 10000), so the floors alone are measured.
 */
export const replicateMixPhase = async (
  ctx: SuiteContext,
  sessions: number,
  overload: boolean,
  spread = false,
): Promise<Record<string, unknown>> => {
  const { world, players } = genWorld({
    npcs: 10_000,
    players: sessions,
    size: 2000,
    id: `mix${overload ? 'On' : 'Off'}${spread ? 'Spread' : ''}`,
    systems: [{ name: 'tiering', phase: 'tiering', run: () => {} }],
    config: { simulation: { tickIntervalSeconds: 0.05 } },
  });
  const cfg = resolveNetConfig({
    ...(overload ? { overloadLateFactor: 0, overloadEnterSteps: 1 } : OVERLOAD_OFF),
    // No CPU condition for the spread: the bench steps by hand, so the CPU meter is never sampled.
    ...(spread ? { overloadActiveShare: 0, overloadSpreadMinCpu: 0 } : { overloadActivePlayerMinHz: 10_000 }),
  });
  const active = Math.round(sessions * 0.25),
    idle = Math.round(sessions * 0.5);
  // Active players' snapshots counted at the transport (sessions 1..active are the active ones).
  let activeSnaps = 0;
  const net = createWorldNet(world, cfg, {
    ...stub,
    send: (s) => {
      if (s.conn.id <= active) activeSnaps++;
      return 1;
    },
  });
  for (let i = 0; i < players.length; i++) {
    world.stores.Player.session[players[i]] = i + 1;
    const cls = i >= active + idle ? SessionClass.spectator : SessionClass.player;
    net.sessions.push(createSession(createConn(i + 1, 0, 1), world.id, players[i], 'b', 't', cfg.interestRadius, cls));
  }
  const steps = ctx.quick ? 40 : 200;
  let cpuMs = 0;
  const step = (measure: boolean): void => {
    const ms = replicateStepCpuMs(world, net, () => {
      const now = performance.now();
      for (let i = 0; i < active; i++) net.sessions[i].lastInputAt = now;
      world.ctx.budgets.interestQuality = 3; // emergency
    });
    if (measure) cpuMs += ms;
  };
  for (let i = 0; i < 40; i++) step(false);
  const byClass0 = net.stats.byClass.map((c) => c.snapshots);
  const sent0 = net.stats.snapshotsSent;
  const active0 = activeSnaps;
  for (let i = 0; i < steps; i++) step(true);
  const perStep = (v: number): number => Math.round((v / steps) * 10) / 10;
  const actives = activeSnaps - active0;
  const playerSnaps = (net.stats.byClass[SessionClass.player]?.snapshots ?? 0) - (byClass0[SessionClass.player] ?? 0);
  const spectatorSnaps = (net.stats.byClass[SessionClass.spectator]?.snapshots ?? 0) - (byClass0[SessionClass.spectator] ?? 0);
  const snaps = net.stats.snapshotsSent - sent0;
  const fig = {
    overloadFloors: overload,
    overloadOn: net.stats.ladder.overload === 1,
    spread: { active: net.stats.ladder.activeSpread, crowd: net.stats.ladder.crowdSpread },
    sessions,
    snapshotsPerStep: perStep(snaps),
    activePlayerSnapshotsPerStep: perStep(actives),
    idlePlayerSnapshotsPerStep: perStep(playerSnaps - actives),
    spectatorSnapshotsPerStep: perStep(spectatorSnaps),
    cpuMsPerStep: Math.round((cpuMs / steps) * 100) / 100,
    cpuUsPerSessionSnapshot: Math.round(((cpuMs * 1000) / Math.max(1, snaps)) * 100) / 100,
  };
  ctx.log(
    `replicate phase, mix of ${sessions}, emergency, overload floors ${overload ? 'ON' : 'OFF'}${spread ? ', active players spread' : ''}: ${fig.snapshotsPerStep} snapshots/step (active ${fig.activePlayerSnapshotsPerStep}, idle ${fig.idlePlayerSnapshotsPerStep}, spectators ${fig.spectatorSnapshotsPerStep}), ${fig.cpuMsPerStep} CPU ms/step, ${fig.cpuUsPerSessionSnapshot} µs/snapshot`,
  );
  return fig;
};
