/**
 * Fuzz: damaged input logs (src/replay/log-format.ts `readLog`, replayer.ts `replayLog`). Two real
 * recordings of a physics world — one from its seed with a config change (a `pre.config`), one
 * begun on the running world (a starting checkpoint) with a player's inputs — are damaged three
 * ways: a field of a decoded frame replaced (any JSON value, an edge number), a known-bad value
 * put where the oracle knows the log must be refused, and bytes of the file overwritten or cut.
 * Each damaged log is refused with a coded error naming the problem (a bad log, a starting
 * checkpoint that is not the recorded one), or replayed to an answer — every hash matched, or the
 * first mismatch or divergence — with no system failing. A TypeError, RangeError or uncoded error
 * fails here, as does a system that failed in the replay (reported as a divergence: exit 1 of
 * `npm run replay`, "the code is not deterministic", for what is a damaged file). A log cut short
 * replays its complete frames and matches. Before the checks in readLog (log-checks.ts) a null
 * frame was `TypeError: Cannot read properties of null`, damaged budgets or facts failed the
 * replayed world's systems at that step, and a fact type the replayed world lacks did too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackMultiple } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { playerRow } from '../../../components/player-table.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { defineInputIngest, INPUT_INGEST_TYPE } from '../../../src/net/input.js';
import { createLogPackr, readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, updateWorldConfig, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { EDGE_NUMBERS, fuzzScale, fuzzSeed, jsonValue, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const LOGS = Math.round(240 * fuzzScale());

const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Codes a damaged log may be refused with. */
const REFUSALS: readonly string[] = [
  ErrorCode.REPLAY_LOG_INVALID,
  ErrorCode.REPLAY_CHECKPOINT_MISSING,
  ErrorCode.REPLAY_CHECKPOINT_MISMATCH,
  ErrorCode.CHECKPOINT_CORRUPT,
];

const NPCS = 40;
const newWorld = (): SimWorld => {
  const w = createSimWorld({ id: 'fz', capacity: 200, seed: 5, size: 300, config: {}, physics: true });
  populateNpcs(w, { count: NPCS });
  defineInputIngest(w, 2);
  return w;
};

/** Record `steps` steps of `w` to `file` (`act` runs before each step). */
const record = async (w: SimWorld, file: string, steps: number, act: (i: number) => void): Promise<Buffer> => {
  const rec = new Recorder(w, {
    path: file,
    recipe: (x) => ({ ...recipeOfTestWorld(x, { npcs: NPCS, scenes: false, inputMaxSpeed: 2 }), physics: x.physics?.config ?? null }),
    hashEvery: 3,
  });
  await rec.start();
  for (let i = 0; i < steps; i++) {
    act(i);
    runStep(w);
  }
  await rec.stop();
  w.jobs.close();
  return readFileSync(file);
};

/** The two recordings: from the seed (a config change at step 10), and from the running world (a player's inputs). */
const recordings = async (): Promise<Array<{ file: string; bytes: Buffer; frames: unknown[] }>> => {
  const seedFile = join(dir, 'seed.wtlog');
  const seeded = newWorld();
  const fromSeed = await record(seeded, seedFile, 24, (i) => {
    if (i === 10) updateWorldConfig(seeded, { simulation: { maxNpcTicksPerStep: 500 } });
  });
  const running = newWorld();
  const player = spawnPlayer(running, 60, 60, 100);
  running.stores.Player.session[playerRow(running.stores, player)] = 1;
  runStep(running);
  const runFile = join(dir, 'running.wtlog');
  const fromRunning = await record(running, runFile, 24, (i) =>
    running.ingest.push(INPUT_INGEST_TYPE, player, { session: 1, seq: i + 1, moveX: 1, moveY: i % 2, actions: 0 }),
  );
  return [
    { file: seedFile, bytes: fromSeed },
    { file: runFile, bytes: fromRunning },
  ].map((r) => {
    const frames: unknown[] = [];
    unpackMultiple(r.bytes, (v: unknown) => {
      frames.push(v);
    });
    return { ...r, frames };
  });
};

