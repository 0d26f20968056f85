/**
 * Suite `net`:
 * 1. Snapshot encoding per step for 1,000 and 5,000 sessions each seeing ~50 entities (no
 *    sockets): cost per step, bytes per snapshot; and msgpackr's `pack` of the same messages
 *    (the alternative the hand-rolled writer replaces), for the ratio.
 * 2. End to end: a game server in this process (10,000 NPCs at 20 Hz, the default pipeline),
 *    N real WebSocket clients in a SEPARATE process (`src/bots/main.ts`) on 127.0.0.1:
 *    update latency p50/p99, bytes per client per second, server step p99, replicate phase and
 *    its ws.send part, server and bots CPU, RSS per 1,000 sessions (settled RSS with every
 *    session joined minus settled RSS of the same server with 0 sessions). Every 10th bot
 *    decodes snapshots in full and checks its entity view; the others read only the snapshot
 *    head (latency is measured on every snapshot either way). Full run: 1,000 clients × 15 s,
 *    then the 5,000-session goal × 10 s.
 * 3. The standard crowd scenario (src/scenarios/crowd.ts, docs/SCENARIOS.md) end to end with
 *    crowd bots: 1,000 clients × 10 s (quick: 200 × 3 s), for side-by-side comparisons.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, unpack } from 'msgpackr';
import { createLogger } from '../src/log.js';
import { LoopRunner } from '../src/loop/loop-runner.js';
import { GameServer } from '../src/net/game-server.js';
import { resolveNetConfig } from '../src/net/net-config.js';
import { beginRun, createWorldNet, encodeSessionSnapshot, type NetTransport, type SnapshotFrame } from '../src/net/replication.js';
import { createConn, createSession, type Session } from '../src/net/session.js';
import { populateNpcs } from '../src/world/populate.js';
import { createSimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { CROWD, CROWD_NET, createCrowdWorld } from '../src/scenarios/crowd.js';
import { runStep } from '../src/world/step.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';
import { genWorld } from './gendata.js';
import type { Suite, SuiteContext } from './harness.js';

setFlagsFromString('--expose-gc');
/** A full GC before reading RSS (so garbage of earlier tasks does not count). */
const gc = runInNewContext('gc') as () => void;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const stub: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => Date.now() };
const pct = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000) / 1000 : 0;
};

const encodingBench = async (ctx: SuiteContext, sessions: number): Promise<void> => {
  const npcs = 10_000;
  const size = 2000;
  const { world, players } = genWorld({ npcs, players: sessions, size, id: `enc${sessions}`, systems: [] });
  // Radius for ~50 entities in view at this density (NPCs + players).
  const radius = Math.sqrt((50 * size * size) / (Math.PI * (npcs + sessions)));
  const net = createWorldNet(world, resolveNetConfig({ interestRadius: radius, detailedRadius: radius / 2 }), stub);
  const ss: Session[] = players.map((p, i) => createSession(createConn(i + 1, 0, 1), world.id, p, 'b', 't', radius));
  const f: SnapshotFrame = { step: 0, worldTime: 0, sendTime: Date.now(), radiusScale: 1, farEvery: 1, requeryEvery: 1 };
  let bytes = 0, snaps = 0, seen = 0;
  const encodeAll = (): void => {
    beginRun(world, net);
    for (const s of ss) {
      bytes += encodeSessionSnapshot(world, net, s, f);
      seen += s.knownCount;
      snaps++;
    }
    f.step++;
  };
  const move = (): void => { movementSystem(world, world.ctx); timeSystem(world, world.ctx); };
  encodeAll(); // first snapshot: everything enters
  const firstAvg = bytes / snaps;
  bytes = 0; snaps = 0; seen = 0;
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
  const [alt] = await ctx.measure([[`msgpackr pack only (no diff): ${sessions} snapshots`, () => { for (const m of msgs) packr.pack(m); }]]);
  ctx.record(`encode${sessions}VsMsgpackrPackOnly`, Math.round((fig!.meanMs / alt!.meanMs) * 100) / 100);
};

