/**
 * Cost prototype of a per-cell known set (docs/NET-SCALE.md, "Per-cell known set: a cost prototype"):
 * `npx tsx bench/cell-known-proto.ts [npcs] [sessions] [steps]`. Bench only, self-contained (plain
 * typed arrays, no src/ code): the replicate-profile world's density (10,000 NPCs per 2000², one
 * player per session, NPCs at 0.2–1.5 units/s and players at 4 as in that bench, env knobs below), r = 80, 20 Hz, every session
 * gets every step. Encoders, run on the same world steps in a rotating order, each timed in process CPU:
 *  - A<c>: per-entity diff (the real encoder's structure: marks by id from the session's known rows,
 *    exact distance test, enters/updates, leave pass) over c-unit grid cells;
 *  - B<c>: per-cell known set: per step, each c-unit cell's block of update entries (entities that
 *    stayed in it) and its in/out lists, built once; per session, cells wholly inside the disc that
 *    were interior (synced) last step are one block copy per row span plus their in/out lists, the
 *    rest (boundary ring, newly interior cells) goes through A's per-entity diff.
 * Every step a sample of sessions' frames is decoded into client mirrors and compared with a
 * brute-force view (ids and quantized positions); any mismatch is reported (and fails the run).
 * Writes bench/results/cell-known-proto.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { blockEncoder } from './cell-known-block.js';
import { type Enc, entityEncoder, makeGrid, rebuildGrid, type World } from './cell-known-encoders.js';
import { median, r2 } from './net-bots-proc.js';

const npcs = Number(process.argv[2] ?? 10_000);
const sessions = Number(process.argv[3] ?? 5000);
const steps = Number(process.argv[4] ?? 40);
const hz = 20;
/**
 * Speeds (units/s): NPCs uniform in [NPC_MIN, NPC_MAX] (default 0.2–1.5, src/world/populate.ts's
 * wander speeds), players PLAYER_SPEED (default 4, bench/gendata.ts). SPEED=v sets all three to v.
 */
const speedAll = process.env.SPEED === undefined ? undefined : Number(process.env.SPEED);
const npcMin = speedAll ?? Number(process.env.NPC_MIN ?? 0.2);
const npcMax = speedAll ?? Number(process.env.NPC_MAX ?? 1.5);
const playerSpeed = speedAll ?? Number(process.env.PLAYER_SPEED ?? 4);
/** A bad argument or env value: say which and exit 2, before anything runs. */
const refuse = (what: string, v: unknown): never => {
  console.error(`cell-known-proto: ${what} (got ${JSON.stringify(v)})`);
  process.exit(2);
};
if (!Number.isInteger(npcs) || npcs < 1 || npcs > 2_000_000) refuse('npcs must be an integer 1..2000000', process.argv[2]);
if (!Number.isInteger(sessions) || sessions < 1 || sessions > 100_000) refuse('sessions must be an integer 1..100000', process.argv[3]);
if (!Number.isInteger(steps) || steps < 8 || steps > 100_000) refuse('steps must be an integer 8..100000', process.argv[4]);
for (const [k, v] of [
  ['NPC_MIN', npcMin],
  ['NPC_MAX', npcMax],
  ['PLAYER_SPEED', playerSpeed],
] as const)
  if (!Number.isFinite(v) || v < 0 || v > 1000) refuse(`${speedAll === undefined ? k : 'SPEED'} must be a number 0..1000 (units/s)`, v);
if (npcMin > npcMax) refuse('NPC_MIN must be <= NPC_MAX', [npcMin, npcMax]);
const radius = 80;
const scale = 16;
const size = Math.round(Math.sqrt((npcs * 2000 * 2000) / 10_000));
const n = npcs + sessions;

let seed = 7;
const rnd = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const world: World = {
  n,
  npcs,
  size,
  radius,
  x: new Float64Array(n),
  y: new Float64Array(n),
  qx: new Int32Array(n),
  qy: new Int32Array(n),
  pqx: new Int32Array(n),
  pqy: new Int32Array(n),
};
const vx = new Float64Array(n);
const vy = new Float64Array(n);
for (let e = 0; e < n; e++) {
  world.x[e] = rnd() * size;
  world.y[e] = rnd() * size;
  const a = rnd() * Math.PI * 2;
  const v = e < npcs ? npcMin + rnd() * (npcMax - npcMin) : playerSpeed;
  vx[e] = Math.cos(a) * v;
  vy[e] = Math.sin(a) * v;
  world.qx[e] = Math.round(world.x[e] * scale);
  world.qy[e] = Math.round(world.y[e] * scale);
}
const grids = [16, 32, 64].map((c) => makeGrid(world, c));
const gridOf = (c: number) => {
  const g = grids.find((x) => x.c === c);
  if (!g) throw new Error(`no grid ${c}`);
  return g;
};
const move = (): void => {
  const dt = 1 / hz;
  world.pqx.set(world.qx);
  world.pqy.set(world.qy);
  for (let e = 0; e < n; e++) {
    let x = world.x[e] + vx[e] * dt;
    let y = world.y[e] + vy[e] * dt;
    if (x < 0 || x >= size) {
      vx[e] = -vx[e];
      x = Math.min(Math.max(x, 0), size - 1e-6);
    }
    if (y < 0 || y >= size) {
      vy[e] = -vy[e];
      y = Math.min(Math.max(y, 0), size - 1e-6);
    }
    world.x[e] = x;
    world.y[e] = y;
    world.qx[e] = Math.round(x * scale);
    world.qy[e] = Math.round(y * scale);
  }
  for (const g of grids) rebuildGrid(world, g);
};