type Obj = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** A copy of `v` with one field somewhere inside replaced by `bad`. */
const replaceSomewhere = (rng: Rng, v: unknown, bad: () => unknown, depth = 0): unknown => {
  if (v === null || typeof v !== 'object' || depth > 5 || rng.chance(0.25)) return bad();
  const keys = Object.keys(v);
  if (keys.length === 0) return bad();
  const k = rng.pick(keys);
  const copy = (Array.isArray(v) ? [...v] : { ...v }) as Obj;
  copy[k] = replaceSomewhere(rng, (v as Obj)[k], bad, depth + 1);
  return copy;
};

/** Damage the oracle knows must be refused as a bad log: [what, change of the frames]. */
const KNOWN_BAD: ReadonlyArray<[string, (frames: unknown[], rng: Rng) => void]> = [
  ['a null frame', (f, rng) => (f[rng.int(1, f.length - 1)] = null)],
  ['a number frame', (f, rng) => (f[rng.int(1, f.length - 1)] = rng.pick(EDGE_NUMBERS))],
  ['an unknown frame type', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).t = 'zzz')],
  ['a negative step', (f, rng) => ((f[rng.int(1, f.length - 1)] as Obj).step = -1)],
  ['budgets not an array', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).budgets = rng.pick<unknown>(['x', {}, null, 7]))],
  ['a NaN budget', (f, rng) => (((f[rng.int(1, f.length - 2)] as Obj).budgets as unknown[])[rng.int(0, 5)] = Number.NaN)],
  ['a scale budget of 0', (f, rng) => (((f[rng.int(1, f.length - 2)] as Obj).budgets as unknown[])[rng.pick([3, 4])] = 0)],
  ['facts not an array', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).facts = rng.pick<unknown>([{}, 'x', null]))],
  [
    'a fact not a triple',
    (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).facts = [rng.pick<unknown>([null, ['input'], ['input', -2, {}], [1, 2, 3]])]),
  ],
  ['job starts malformed', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).starts = rng.pick<unknown>([null, [-1], ['x'], [1.5]]))],
  ['pre not an object', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).pre = rng.pick<unknown>(['x', 3, [1]]))],
  [
    'settlements malformed',
    (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).pre = { settles: [rng.pick<unknown>([null, [1, 'yes'], {}])] }),
  ],
  [
    'a bad config applied',
    (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).pre = { config: { simulation: { timeScale: rng.pick<unknown>([-1, 'x', 0]) } } }),
  ],
  ['an end frame without a hash', (f) => ((f[f.length - 1] as Obj).hash = 17)],
  ['a frame after the end', (f) => f.push(clone(f[f.length - 2]))],
  ['a recipe that is not an object', (f, rng) => ((f[0] as Obj).recipe = rng.pick<unknown>([null, 'x', [1]]))],
  ['a recipe NPC count that is not a count', (f, rng) => (((f[0] as Obj).recipe as Obj).npcs = rng.pick<unknown>([-1, 1.5, 'x']))],
  ['a recipe capacity not a number', (f, rng) => (((f[0] as Obj).recipe as Obj).capacity = rng.pick<unknown>(['x', null, {}]))],
  ['a recipe physics not an object', (f, rng) => (((f[0] as Obj).recipe as Obj).physics = rng.pick<unknown>(['x', 3, true]))],
  [
    'a recipe physics block invalid',
    (f, rng) => ((((f[0] as Obj).recipe as Obj).physics as Obj).tuning = rng.pick<unknown>(['x', { gravity: 'x' }])),
  ],
  ['a recipe config invalid', (f) => (((f[0] as Obj).recipe as Obj).config = { simulation: { tickIntervalSeconds: -1 } })],
  ['a recipe input speed invalid', (f, rng) => (((f[0] as Obj).recipe as Obj).inputMaxSpeed = rng.pick<unknown>([-2, 'x', Number.NaN]))],
  ['a hash period of 0', (f) => ((f[0] as Obj).hashEvery = 0)],
  ['a fact of a type the world lacks', (f, rng) => ((f[rng.int(1, f.length - 2)] as Obj).facts = [['no.such.type', 1, {}]])],
];

