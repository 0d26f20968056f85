/**
 * Where the end-to-end replicate phase's CPU goes above the transport floor (docs/NET-SCALE.md
 * "The e2e server cost above the floor"): the `net` suite's default-world e2e run (bench/net-e2e.ts:
 * same world, same bots, server pinned to CPU 0, bots to CPU 1), with its steps alternating between
 *
 *   inline  the phase as shipped: encode a session's snapshot, `ws.send` it, next session;
 *   batch   the phase encodes every snapshot, and the transport only copies each frame into an arena;
 *           right after the phase (outside its CPU figure) the frames are sent in one tight loop over
 *           the same transport (GameServer's `send`: wire.send → ws.send), in the phase's order.
 *
 * Every frame still reaches its bot (a batch step's frames a few ms later), so the bots' consistency
 * checks hold. Per recorded step: the phase's process CPU and wall µs per snapshot, in inline steps the
 * wall µs inside the sends (the phase's `lastSendMs`), in batch steps the flush loop's process CPU µs per
 * frame and the copy's cost (the arena copy redone after the flush, timed alone).
 *
 * `npx tsx bench/net-e2e-split.ts` (env WT_SPLIT_CLIENTS=1000,2500, WT_SPLIT_SECONDS=10, WT_SPLIT_MODES=
 * inline,batch) → bench/results/net-e2e-split.json. ≈ 20 s per size.
 */
import { runSuite, type Suite } from './harness.js';
import { e2e } from './net-e2e.js';
import { pct, pinServer, r2 } from './net-bots-proc.js';
import type { Session } from '../src/net/session.js';
import type { NetTransport } from '../src/net/world-net.js';
import type { SimWorld } from '../src/world/sim-world.js';

type Mode = 'inline' | 'batch' | 'chunk';
const MODES = (process.env.WT_SPLIT_MODES ?? 'inline,batch').split(',') as Mode[];
const CLIENTS = (process.env.WT_SPLIT_CLIENTS ?? '1000,2500').split(',').map(Number);
const SECONDS = Number(process.env.WT_SPLIT_SECONDS ?? 10);
/** `chunk` mode: frames queued and sent in a tight loop every CHUNK frames inside the phase. */
const CHUNK = Number(process.env.WT_SPLIT_CHUNK ?? 64);

for (const m of MODES)
  if (!['inline', 'batch', 'chunk'].includes(m)) {
    console.error(`WT_SPLIT_MODES must list inline, batch or chunk (got ${JSON.stringify(process.env.WT_SPLIT_MODES)})`);
    process.exit(2);
  }
if (CLIENTS.some((c) => !Number.isInteger(c) || c < 1 || c > 20_000)) {
  console.error(`WT_SPLIT_CLIENTS must be integers 1..20000 (got ${JSON.stringify(process.env.WT_SPLIT_CLIENTS)})`);
  process.exit(2);
}
if (!Number.isFinite(SECONDS) || SECONDS < 1 || SECONDS > 600) {
  console.error(`WT_SPLIT_SECONDS must be 1..600 (got ${JSON.stringify(process.env.WT_SPLIT_SECONDS)})`);
  process.exit(2);
}
if (!Number.isInteger(CHUNK) || CHUNK < 1 || CHUNK > 100_000) {
  console.error(`WT_SPLIT_CHUNK must be an integer 1..100000 (got ${JSON.stringify(process.env.WT_SPLIT_CHUNK)})`);
  process.exit(2);
}

const cpuUs = (c: NodeJS.CpuUsage): number => c.user + c.system;