/** Interest queries on the world's spatial index (what replication uses), and its rebuild (what replication does when the pipeline has no tiering phase). */
const queryBench = async (ctx: SuiteContext): Promise<void> => {
  const world = createSimWorld({ id: 'q', capacity: 12_000, size: 2000 });
  populateNpcs(world, { count: 10_000 });
  const ps: number[] = [];
  for (let i = 0; i < 1000; i++) ps.push(spawnPlayer(world, (i * 997) % 2000, (i * 1499) % 2000, 80));
  for (let i = 0; i < 3; i++) runStep(world);
  const out: number[] = [];
  const { x, y } = world.stores.Position;
  const figs = await ctx.measure([
    ['interest query ×1000 (r=80, 10k NPCs): world.spatial', () => { for (const p of ps) world.spatial.queryRadius(x[p]!, y[p]!, 80, out); }],
    ['world.spatial rebuild, NPCs + players (11k entities)', () => { world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed); world.spatial.rebuildPlayers(world, 0); }],
  ]);
  ctx.record('queryWorldSpatialUsPerQuery', Math.round((figs[0]!.meanMs / ps.length) * 1e6) / 1e3);
};

interface BotReport {
  connected: number;
  disconnects: number;
  disconnectsByCode: Record<string, number>;
  updateLatencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; samples: number };
  inputAckRttMs: { p50: number; p99: number };
  snapshotsPerClientPerSecond: number;
  bytesPerClientPerSecond: number;
  avgSnapshotBytes: number;
  inconsistencies: number;
  fullDecodeClients: number;
  lightClients: number;
  botsCpuPercent: number;
}

/** Bots' warm-up after joining (s); every FULL_EVERY-th bot decodes in full (see src/bots/light-bot.ts). */
const WARMUP_S = 2;
const FULL_EVERY = 10;
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
/**
 * RSS after the heap has settled: three forced full GCs 300 ms apart (V8 releases freed pages
 * lazily), then the minimum of three samples, so garbage and not-yet-released pages of earlier
 * work do not count.
 */
const settledRss = async (): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
    min = Math.min(min, process.memoryUsage().rss);
  }
  return min;
};

