/**
 * Checkpoint figures for the `durability` suite (docs/DURABILITY.md, "World checkpoints"): for
 * the life-sim world at 10k and 100k NPCs (100 players), the synchronous copy, compression,
 * store write (SQLite FULL) and total time of a checkpoint, its raw and stored size, the restore
 * time (load + rebuild), and the step cost and loop lateness at 20 Hz without checkpoints, with
 * checkpoints written on the loop (inline writer) and with the runtime's writer thread — one
 * every 40 steps (2 s), five times the 10 s default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { Checkpointer } from '../src/persist/checkpointer.js';
import { WorkerCheckpointWriter, type CheckpointWriter } from '../src/persist/checkpoint-writer.js';
import { worldRecordOf } from '../src/persist/world-record.js';
import { captureWorld, encodeCapture, restoreWorld } from '../src/persist/world-snapshot.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { populateNpcs } from '../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { nextRange } from '../src/core/prng.js';
import type { SuiteContext } from './harness.js';

const r2 = (n: number): number => Math.round(n * 100) / 100;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const median = (xs: number[]): number => pct(xs, 50);

const buildWorld = (npcs: number): SimWorld => {
  const w = createSimWorld({
    id: `ck${npcs}`,
    seed: 5,
    capacity: npcs + 1000,
    size: Math.round(Math.sqrt(npcs) * 20),
    config: { controller: { enabled: false } },
  });
  populateNpcs(w, { count: npcs });
  for (let i = 0; i < 100; i++) spawnPlayer(w, nextRange(w.rng, 0, w.bounds.maxX), nextRange(w.rng, 0, w.bounds.maxY));
  for (let i = 0; i < 20; i++) runStep(w);
  return w;
};

/** Run `steps` steps on a 20 Hz schedule; returns step costs and lateness (ms). `every` > 0 starts a checkpoint every `every` steps. */
const paced = async (
  w: SimWorld,
  steps: number,
  ck: Checkpointer | null,
  every: number,
): Promise<{ stepMs: number[]; lateMs: number[] }> => {
  const stepMs: number[] = [];
  const lateMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const target = t0 + i * 50;
    const wait = target - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    const s = performance.now();
    lateMs.push(Math.max(0, s - target));
    runStep(w);
    stepMs.push(performance.now() - s);
    if (ck && every > 0 && i % every === 0) void ck.checkpoint(w.id);
  }
  return { stepMs, lateMs };
};

/** Measure and record the checkpoint figures (`checkpoints` in the suite's extra). */
export const runCheckpointFigures = async (ctx: SuiteContext): Promise<void> => {
  const sizes = ctx.quick ? [10_000] : [10_000, 100_000];
  const out: Array<Record<string, unknown>> = [];
  for (const npcs of sizes) {
    const dir = mkdtempSync(join(os.tmpdir(), 'wt-bench-ck-'));
    const store = new SqliteStore({ dataDir: dir });
    try {
      const w = buildWorld(npcs);
      const copy: number[] = [],
        encode: number[] = [],
        write: number[] = [],
        writeSync: number[] = [],
        restore: number[] = [];
      let raw = 0,
        stored = 0;
      const reps = ctx.quick ? 4 : 7;
      for (let i = 0; i < reps; i++) {
        if (i === 0) {
          // warm-up (JIT): not counted
          await restoreWorld(await encodeCapture(captureWorld(w)));
        }
        runStep(w);
        const cap = captureWorld(w);
        copy.push(cap.copyMs);
        const e0 = performance.now();
        const data = await encodeCapture(cap);
        encode.push(performance.now() - e0);
        const s0 = performance.now();
        const p = store.saveCheckpoint({
          worldId: w.id,
          step: cap.step,
          worldTime: cap.worldTime,
          config: cap.config,
          data,
          fencingToken: 0,
        });
        writeSync.push(performance.now() - s0); // better-sqlite3: the write and its fsync run inside this call
        await p;
        write.push(performance.now() - s0);
        raw = cap.packed.byteLength;
        stored = data.byteLength;
        const l0 = performance.now();
        const ck = await store.loadCheckpoint(w.id);
        await restoreWorld(ck!.data);
        restore.push(performance.now() - l0);
      }
      // The clock record (every 10 steps, on the loop): one small upsert + fsync.
      const recMs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r0 = performance.now();
        await store.putWorldConfig(w.id, worldRecordOf(w, { origin: 'admin', incarnation: 'bench', npcs }));
        recMs.push(performance.now() - r0);
      }
      const steps = ctx.quick ? 80 : 240;
      const every = 40;
      const base = await paced(w, steps, null, 0);
      const withWriter = async (writer: CheckpointWriter | undefined) => {
        const checkpointer = new Checkpointer({
          store: () => store,
          logger: createLogger('silent'),
          intervalSeconds: 0,
          ...(writer ? { writer } : {}),
        });
        checkpointer.track(w, { origin: 'admin' });
        if (writer) await checkpointer.checkpoint(w.id); // start the thread before measuring
        const r = await paced(w, steps, checkpointer, every);
        await checkpointer.stop();
        await writer?.close();
        return { ...r, saved: checkpointer.report(w.id)!.saved };
      };
      const inline = await withWriter(undefined);
      const withCk = await withWriter(new WorkerCheckpointWriter({ dataDir: dir }));
      const f = {
        npcs,
        players: 100,
        copyMsMedian: r2(median(copy)),
        copyMsMin: r2(Math.min(...copy)),
        encodeMsMedian: r2(median(encode)),
        writeMsMedian: r2(median(write)),
        writeOnLoopMsMedian: r2(median(writeSync)),
        totalMsMedian: r2(median(copy) + median(encode) + median(write)),
        rawBytes: raw,
        storedBytes: stored,
        restoreMsMedian: r2(median(restore)),
        clockRecordMsMedian: r2(median(recMs)),
        clockRecordMsP99: r2(pct(recMs, 99)),
        paced20Hz: {
          steps,
          checkpointEverySteps: every,
          checkpointsTaken: { inline: inline.saved, writerThread: withCk.saved },
          stepP50Ms: { without: r2(pct(base.stepMs, 50)), inline: r2(pct(inline.stepMs, 50)), writerThread: r2(pct(withCk.stepMs, 50)) },
          stepP99Ms: { without: r2(pct(base.stepMs, 99)), inline: r2(pct(inline.stepMs, 99)), writerThread: r2(pct(withCk.stepMs, 99)) },
          lateP99Ms: { without: r2(pct(base.lateMs, 99)), inline: r2(pct(inline.lateMs, 99)), writerThread: r2(pct(withCk.lateMs, 99)) },
          lateMaxMs: { without: r2(pct(base.lateMs, 100)), inline: r2(pct(inline.lateMs, 100)), writerThread: r2(pct(withCk.lateMs, 100)) },
        },
        loadAvg1: r2(os.loadavg()[0]),
      };
      out.push(f);
      ctx.log(
        `  checkpoint ${npcs} NPCs: copy ${f.copyMsMedian} ms, deflate ${f.encodeMsMedian} ms (thread pool), write ${f.writeMsMedian} ms (${f.writeOnLoopMsMedian} ms on the loop), ${Math.round(raw / 1024)} KiB raw → ${Math.round(stored / 1024)} KiB stored, restore ${f.restoreMsMedian} ms, clock record ${f.clockRecordMsMedian} ms; step p99 ${JSON.stringify(f.paced20Hz.stepP99Ms)} ms, lateness p99 ${JSON.stringify(f.paced20Hz.lateP99Ms)} ms; load ${f.loadAvg1}`,
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  ctx.record('checkpoints', out);
};
