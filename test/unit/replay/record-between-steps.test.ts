/**
 * What happens between two steps, in an input log (src/replay): a durable player binding made by
 * custom code between steps (not in a join) takes effect for the NEXT step, live, so the replay
 * must make it before that step — not at the start of the step before it (the frame still open when
 * it was made). A game system reads the bindings every step (`playerIdOf`, `playerEntityOf`) into
 * a rolling per-player history, so a binding replayed one step early (or late) changes the hash.
 * Also covered: a binding made after `start()` and before the first step, one made after a faulted
 * step (before its retry), facts delivered (`deliverToWorld`) and leaves pushed between steps, a
 * version 4 log, and — within a step — a game system placed before `ingest`, which must not see the
 * step's recorded facts in a replay when it did not live.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  addComponent,
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  getStore,
  type GameWorld,
  playerEntityOf,
  playerIdOf,
  query,
} from '../../../src/index.js';
import { bindPlayer } from '../../../src/ledger/world-ledger.js';
import { createLogPackr, type LogFrame, LOG_VERSION, type ReadLog, readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { PLAYER_BIND_FACT } from '../../../src/replay/replay-players.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { faultWorld, resumeWorld, runStep } from '../../../src/core/step.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { ledgeredSessions } from '../../helpers/ledgered-sessions.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-rec-between-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Seen = defineComponent('Seen', { h: 'u32', found: 'u32', got: 'u32', trap: 'u8' });
const strHash = (s: string | null): number => {
  if (s === null) return 7;
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

/**
 * Every step: fold each player's durable id into its history; count the steps `carol-2` is found.
 * A player with a trap set (the `trap` fact) makes the step fault once, after the history changed.
 */
const watch = (w: GameWorld): void => {
  const s = getStore(w, Seen);
  for (const e of query(w, [Seen])) s.h[e] = (Math.imul(s.h[e], 31) + strHash(playerIdOf(w, e))) >>> 0;
  const c2 = playerEntityOf(w, 'carol-2');
  if (c2 !== null) s.found[c2]++;
  for (const e of query(w, [Seen]))
    if (s.trap[e] === 1) {
      s.trap[e] = 0;
      throw new Error('a planned fault');
    }
};

const credit = defineFact<{ pid: string; n: number }>({
  name: 'credit',
  apply: (w, p) => {
    const e = playerEntityOf(w, p.pid);
    if (e !== null) getStore(w, Seen).got[e] += p.n;
  },
});

const trap = defineFact<{ pid: string }>({
  name: 'trap',
  apply: (w, p) => {
    const e = playerEntityOf(w, p.pid);
    if (e !== null) getStore(w, Seen).trap[e] = 1;
  },
});

const game = defineGame({
  name: 'between',
  components: [Seen],
  facts: [credit, trap],
  systems: [{ name: 'watch', phase: 'behavior', run: watch }],
  hooks: { onPlayerJoined: (w, player) => addComponent(w, player, Seen) },
});

/** Placed between the `record` and `ingest` systems: folds each player's credits before this step's facts apply. */
const peek = (w: GameWorld): void => {
  const s = getStore(w, Seen);
  for (const e of query(w, [Seen])) s.h[e] = (Math.imul(s.h[e], 31) + s.got[e]) >>> 0;
};
const early = defineGame({
  name: 'early',
  components: [Seen],
  facts: [credit],
  systems: [{ name: 'peek', before: 'ingest', run: peek }],
  hooks: { onPlayerJoined: (w, player) => addComponent(w, player, Seen) },
});

/** Write `log`'s frames to a file as a recorder would. */
const writeLog = (path: string, log: ReadLog): void => {
  const packr = createLogPackr();
  const frames: LogFrame[] = [log.header, ...log.steps, ...(log.end ? [log.end] : [])];
  writeFileSync(path, Buffer.concat(frames.map((f) => packr.pack(f))));
};

const recipeOf = (w: SimWorld) => recipeOfTestWorld(w, { npcs: 0, scenes: false, inputMaxSpeed: 10, game: game.name });