const sampleEvery = 97;
const encs: Enc[] = [
  entityEncoder(world, gridOf(64), sessions, sampleEvery),
  entityEncoder(world, gridOf(32), sessions, sampleEvery),
  entityEncoder(world, gridOf(16), sessions, sampleEvery),
  blockEncoder(world, gridOf(32), sessions, sampleEvery),
  blockEncoder(world, gridOf(16), sessions, sampleEvery),
];
/** ONLY=B16 (profiling): run only that encoder (the ratios printed are then meaningless; no JSON written). */
const only = process.env.ONLY;
const warmup = 10;
const windowSteps = Math.max(1, Math.floor(steps / 8));
const windows: number[][] = encs.map(() => []);
const winMs = encs.map(() => 0);
const totMs = encs.map(() => 0);
const t0 = new Date().toISOString();
const load0 = os.loadavg();
for (let t = 1; t <= warmup + steps; t++) {
  move();
  for (let k = 0; k < encs.length; k++) {
    const i = (k + t) % encs.length;
    if (only !== undefined && encs[i].name !== only) continue;
    const c = process.cpuUsage();
    encs[i].step(t);
    const d = process.cpuUsage(c);
    if (t > warmup) winMs[i] += (d.user + d.system) / 1000;
  }
  for (const e of encs) if (only === undefined || e.name === only) e.verify(t);
  if (t === warmup) for (const e of encs) e.resetStats();
  if (t > warmup && (t - warmup) % windowSteps === 0) {
    for (let i = 0; i < encs.length; i++) {
      windows[i].push((winMs[i] * 1000) / (windowSteps * sessions));
      totMs[i] += winMs[i];
      winMs[i] = 0;
    }
  }
}
const load1 = os.loadavg();
const snaps = steps * sessions;
const rows = encs.map((e, i) => ({
  encoder: e.name,
  usPerSnapshotMedian: r2(median(windows[i])),
  usPerSnapshotWindows: windows[i].map(r2),
  bytesPerSnapshot: r2(e.stats.bytes / snaps),
  viewPerSnapshot: r2((e.stats.block + e.stats.transfer + e.stats.perEntity) / snaps),
  candidatesPerSnapshot: r2(e.stats.candidates / snaps),
  blockEntitiesPerSnapshot: r2(e.stats.block / snaps),
  transferEntitiesPerSnapshot: r2(e.stats.transfer / snaps),
  perEntityPathPerSnapshot: r2(e.stats.perEntity / snaps),
  handoffsPerSnapshot: r2(e.stats.handoff / snaps),
  prepUsPerStep: e.stats.prepMs > 0 ? r2((e.stats.prepMs * 1000) / steps) : 0,
  verifiedSessionSteps: e.stats.verified,
  mismatches: e.stats.mismatches,
}));
const a16 = rows[2].usPerSnapshotMedian;
const a32 = rows[1].usPerSnapshotMedian;
const a64 = rows[0].usPerSnapshotMedian;
const ratios = {
  b32OverA32: r2(rows[3].usPerSnapshotMedian / a32),
  b16OverA16: r2(rows[4].usPerSnapshotMedian / a16),
  b32OverA64: r2(rows[3].usPerSnapshotMedian / a64),
  b16OverA64: r2(rows[4].usPerSnapshotMedian / a64),
};
for (const r of rows)
  console.log(
    `${r.encoder.padEnd(4)} ${r.usPerSnapshotMedian.toFixed(2)} µs/snapshot (windows ${r.usPerSnapshotWindows.join(' ')}), ${r.bytesPerSnapshot} B, view ${r.viewPerSnapshot}, candidates ${r.candidatesPerSnapshot}, block ${r.blockEntitiesPerSnapshot} + transfer ${r.transferEntitiesPerSnapshot} + per-entity ${r.perEntityPathPerSnapshot} (handoffs ${r.handoffsPerSnapshot}), prep ${r.prepUsPerStep} µs/step, verified ${r.verifiedSessionSteps}, mismatches ${r.mismatches}`,
  );
console.log(`ratios ${JSON.stringify(ratios)}; load ${load0[0].toFixed(2)} → ${load1[0].toFixed(2)}`);
mkdirSync('bench/results', { recursive: true });
if (only === undefined)
  writeFileSync(
    'bench/results/cell-known-proto.json',
    `${JSON.stringify(
      {
        suite: 'cell-known-proto',
        date: t0,
        end: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        load: { start: load0.map(r2), end: load1.map(r2) },
        params: {
          npcs,
          sessions,
          steps,
          warmup,
          windowSteps,
          hz,
          npcSpeed: [npcMin, npcMax],
          playerSpeed,
          radius,
          positionScale: scale,
          worldSize: size,
          sampleEvery,
        },
        encoders: rows,
        ratios,
      },
      null,
      2,
    )}\n`,
  );
const bad = rows.reduce((s, r) => s + r.mismatches, 0);
if (bad > 0) {
  console.error(`${bad} mismatches: not a result`);
  process.exitCode = 1;
}