/** The alternating-mode hook of one run. */
const splitHooks = () => {
  const arena = new Uint8Array(16 << 20);
  const half = arena.length >> 1;
  const qs: Session[] = [];
  const qoff: number[] = [];
  const qlen: number[] = [];
  let used = 0;
  let stepNo = 0;
  let lastSnaps = -1;
  let transport: NetTransport | null = null;
  let realSend: ((s: Session, bytes: Uint8Array) => number) | null = null;
  /** Whole run (warm-up included, for a profile's per-snapshot figures): snapshots sent; known entities per session (recorded steps). */
  let snapshotsTotal = 0,
    knownSum = 0,
    knownN = 0;
  /** The NPC grid's query margin (world units) at each recorded step: how far the interest query reaches beyond r. */
  const margins: number[] = [];
  /** Event frames (NPC intents) sent per recorded step: sent inside the phase, not counted as snapshots. */
  const events: number[] = [];
  let lastEvents = -1;
  const rows: Record<Mode, { cpu: number[]; wall: number[]; send: number[]; flush: number[]; copy: number[]; snaps: number[] }> = {
    inline: { cpu: [], wall: [], send: [], flush: [], copy: [], snaps: [] },
    batch: { cpu: [], wall: [], send: [], flush: [], copy: [], snaps: [] },
    chunk: { cpu: [], wall: [], send: [], flush: [], copy: [], snaps: [] },
  };
  let mode: Mode = 'inline';
  const flushQueue = (): void => {
    const send = realSend;
    if (send) for (let i = 0; i < qs.length; i++) send(qs[i], arena.subarray(qoff[i], qoff[i] + qlen[i]));
    qs.length = 0;
    qoff.length = 0;
    qlen.length = 0;
    used = 0;
  };
  const queue = (s: Session, bytes: Uint8Array): number => {
    if (used + bytes.length > half) return realSend ? realSend(s, bytes) : -1;
    if (mode === 'chunk' && qs.length >= CHUNK) flushQueue();
    arena.set(bytes, used);
    qs.push(s);
    qoff.push(used);
    qlen.push(bytes.length);
    used += bytes.length;
    return 1;
  };
  return {
    afterStep(w: SimWorld, recording: boolean): void {
      const net = w.net;
      if (!net) return;
      if (transport !== net.transport) {
        // Wrap the server's transport object once (its `send` field is a plain property).
        transport = net.transport;
        const send = transport.send;
        realSend = send;
        transport.send = (s, bytes) => (mode !== 'inline' ? queue(s, bytes) : send(s, bytes));
      }
      const snapsNow = net.stats.snapshotsSent;
      const snaps = lastSnaps < 0 ? 0 : snapsNow - lastSnaps;
      lastSnaps = snapsNow;
      let flushUs = 0,
        copyUs = 0;
      const frames = qs.length;
      if (frames > 0 && realSend) {
        const c1 = process.cpuUsage();
        for (let i = 0; i < frames; i++) arena.copyWithin(half + qoff[i], qoff[i], qoff[i] + qlen[i]);
        copyUs = cpuUs(process.cpuUsage(c1));
        const c0 = process.cpuUsage();
        flushQueue();
        flushUs = cpuUs(process.cpuUsage(c0));
      }
      snapshotsTotal = snapsNow;
      const eventsNow = net.stats.eventsSent + net.stats.eventsDropped;
      if (recording && snaps > 0) {
        for (const s of net.sessions) knownSum += s.knownCount;
        knownN += net.sessions.length;
        margins.push(net.margin);
        if (lastEvents >= 0) events.push(eventsNow - lastEvents);
        const r = rows[mode];
        // chunk: the last partial chunk, sent here, belongs to the phase.
        r.cpu.push((net.stats.lastReplicateCpuMs * 1000 + (mode === 'chunk' ? flushUs : 0)) / snaps);
        r.wall.push((net.stats.lastReplicateMs * 1000) / snaps);
        r.send.push((net.stats.lastSendMs * 1000) / snaps);
        r.snaps.push(snaps);
        if (frames > 0 && mode === 'batch') {
          r.flush.push(flushUs / frames);
          r.copy.push(copyUs / frames);
        }
      }
      lastEvents = eventsNow;
      // The next step's mode.
      stepNo++;
      mode = MODES[stepNo % MODES.length];
    },
    report(): Record<string, unknown> {
      const out: Record<string, unknown> = {
        modes: MODES,
        snapshotsTotal,
        knownPerSession: r2(knownSum / Math.max(1, knownN)),
        eventsPerStep: { p50: pct(events, 0.5), max: pct(events, 1) },
        margin: { p10: r2(pct(margins, 0.1)), p50: r2(pct(margins, 0.5)), p90: r2(pct(margins, 0.9)) },
      };
      for (const m of ['inline', 'batch', 'chunk'] as const) {
        const r = rows[m];
        if (r.cpu.length === 0) continue;
        out[m] = {
          steps: r.cpu.length,
          snapshotsPerStep: pct(r.snaps, 0.5),
          phaseCpuUsPerSnapshot: { p25: r2(pct(r.cpu, 0.25)), p50: r2(pct(r.cpu, 0.5)), p75: r2(pct(r.cpu, 0.75)) },
          phaseWallUsPerSnapshot: r2(pct(r.wall, 0.5)),
          inPhaseSendWallUsPerSnapshot: r2(pct(r.send, 0.5)),
          ...(r.flush.length
            ? {
                flushCpuUsPerFrame: { p25: r2(pct(r.flush, 0.25)), p50: r2(pct(r.flush, 0.5)), p75: r2(pct(r.flush, 0.75)) },
                copyCpuUsPerFrame: r2(pct(r.copy, 0.5)),
              }
            : {}),
        };
      }
      return out;
    },
  };
};

const suite: Suite = {
  name: 'net-e2e-split',
  async run(ctx) {
    const pin = pinServer();
    ctx.record('pinning', pin);
    for (const clients of CLIENTS) {
      ctx.log(`e2e split: ${clients} clients, modes ${MODES.join('/')} alternating per step, ${SECONDS} s`);
      const hooks = splitHooks();
      const r = await e2e(ctx, { clients, seconds: SECONDS, scenario: 'default', pin, hooks });
      const keep = [
        'clients',
        'serverCpuUsPerSessionSnapshot',
        'serverWallUsPerSessionSnapshot',
        'sendUsPerSessionSnapshot',
        'transportFloorUsPerSocket',
        'controllerModeSteps',
        'ladderLevelsAtEnd',
        'avgSnapshotBytes',
        'inconsistencies',
        'disconnects',
        'serverCpuPercent',
        'loadAverage',
        'hooks',
      ];
      const fig = Object.fromEntries(keep.map((k) => [k, r[k]]));
      ctx.log(JSON.stringify(fig));
      ctx.record(`split${clients}`, fig);
    }
  },
};

await runSuite(suite, process.argv.includes('--quick'));
process.exit(0);