describe('fuzz: damaged input logs', () => {
  it(`${LOGS} damaged logs: refused with a code, or replayed to an answer with no system failing`, {
    timeout: fuzzTimeout(120_000),
  }, async () => {
    await withSeed('replay-log', fuzzSeed(0x10c5), async (rng, ctx) => {
      // A recorder never writes a hash period the reader refuses.
      const some = newWorld();
      for (const hashEvery of [0, -1, 1.5])
        expect(() => new Recorder(some, { path: join(dir, 'no.wtlog'), recipe: () => ({}) as never, hashEvery })).toThrow(
          expect.objectContaining({ code: ErrorCode.OPTION_INVALID }),
        );
      some.jobs.close();
      const logs = await recordings();
      for (const l of logs) {
        const base = await replayLog(readLog(l.file));
        expect(base.failure, 'the undamaged recording replays').toBeNull();
        expect(base.faults).toEqual([]);
      }
      expect(logs[0].frames.some((f) => (f as Obj).pre !== undefined && ((f as Obj).pre as Obj).config !== undefined)).toBe(true);
      expect((logs[1].frames[0] as Obj).start).toBeDefined();
      const packr = createLogPackr();
      const outcomes: Record<string, number> = {};
      const knownRefused = new Set<string>();
      for (let i = 0; i < LOGS; i++) {
        const l = rng.pick(logs);
        const frames = clone(l.frames);
        const how = rng.int(0, 9);
        let known: string | null = null;
        let cut = false;
        let bytes: Buffer;
        if (how < 4) {
          const at = rng.int(0, frames.length - 1);
          frames[at] = replaceSomewhere(rng, frames[at], () => (rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : jsonValue(rng, 2)));
          ctx.at = `log ${i}: frame ${at} of ${l.file} damaged: ${JSON.stringify(frames[at])?.slice(0, 500)}`;
          bytes = Buffer.concat(frames.map((f) => packr.pack(f)));
        } else if (how < 7) {
          const [what, damage] = rng.pick(KNOWN_BAD);
          damage(frames, rng);
          known = what;
          ctx.at = `log ${i}: ${what} in ${l.file}`;
          bytes = Buffer.concat(frames.map((f) => packr.pack(f)));
        } else if (how < 9) {
          bytes = Buffer.from(l.bytes);
          const spots: number[] = [];
          for (let k = rng.int(1, 4); k > 0; k--) {
            const at = rng.int(0, bytes.length - 1);
            bytes[at] = rng.int(0, 255);
            spots.push(at);
          }
          ctx.at = `log ${i}: bytes ${spots.join(',')} of ${l.file} overwritten`;
        } else {
          cut = true;
          const at = rng.int(1, l.bytes.length - 1);
          bytes = l.bytes.subarray(0, at);
          ctx.at = `log ${i}: ${l.file} cut at byte ${at} of ${l.bytes.length}`;
        }
        // Next to the recording: a relative starting checkpoint is found beside it.
        const file = `${l.file}.d${i}`;
        writeFileSync(file, bytes);
        let outcome: string;
        try {
          const res = await replayLog(readLog(file));
          expect(res.faults, 'no system fails replaying a log readLog accepted').toEqual([]);
          if (cut) expect(res.failure, 'a log cut short replays its complete frames').toBeNull();
          outcome = res.failure === null ? 'matched' : 'mismatch or divergence';
        } catch (err) {
          if (!(err instanceof WorldtickError) || !REFUSALS.includes(err.code))
            throw new Error(`not a coded refusal: ${(err as Error)?.constructor?.name} ${String((err as Error)?.message).slice(0, 300)}`);
          expect(err.message.length).toBeGreaterThan(10);
          outcome = err.code;
          if (known !== null && err.code === ErrorCode.REPLAY_LOG_INVALID) knownRefused.add(known);
        } finally {
          rmSync(file, { force: true });
        }
        if (known !== null && outcome !== ErrorCode.REPLAY_LOG_INVALID)
          throw new Error(`${known}: expected WT_ERR_REPLAY_LOG_INVALID, got ${outcome}`);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      if (process.env.WT_FUZZ_DEBUG) console.log('replay-log fuzz', outcomes, [...knownRefused]);
      // The run reached each kind of answer, and at least half of the known-bad damages.
      expect(outcomes[ErrorCode.REPLAY_LOG_INVALID]).toBeGreaterThan(0);
      expect(outcomes.matched).toBeGreaterThan(0);
      expect(outcomes['mismatch or divergence']).toBeGreaterThan(0);
      expect(knownRefused.size).toBeGreaterThanOrEqual(Math.min(KNOWN_BAD.length, 12));
    });
  });
});
