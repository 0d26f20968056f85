/**
 * The in-process parts of suite `net` (bench/net.bench.ts; no sockets, a stub transport): snapshot
 * encoding per step next to msgpackr's `pack` of the same messages, interest queries on the world's
 * spatial index, and the whole replicate phase at a given step rate.
 */
import { Packr, unpack } from 'msgpackr';
import { resolveNetConfig } from '../src/net/net-config.js';
import { beginRun, createWorldNet, encodeSessionSnapshot, type NetTransport } from '../src/net/replication.js';
import { createConn, createSession, type Session } from '../src/net/session.js';
import type { SnapshotFrame } from '../src/net/snapshot-frame.js';
import { populateNpcs } from '../src/world/populate.js';
import { createSimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';
import { genWorld } from './gendata.js';
import type { SuiteContext } from './harness.js';
import { replicateStepCpuMs } from './net-mix-phase.js';

/** A transport that sends nothing (every send "sent"). */
const stub: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => Date.now() };

/**
 * Snapshot encoding per step for `sessions` sessions each seeing ~50 entities (10,000 NPCs), and
 * msgpackr's `pack` of the same messages as JS arrays, for the ratio.
 */
export const encodingBench = async (ctx: SuiteContext, sessions: number): Promise<void> => {
  const npcs = 10_000;
  const size = 2000;
  const { world, players } = genWorld({ npcs, players: sessions, size, id: `enc${sessions}`, systems: [] });
  // Radius for ~50 entities in view at this density (NPCs + players).
  const radius = Math.sqrt((50 * size * size) / (Math.PI * (npcs + sessions)));
  const net = createWorldNet(world, resolveNetConfig({ interestRadius: radius, detailedRadius: radius / 2 }), stub);
  const ss: Session[] = players.map((p, i) => createSession(createConn(i + 1, 0, 1), world.id, p, 'b', 't', radius));
  const f: SnapshotFrame = { step: 0, worldTime: 0, sendTime: Date.now(), radiusScale: 1, farEvery: 1, requeryEvery: 1 };
  let bytes = 0,
    snaps = 0,
    seen = 0;
  const encodeAll = (): void => {
    beginRun(world, net);
    for (const s of ss) {
      bytes += encodeSessionSnapshot(world, net, s, f);
      seen += s.knownCount;
      snaps++;
    }
    f.step++;
  };
  const move = (): void => {
    movementSystem(world, world.ctx);
    timeSystem(world, world.ctx);
  };
  encodeAll(); // first snapshot: everything enters
  const firstAvg = bytes / snaps;
  bytes = 0;
  snaps = 0;
  seen = 0;
  const [fig] = await ctx.measure([[`encode snapshots: ${sessions} sessions × ~50 entities (10k NPCs)`, encodeAll, { setup: move }]]);
  ctx.record(`encode${sessions}`, {
    perStepMs: fig!.meanMs,
    p99StepMs: fig!.p99Ms,
    usPerSession: Math.round((fig!.meanMs * 1000 * 100) / sessions) / 100,
    avgSnapshotBytes: Math.round(bytes / snaps),
    firstSnapshotBytes: Math.round(firstAvg),
    avgEntitiesInView: Math.round((seen / snaps) * 10) / 10,
    radius: Math.round(radius * 10) / 10,
  });
  // Alternative: the same messages as JS arrays through one reused msgpackr Packr.
  move();
  beginRun(world, net);
  const msgs = ss.map((s) => unpack(net.out.bytes.slice(0, encodeSessionSnapshot(world, net, s, f))));
  const packr = new Packr({ useRecords: false });
  const [alt] = await ctx.measure([
    [
      `msgpackr pack only (no diff): ${sessions} snapshots`,
      () => {
        for (const m of msgs) packr.pack(m);
      },
    ],
  ]);
  ctx.record(`encode${sessions}VsMsgpackrPackOnly`, Math.round((fig!.meanMs / alt!.meanMs) * 100) / 100);
};

/**
 * The replicate phase (priority order, ladder, encode; stub transport) of a world stepping at
 * `hz` with the default `snapshotHz` 20: at 60 Hz each session is sent every 3rd step, sessions
 * staggered, so a step replicates about a third of them. Process CPU per step and per snapshot.
 */
export const replicatePhaseBench = async (
  ctx: SuiteContext,
  sessions: number,
  hz: number,
  viewMode: 'exact' | 'regions' = 'exact',
): Promise<void> => {
  const npcs = 10_000;
  const size = 2000;
  const { world, players } = genWorld({
    npcs,
    players: sessions,
    size,
    id: `rep${hz}`,
    systems: [{ name: 'tiering', phase: 'tiering', run: () => {} }],
    config: { simulation: { tickIntervalSeconds: 1 / hz } },
  });
  const net = createWorldNet(world, resolveNetConfig({ viewMode }), stub);
  for (let i = 0; i < players.length; i++) {
    world.stores.Player.session[players[i]] = i + 1;
    net.sessions.push(createSession(createConn(i + 1, 0, 1), world.id, players[i], 'b', 't', net.config.interestRadius));
  }
  const steps = ctx.quick ? 30 : 150;
  let cpuMs = 0;
  const step = (measure: boolean): void => {
    const ms = replicateStepCpuMs(world, net);
    if (measure) cpuMs += ms;
  };
  for (let i = 0; i < 10; i++) step(false);
  const sent0 = net.stats.snapshotsSent;
  for (let i = 0; i < steps; i++) step(true);
  const snaps = net.stats.snapshotsSent - sent0;
  const fig = {
    viewMode,
    stepHz: hz,
    snapshotHz: net.config.snapshotHz,
    sessions,
    snapshotsPerStep: Math.round((snaps / steps) * 10) / 10,
    cpuMsPerStep: Math.round((cpuMs / steps) * 100) / 100,
    cpuUsPerSessionSnapshot: Math.round(((cpuMs * 1000) / snaps) * 100) / 100,
  };
  ctx.log(
    `replicate phase (${viewMode}), ${sessions} sessions, ${hz} Hz step: ${fig.snapshotsPerStep} snapshots/step, ${fig.cpuMsPerStep} CPU ms/step, ${fig.cpuUsPerSessionSnapshot} µs/snapshot`,
  );
  ctx.record(`replicatePhase${sessions}At${hz}Hz${viewMode === 'regions' ? 'Regions' : ''}`, fig);
};

/** Interest queries on the world's spatial index (what replication uses), and its rebuild (what replication does when the pipeline has no tiering phase). */
export const queryBench = async (ctx: SuiteContext): Promise<void> => {
  const world = createSimWorld({ id: 'q', capacity: 12_000, size: 2000 });
  populateNpcs(world, { count: 10_000 });
  const ps: number[] = [];
  for (let i = 0; i < 1000; i++) ps.push(spawnPlayer(world, (i * 997) % 2000, (i * 1499) % 2000, 80));
  for (let i = 0; i < 3; i++) runStep(world);
  const out: number[] = [];
  const { x, y } = world.stores.Position;
  const figs = await ctx.measure([
    [
      'interest query ×1000 (r=80, 10k NPCs): world.spatial',
      () => {
        for (const p of ps) world.spatial.queryRadius(x[p], y[p], 80, out);
      },
    ],
    [
      'world.spatial rebuild, NPCs + players (11k entities)',
      () => {
        world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
        world.spatial.rebuildPlayers(world, 0);
      },
    ],
  ]);
  ctx.record('queryWorldSpatialUsPerQuery', Math.round((figs[0].meanMs / ps.length) * 1e6) / 1e3);
};
