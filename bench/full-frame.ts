/**
 * Part of suite `shards`: the share of frames within 16 ms at 100k NPCs + 1k players with the
 * full pipeline (original requirement: 95 %). The world steps at 60 Hz (so the controller's
 * frame budget is the 16.7 ms target) with everything on: ingest, tiering, selection, behaviour,
 * interactions, scene jobs on a real worker pool, physics (or plain movement), jobs, periodic,
 * replication to 1,000 sessions at the default `snapshotHz` 20 (each session every 3rd step,
 * sessions staggered; stub transport: encoding, not the socket), and the adaptive
 * controller. Reported per configuration: share of steps ≤ 16 ms, percentiles, phase means, NPCs
 * per tier and the physics level of detail (bodies in the step, NPCs moved coarsely). The `NoLod`
 * configurations turn coarse movement off (`npcSim.coarseMoveMinNpcs` above the population), so
 * every body is in every physics step: the level of detail's before/after in one run.
 */
import { query } from 'bitecs';
import { playerRow } from '../components/player-table.js';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createScenePool, enableScenes } from '../src/content/scene-job.js';
import { resolveNetConfig } from '../src/net/net-config.js';
import { createWorldNet, type NetTransport } from '../src/net/replication.js';
import { createConn, createSession } from '../src/net/session.js';
import { PHASES } from '../src/core/phases.js';
import { ShardService } from '../src/shards/shard-service.js';
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, destroySimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import type { SuiteContext } from './harness.js';
import { timePhasesCpu } from './phase-cpu.js';

const NPCS = 100_000;
const PLAYERS = 1_000;
/** Same density as the default world (10k NPCs on 2,000²). */
const SIZE = Math.round(Math.sqrt((NPCS * 2000 * 2000) / 10_000));
const TARGET_MS = 16;
const stub: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => Date.now() };
const r2 = (x: number): number => Math.round(x * 100) / 100;
const pct = (s: number[], q: number): number => r2(s[Math.min(s.length - 1, Math.floor(q * s.length))]);

const runConfig = async (ctx: SuiteContext, label: string, physics: unknown, steps: number, lod = true) => {
  const world = createSimWorld({
    id: 'frames',
    capacity: NPCS + PLAYERS + 16,
    seed: 7,
    size: SIZE,
    physics,
    config: { simulation: { tickIntervalSeconds: 1 / 60 } },
  });
  populateNpcs(world, { count: NPCS });
  if (!lod) world.npcSim.coarseMoveMinNpcs = NPCS + 1;
  const net = createWorldNet(world, resolveNetConfig({}), stub);
  world.net = net;
  for (let i = 0; i < PLAYERS; i++) {
    const p = spawnPlayer(world, nextRange(world.rng, 0, SIZE), nextRange(world.rng, 0, SIZE), net.config.interestRadius);
    const a = nextRange(world.rng, 0, Math.PI * 2);
    world.stores.Velocity.x[p] = Math.cos(a) * 4;
    world.stores.Velocity.y[p] = Math.sin(a) * 4;
    world.stores.Player.session[playerRow(world.stores, p)] = i + 1;
    net.sessions.push(createSession(createConn(i + 1, 0, 1), world.id, p, 'b', 't', net.config.interestRadius));
  }
  const pool = createScenePool({ maxThreads: 1 });
  enableScenes(world, pool);
  const shards = world.physics && world.physics.config.shards > 0 ? new ShardService(world.id, world.physics) : null;
  await shards?.start();
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r)); // job results come back between steps
  for (let i = 0; i < 30; i++) {
    runStep(world);
    await tick();
  }
  const ms: number[] = [];
  const phaseSum = new Float64Array(PHASES.length);
  const snaps0 = net.stats.snapshotsSent;
  const load0 = os.loadavg();
  // WT_FRAME_CPU=1: each phase's process CPU ms (not wall: the host is shared) in the dump instead of wall ms.
  const cpuPhase = new Float64Array(PHASES.length);
  if (process.env.WT_FRAME_CPU === '1') timePhasesCpu(world, cpuPhase);
  // WT_FRAME_DUMP=file: per-step total, phase ms and the near pass's phase before the step (tail analysis).
  const dump: number[][] | null = process.env.WT_FRAME_DUMP ? [] : null;
  for (let i = 0; i < steps; i++) {
    const nearPhase = world.npcSim.nearPhase,
      building = world.spatial.npcBuilding() ? 1 : 0;
    runStep(world);
    ms.push(world.stats.totalMs);
    dump?.push([
      world.stats.totalMs,
      nearPhase,
      building,
      ...(process.env.WT_FRAME_CPU === '1' ? cpuPhase : world.stats.phaseMs),
      net.stats.snapshotsSent,
      world.spatial.margin(),
      ['normal', 'degraded', 'emergency'].indexOf(world.controller.mode),
      world.ctx.budgets.interestQuality,
      world.ctx.budgets.farReplicationEvery,
    ]);
    cpuPhase.fill(0);
    for (let k = 0; k < PHASES.length; k++) phaseSum[k] += world.stats.phaseMs[k];
    await tick();
  }
  const tiers = [0, 0, 0, 0];
  for (const e of query(world, [world.stores.Npc])) tiers[Math.min(3, world.stores.Tier.tier[e])]++;
  const lodNow = world.physics?.lod;
  const sorted = [...ms].sort((a, b) => a - b);
  const within = ms.filter((m) => m <= TARGET_MS).length / ms.length;
  const fig = {
    steps,
    withinTargetShare: r2(within * 100) / 100,
    meanMs: r2(ms.reduce((a, b) => a + b, 0) / ms.length),
    p50Ms: pct(sorted, 0.5),
    p95Ms: pct(sorted, 0.95),
    p99Ms: pct(sorted, 0.99),
    phaseMeanMs: Object.fromEntries(PHASES.map((p, k) => [p, r2(phaseSum[k] / steps)])),
    /** Sessions replicated per step (snapshotHz 20 at 60 Hz: each session every 3rd step) and the replicate phase's µs per snapshot. */
    replicate: {
      snapshotsPerStep: r2((net.stats.snapshotsSent - snaps0) / steps),
      usPerSessionSnapshot: r2(
        ((phaseSum[PHASES.indexOf('replicate')] / steps) * 1000) / Math.max(1, (net.stats.snapshotsSent - snaps0) / steps),
      ),
    },
    controllerMode: world.controller.mode,
    npcTicksBudgetAtEnd: world.ctx.budgets.npcTicks,
    /** NPCs per tier at the end (detailed, active, ambient, dormant). */
    npcsPerTier: { detailed: tiers[0], active: tiers[1], ambient: tiers[2], dormant: tiers[3] },
    physicsBodies: world.physics?.state.stats.lastBodies ?? null,
    /** Level of detail: on in the last step; bodies in it; NPCs moved coarsely in it (slice + rejoining). */
    physicsLod: lodNow ? { on: lodNow.on, stepBodies: lodNow.lastStepBodies, coarseMoved: lodNow.lastCoarse } : null,
    shardsUsedLastStep: world.physics?.sharded.lastSharded ?? null,
    /** `auto`: probes run, switches made, the last probe's reference and probe window means (ms). */
    shardsAuto:
      world.physics?.config.mode === 'auto' && (world.physics?.config.shards ?? 0) > 0
        ? { ...world.physics.sharded.auto, ring: undefined }
        : null,
    loadAvgStart: load0.map(r2),
    loadAvgEnd: os.loadavg().map(r2),
  };
  ctx.log(
    `${label}: ${(within * 100).toFixed(1)} % of ${steps} steps <= ${TARGET_MS} ms (p50 ${fig.p50Ms}, p95 ${fig.p95Ms}, p99 ${fig.p99Ms} ms; physics ${fig.phaseMeanMs.physics} ms; tiers ${tiers.join('/')}; load ${fig.loadAvgEnd.join(' ')})`,
  );
  if (dump !== null && process.env.WT_FRAME_DUMP)
    writeFileSync(`${process.env.WT_FRAME_DUMP}.${label.replace(/\W+/g, '-')}.json`, JSON.stringify(dump));
  await shards?.stop();
  destroySimWorld(world);
  await pool.stop();
  return fig;
};