describe('inputs between steps in the input log', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a binding made between steps replays at the step it preceded, every hash matching', async () => {
    const { world: w, joinAs, leave, steps } = await ledgeredSessions(game, { id: 'bs', seed: 9, capacity: 64 }, cleanup);
    const path = join(dir, 'bind.wtlog');
    const rec = new Recorder(w, { path, recipe: recipeOf, hashEvery: 1 });
    await rec.start();
    const carol = joinAs('carol');
    const dave = joinAs('dave');
    // Before the first step: the recorder has no frame open yet.
    await steps(3);
    const [ce, de] = [await carol, await dave];
    expect(playerIdOf(w, ce)).toBe('carol');
    // Between steps 2 and 3: carol's entity is bound to another durable id (custom code, no join).
    bindPlayer(w, ce, 'carol-2');
    const bindStep = w.clock.step;
    await steps(3);
    // A fact and a leave pushed between steps: applied (and logged) by the next step.
    deliverToWorld(w, credit, { pid: 'carol-2', n: 4 });
    leave('remove', de);
    await steps(2);
    // A faulted step: the binding made after it takes effect for its retry, not for the faulted run.
    deliverToWorld(w, trap, { pid: 'carol-2' });
    try {
      runStep(w);
    } catch (err) {
      faultWorld(w, err);
    }
    bindPlayer(w, ce, 'carol-3');
    resumeWorld(w);
    await steps(3);
    await rec.stop();
    const s = getStore(w, Seen);
    expect(s.found[ce]).toBe(6);
    expect(s.got[ce]).toBe(4);

    const log = readLog(path);
    const res = await replayLog(log, undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.faults).toHaveLength(1);
    expect(res.checks.length).toBe(log.steps.length + 1);
    expect(res.checks.every((c) => c.ok)).toBe(true);
    // The binding is logged with the step it preceded (what happened before it), not in the frame open when it was made.
    expect(log.header.version).toBe(LOG_VERSION);
    const at = log.steps.find((f) => f.step === bindStep);
    expect(at?.pre?.binds).toEqual([[ce, 'carol-2']]);
    expect(log.steps.flatMap((f) => f.facts).filter(([t]) => t === PLAYER_BIND_FACT)).toEqual([]);

    // Without the bindings before the steps, the replay diverges; a malformed list is reported.
    const noBinds = structuredClone(log);
    for (const f of noBinds.steps) delete f.pre?.binds;
    expect((await replayLog(noBinds, undefined, { game })).failure).toMatch(/state hash/);
    const bad = structuredClone(log);
    const badAt = bad.steps.find((f) => f.step === bindStep);
    if (badAt?.pre) badAt.pre.binds = [['x', 1]] as unknown as Array<[number, string]>;
    expect((await replayLog(bad, undefined, { game })).failure).toBe(
      `step ${bindStep}: the recorded player bindings before the step are malformed`,
    );

    // A version 4 log (bindings outside a join as `player.bind` facts, applied at their place in the
    // step's facts) is still read and replayed: here each binding is the first fact of its step.
    const v4 = structuredClone(log);
    v4.header.version = 4;
    for (const f of v4.steps) {
      const binds = f.pre?.binds ?? [];
      f.facts.unshift(...binds.map(([eid, id]): [string, number, unknown] => [PLAYER_BIND_FACT, eid, id]));
      delete f.pre?.binds;
    }
    const v4Path = join(dir, 'v4.wtlog');
    writeLog(v4Path, v4);
    const v4Read = readLog(v4Path);
    expect(v4Read.header.version).toBe(4);
    const v4Res = await replayLog(v4Read, undefined, { game });
    expect(v4Res.failure).toBeNull();
    expect(v4Res.checks.every((c) => c.ok)).toBe(true);
    // A version this build does not know is refused.
    const v6Path = join(dir, 'v6.wtlog');
    writeLog(v6Path, { ...log, header: { ...log.header, version: LOG_VERSION + 1 } });
    expect(() => readLog(v6Path)).toThrow(`log version ${LOG_VERSION + 1} is not supported (expected 2..${LOG_VERSION})`);
  }, 20_000);

  it('a binding made after start() and before the first step is in the log', async () => {
    const { world: w, joinAs, steps } = await ledgeredSessions(game, { id: 'bf', seed: 5, capacity: 64 }, cleanup);
    const warm = new Recorder(w, { path: join(dir, 'warm.wtlog'), recipe: recipeOf, hashEvery: 1 });
    await warm.start();
    const erin = joinAs('erin');
    await steps(2);
    const ee = await erin;
    await warm.stop();
    // A recording begun on the running world; erin is rebound before its first step.
    const path = join(dir, 'first.wtlog');
    const rec = new Recorder(w, { path, recipe: recipeOf, hashEvery: 1 });
    await rec.start();
    bindPlayer(w, ee, 'carol-2');
    await steps(3);
    await rec.stop();
    const log = readLog(path);
    const res = await replayLog(log, undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.every((c) => c.ok)).toBe(true);
    expect(log.header.players).toEqual([[ee, 'erin']]);
    expect(log.steps[0]?.pre?.binds).toEqual([[ee, 'carol-2']]);
  }, 20_000);

  it('recorded facts apply in the replay where the live ingest system applied them, after a system placed before it', async () => {
    const { world: w, joinAs, steps } = await ledgeredSessions(early, { id: 'pk', seed: 3, capacity: 64 }, cleanup);
    const path = join(dir, 'peek.wtlog');
    const rec = new Recorder(w, {
      path,
      recipe: (x) => recipeOfTestWorld(x, { npcs: 0, scenes: false, inputMaxSpeed: 10, game: early.name }),
      hashEvery: 1,
    });
    await rec.start();
    const fay = joinAs('fay');
    await steps(2);
    const fe = await fay;
    for (let i = 1; i <= 3; i++) {
      deliverToWorld(w, credit, { pid: 'fay', n: i });
      await steps(2);
    }
    await rec.stop();
    expect(getStore(w, Seen).got[fe]).toBe(6);
    const res = await replayLog(readLog(path), undefined, { game: early });
    expect(res.failure).toBeNull();
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 20_000);
});