const e2e = async (ctx: SuiteContext, clients: number, seconds: number, scenario: 'default' | 'crowd' = 'default'): Promise<Record<string, unknown>> => {
  const crowd = scenario === 'crowd';
  const world = crowd
    ? createCrowdWorld({ id: '1', npcs: CROWD.npcs, seed: 1, playerCapacity: clients + 100 })
    : createSimWorld({ id: '1', capacity: 10_000 + clients + 100, size: 2000, seed: 1, config: { simulation: { tickIntervalSeconds: 0.05 } } });
  if (!crowd) populateNpcs(world, { count: 10_000 });
  const steps: number[] = [];
  const replicate: number[] = [];
  const send: number[] = [];
  let recording = false;
  const runner = new LoopRunner({
    onStep: (w) => {
      if (!recording) return;
      steps.push(w.stats.totalMs);
      if (w.net) { replicate.push(w.net.stats.lastReplicateMs); send.push(w.net.stats.lastSendMs); }
    },
  });
  runner.add(world);
  const server = new GameServer({ host: '127.0.0.1', port: 0, logger: createLogger('warn'), resolveWorld: (id) => (id === '1' ? world : undefined), net: crowd ? { ...CROWD_NET } : {} });
  await server.start();
  runner.start();
  await new Promise((r) => setTimeout(r, 1000));
  const loadAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
  const rss0 = await settledRss();
  let rssJoined = 0;
  let recordAt = 0;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bots/main.ts', '--url', `ws://127.0.0.1:${server.port}`, '--clients', String(clients), '--duration', String(seconds), '--warmup', String(WARMUP_S), '--concurrency', '200', '--full-every', String(FULL_EVERY), '--no-progress', '--scenario', crowd ? 'crowd' : 'steady'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => { for (const l of d.split('\n')) if (l.trim() && !l.includes('joined')) ctx.log(`  ${l}`); });
  let cpu0 = process.cpuUsage();
  let measuring: Promise<void> | null = null;
  const watcher = setInterval(() => {
    const s = server.stats().sessions;
    if (!measuring && s >= clients * 0.99) {
      // RSS with every session joined, settled the same way as the 0-session baseline (during
      // the bots' warm-up, before recording), then the measured window starts.
      measuring = settledRss().then((r) => { rssJoined = r; recording = true; cpu0 = process.cpuUsage(); recordAt = performance.now(); });
    }
  }, 100);
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const cpu = process.cpuUsage(cpu0);
  const cpuWallMs = performance.now() - recordAt;
  clearInterval(watcher);
  runner.stop();
  const st = server.stats();
  const mode = (world as unknown as { controller?: { mode?: string } }).controller?.mode;
  await server.stop();
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bots exited ${code}: ${out.slice(-500)}`);
  const r = JSON.parse(line) as BotReport;
  return {
    scenario,
    clients,
    connected: r.connected,
    disconnects: r.disconnects,
    disconnectsByCode: r.disconnectsByCode,
    updateLatencyMs: r.updateLatencyMs,
    inputAckRttMs: r.inputAckRttMs,
    snapshotsPerClientPerSecond: r.snapshotsPerClientPerSecond,
    bytesPerClientPerSecond: r.bytesPerClientPerSecond,
    avgSnapshotBytes: r.avgSnapshotBytes,
    inconsistencies: r.inconsistencies,
    serverStepMs: { p50: pct(steps, 0.5), p99: pct(steps, 0.99), max: pct(steps, 1), steps: steps.length },
    replicatePhaseMs: { p50: pct(replicate, 0.5), p99: pct(replicate, 0.99) },
    /** Part of the replicate phase inside ws.send (uWS + kernel loopback TCP); the rest is mostly encoding. */
    replicateSendMs: { p50: pct(send, 0.5), p99: pct(send, 0.99) },
    replicateUsPerSession: { total: Math.round((pct(replicate, 0.5) * 1000 / clients) * 100) / 100, send: Math.round((pct(send, 0.5) * 1000 / clients) * 100) / 100 },
    serverRssMiB: { zeroSessions: mib(rss0), allJoined: mib(rssJoined) },
    serverRssMiBPer1000Sessions: rssJoined ? Math.round(((rssJoined - rss0) / 2 ** 20 / (clients / 1000)) * 10) / 10 : null,
    /** Server process CPU (% of one core) from the end of the join settle to the bots' exit. */
    serverCpuPercent: Math.round((cpu.user + cpu.system) / 10 / Math.max(1, cpuWallMs)),
    /** Server CPU ms (user + system) per simulated step over the same window: less sensitive to other load on the machine than wall figures. */
    serverCpuMsPerStep: steps.length ? Math.round(((cpu.user + cpu.system) / 1000 / steps.length) * 10) / 10 : null,
    serverSystemCpuMsPerStep: steps.length ? Math.round((cpu.system / 1000 / steps.length) * 10) / 10 : null,
    loadAverage1mAtStart: loadAtStart,
    botsCpuPercent: r.botsCpuPercent,
    fullDecodeClients: r.fullDecodeClients,
    lightClients: r.lightClients,
    skippedBackpressure: st.skippedBackpressure,
    eventsSent: st.worlds['1']?.eventsSent ?? 0,
    closesByCode: st.closesByCode,
    controllerModeAtEnd: mode ?? 'n/a',
  };
};

const suite: Suite = {
  name: 'net',
  async run(ctx) {
    const runs: Array<[number, number]> = ctx.quick ? [[200, 3]] : [[1000, 15], [5000, 10]];
    for (const [clients, secs] of runs) {
      ctx.log(`e2e: ${clients} WebSocket clients (separate process), 10k NPCs, 20 Hz, ${secs} s`);
      ctx.record(`e2e${clients}`, await e2e(ctx, clients, secs));
    }
    // The standard crowd scenario (docs/SCENARIOS.md): 2,000 NPCs, 1000×1000, radius 100, crowd bots.
    const [crowdClients, crowdSecs] = ctx.quick ? [200, 3] : [1000, 10];
    ctx.log(`e2e crowd scenario: ${crowdClients} crowd bots (separate process), 2,000 NPCs, 20 Hz, ${crowdSecs} s`);
    ctx.record(`e2eCrowd${crowdClients}`, await e2e(ctx, crowdClients, crowdSecs, 'crowd'));
    await encodingBench(ctx, 1000);
    await encodingBench(ctx, 5000);
    await queryBench(ctx);
    ctx.record('note', '2-core machine shared with other engineers and with the bots process on the same host: timings are noisy (2-3x run to run)');
  },
};
export default suite;