/** Run the three configurations and record `fullPipelineFrames` in the suite's results. */
export const fullPipelineFrames = async (ctx: SuiteContext): Promise<void> => {
  const steps = Number(process.env.WT_FRAME_STEPS ?? (ctx.quick ? 40 : 240));
  const tuning = { cellSize: 8 };
  const net0 = resolveNetConfig({});
  const out: Record<string, unknown> = {
    setup: `${NPCS} NPCs + ${PLAYERS} players (1,000 sessions, stub transport, net.snapshotHz ${net0.snapshotHz}: each session every 3rd step, staggered), world ${SIZE}², 60 Hz, controller on, scene jobs on (1 worker), default systems; physics cellSize 8`,
    targetMs: TARGET_MS,
    requirement: '95 % of frames within 16 ms',
    cores: os.availableParallelism(),
  };
  // WT_FRAME_ONLY=auto (or a comma list of off, inline, auto, inlineNoLod, autoNoLod): only those configurations (A/B sittings).
  const only = process.env.WT_FRAME_ONLY?.split(',') ?? null;
  const want = (k: string): boolean => only === null || only.includes(k);
  if (want('off')) out.physicsOff = await runConfig(ctx, 'full pipeline, physics off (movement)', false, steps);
  if (want('inline')) out.physicsInline = await runConfig(ctx, 'full pipeline, physics inline', { shards: 0, tuning }, steps);
  if (want('auto'))
    out.physicsShardsAuto = await runConfig(ctx, 'full pipeline, physics shards auto', { shards: 'auto', mode: 'auto', tuning }, steps);
  // Before the level of detail (every body in every step), same run.
  if (want('inlineNoLod'))
    out.physicsInlineNoLod = await runConfig(ctx, 'full pipeline, physics inline, no LOD', { shards: 0, tuning }, steps, false);
  if (want('autoNoLod'))
    out.physicsShardsAutoNoLod = await runConfig(
      ctx,
      'full pipeline, physics shards auto, no LOD',
      { shards: 'auto', mode: 'auto', tuning },
      steps,
      false,
    );
  ctx.record('fullPipelineFrames', out);
};
