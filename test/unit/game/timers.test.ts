/**
 * World-time timers of a game (src/game/timers.ts): repeating timers at exact steps, one-shots by
 * name with JSON payloads, clear, order, bounds and errors, catch-up, and a checkpoint/restore
 * round trip firing pending timers at the same world times. Worlds are stepped directly (paused).
 */
import { describe, expect, it } from 'vitest';
import {
  clearWorldTimer,
  createGameWorld,
  defineGame,
  ErrorCode,
  hashWorldState,
  MAX_PENDING_TIMERS,
  MAX_TIMER_DELAY_SECONDS,
  pauseWorld,
  pendingWorldTimers,
  setWorldTimer,
  stepWorld,
  type FiredTimer,
  type GameWorld,
  type TimerDef,
} from '../../../src/index.js';
import { updateWorldConfig } from '../../../src/world/sim-world.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { installGame } from '../../../src/game/world.js';

type Log = { step: number; now: number; name: string; id: number; due: number; payload: unknown }[];

/** A game whose timers append to `log` (a per-test array: the handlers keep no module state). */
const makeGame = (log: Log, extra: TimerDef[] = []) => {
  const record = (world: GameWorld, _ctx: unknown, t: FiredTimer): void => {
    log.push({ step: world.clock.step + 1, now: world.clock.now, name: t.name, id: t.id, due: t.due, payload: t.payload });
  };
  return defineGame({
    name: 'timers-test',
    timers: [{ name: 'tick2', every: 2, run: record }, { name: 'once', run: record }, { name: 'other', run: record }, ...extra],
  });
};

const HZ20 = { simulation: { tickIntervalSeconds: 0.05, timeScale: 1 } };

const world = (log: Log, extra: TimerDef[] = []) => {
  const w = createGameWorld(makeGame(log, extra), { id: 'w', config: HZ20 });
  pauseWorld(w);
  return w;
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('game timers', () => {
  it('a repeating timer every 2 s at 20 Hz runs at steps 40, 80, 120 (world time exactly on its due time)', () => {
    const log: Log = [];
    const w = world(log);
    stepWorld(w, 130);
    expect(log.filter((e) => e.name === 'tick2').map((e) => [e.step, e.due])).toEqual([
      [40, 2],
      [80, 4],
      [120, 6],
    ]);
    expect(w.pipeline.map((e) => e.name)).toEqual(expect.arrayContaining(['time', 'timers', 'timer:tick2']));
    const names = w.pipeline.map((e) => e.name);
    expect(names.indexOf('timers')).toBe(names.indexOf('time') + 1);
    expect(names.indexOf('timer:tick2')).toBe(names.indexOf('timers') + 1);
  });

  it('a one-shot runs once, in the first step at or after its due time, with a copy of its payload', () => {
    const log: Log = [];
    const w = world(log);
    stepWorld(w, 3); // now 0.15
    const payload = { team: 1, tags: ['a'] };
    const id = setWorldTimer(w, 1.02, 'once', payload);
    payload.tags.push('mutated after');
    expect(pendingWorldTimers(w)).toEqual([{ id, name: 'once', due: 0.15 + 1.02, payload: { team: 1, tags: ['a'] } }]);
    stepWorld(w, 100);
    const fired = log.filter((e) => e.name === 'once');
    // due 1.17 s: step 23 ends at 1.15, step 24 at 1.20.
    expect(fired.map((e) => [e.step, e.id, e.payload])).toEqual([[24, id, { team: 1, tags: ['a'] }]]);
    expect(pendingWorldTimers(w)).toEqual([]);
    expect(w.game?.timers.counters.fired).toBe(1 + 2); // the one-shot and tick2 at 2 s and 4 s (step 80 of 103)
  });

  it('delay 0 from outside a step fires in the next step; clear cancels; ids are not reused', () => {
    const log: Log = [];
    const w = world(log);
    const a = setWorldTimer(w, 0, 'once', 'a');
    const b = setWorldTimer(w, 0.5, 'once', 'b');
    expect(clearWorldTimer(w, b)).toBe(true);
    expect(clearWorldTimer(w, b)).toBe(false);
    expect(clearWorldTimer(w, 9999)).toBe(false);
    stepWorld(w, 20);
    expect(log.map((e) => [e.step, e.payload])).toEqual([[1, 'a']]);
    expect(clearWorldTimer(w, a)).toBe(false); // fired already
    expect(setWorldTimer(w, 1, 'once')).toBe(3);
  });

  it('fires in order of due time, then id, across names; a timer set by a handler waits for a later step', () => {
    const log: Log = [];
    const chain: TimerDef = {
      name: 'chain',
      run: (world, _ctx, t) => {
        log.push({ step: world.clock.step + 1, now: world.clock.now, name: t.name, id: t.id, due: t.due, payload: t.payload });
        if ((t.payload as number) < 3) setWorldTimer(world, 0, 'chain', (t.payload as number) + 1);
      },
    };
    const w = world(log, [chain]);
    const c = setWorldTimer(w, 0.3, 'other', 'c');
    const a = setWorldTimer(w, 0.1, 'once', 'a');
    const b = setWorldTimer(w, 0.3, 'once', 'b');
    const d = setWorldTimer(w, 0.1, 'chain', 1);
    stepWorld(w, 10);
    expect(log.map((e) => [e.step, e.name, e.id])).toEqual([
      [2, 'once', a],
      [2, 'chain', d],
      [3, 'chain', 5],
      [4, 'chain', 6],
      [6, 'other', c],
      [6, 'once', b],
    ]);
  });

  it('catch-up: a step jumping over several due times runs a repeating timer once, skips (counts) the rest, stays on the grid', () => {
    const log: Log = [];
    const w = world(log);
    stepWorld(w, 39); // 1.95 s
    updateWorldConfig(w, { simulation: { tickIntervalSeconds: 7 } }); // one step: 1.95 → 8.95 (due 2, 4, 6, 8 passed)
    stepWorld(w, 1);
    updateWorldConfig(w, { simulation: { tickIntervalSeconds: 0.05 } });
    stepWorld(w, 21); // 10.00 s
    const runs = log.filter((e) => e.name === 'tick2');
    expect(runs.map((e) => [e.step, e.due])).toEqual([
      [40, 2],
      [61, 10],
    ]);
    expect(w.game?.timers.counters.skipped).toBe(3);
    // A one-shot whose due time a long step passed runs in that step, once.
    setWorldTimer(w, 0.5, 'once', 'late');
    updateWorldConfig(w, { simulation: { timeScale: 100 } });
    stepWorld(w, 1);
    expect(log.filter((e) => e.name === 'once').map((e) => e.step)).toEqual([62]);
  });

  it('refuses bad calls with coded errors and changes nothing', () => {
    const log: Log = [];
    const w = world(log);
    expect(codeOf(() => setWorldTimer(w, 1, 'nope'))).toBe(ErrorCode.TIMER_INVALID);
    expect(codeOf(() => setWorldTimer(w, 1, 'tick2'))).toBe(ErrorCode.TIMER_INVALID); // repeating: not settable
    // The message says what the name is: unknown, or a repeating timer (which the step runs by itself).
    const messageOf = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(messageOf(() => setWorldTimer(w, 1, 'nope'))).toContain(
      '"nope" is not a timer of the game (one-shot timers: once, other; declare it in timers without every)',
    );
    expect(messageOf(() => setWorldTimer(w, 1, 'tick2'))).toContain(
      '"tick2" is a repeating timer (every 2 world s): the step runs it by itself; setWorldTimer takes one-shot timers (declared without every)',
    );
    for (const d of [-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIMER_DELAY_SECONDS + 1])
      expect(codeOf(() => setWorldTimer(w, d, 'once'))).toBe(ErrorCode.TIMER_INVALID);
    for (const p of [{ f: () => 1 }, new Date(), [1, Number.NaN], { big: 'x'.repeat(5000) }, { u: undefined }])
      expect(codeOf(() => setWorldTimer(w, 1, 'once', p))).toBe(ErrorCode.TIMER_INVALID);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => setWorldTimer(w, 1, 'once', cyclic))).toBe(ErrorCode.TIMER_INVALID);
    expect(pendingWorldTimers(w)).toEqual([]);
    for (let i = 0; i < MAX_PENDING_TIMERS; i++) setWorldTimer(w, (i % 97) * 0.01, 'once', i);
    expect(codeOf(() => setWorldTimer(w, 1, 'once'))).toBe(ErrorCode.TIMER_LIMIT);
    expect(pendingWorldTimers(w).length).toBe(MAX_PENDING_TIMERS);
    stepWorld(w, 30); // all due by 0.96 s: fired in (due, id) order
    const dues = log.filter((e) => e.name === 'once').map((e) => [e.due, e.id]);
    expect(dues.length).toBe(MAX_PENDING_TIMERS);
    for (let i = 1; i < dues.length; i++) {
      const [d0, i0] = dues[i - 1] ?? [0, 0];
      const [d1, i1] = dues[i] ?? [0, 0];
      expect(d0 < d1 || (d0 === d1 && i0 < i1)).toBe(true);
    }
  });

  it('defineGame refuses bad timer declarations, listing each', () => {
    const run = () => {};
    let err: unknown;
    try {
      defineGame({
        name: 'bad',
        timers: [
          { name: 'a', every: 0, run },
          { name: 'a', run },
          { name: 'b c', run },
          { name: 'd', run, phase: 'behavior' },
          { name: 'e', every: Number.NaN, run },
          { name: 'f', every: 1, run, after: 'missing' },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe(ErrorCode.OPTION_INVALID);
    const problems = (err as { details: { problems: string[] } }).details.problems.join('\n');
    for (const s of [
      'timer "a": every',
      'timer "a" is defined twice',
      'timer "b c": name',
      'timer "d": phase/before/after',
      'timer "e": every',
      'unknown system "missing"',
    ])
      expect(problems).toContain(s);
  });

  it('a handler that throws faults the world like a system', () => {
    const w = world(
      [],
      [
        {
          name: 'boom',
          run: () => {
            throw new Error('kaput');
          },
        },
      ],
    );
    setWorldTimer(w, 0, 'boom');
    expect(codeOf(() => stepWorld(w, 1))).toBe(ErrorCode.SYSTEM_FAILED);
    expect(w.fault?.system).toBe('timers');
    expect(w.fault?.message).toContain('kaput');
  });

  it('a world restored from a checkpoint fires its pending timers at the same world times as one that never stopped', async () => {
    const logA: Log = [];
    const logB: Log = [];
    const a = world(logA);
    const game = makeGame(logB);
    stepWorld(a, 37); // 1.85 s
    setWorldTimer(a, 0.4, 'once', { n: 1 });
    setWorldTimer(a, 3, 'other', [1, 2]);
    setWorldTimer(a, 0.4, 'other', 'same due, later id');
    const cleared = setWorldTimer(a, 1, 'once');
    clearWorldTimer(a, cleared);
    const b = await restoreWorld(await encodeCapture(captureWorld(a)), { systems: game.pipeline, install: (w) => installGame(game, w) });
    pauseWorld(b);
    expect(pendingWorldTimers(b)).toEqual(pendingWorldTimers(a));
    expect(hashWorldState(b)).toBe(hashWorldState(a));
    const before = logA.length;
    stepWorld(a, 200);
    stepWorld(b, 200);
    const after = logA.slice(before);
    // to 11.85 s: once and other at 2.25, tick2 at 2, 4, 6, 8, 10, other at 4.85
    expect(after.length).toBe(8);
    expect(logB).toEqual(after);
    expect(hashWorldState(b)).toBe(hashWorldState(a));
    expect(setWorldTimer(b, 1, 'once')).toBe(setWorldTimer(a, 1, 'once')); // ids continue
  });

  it('timers are part of the game state hash', () => {
    const a = world([]);
    const b = world([]);
    expect(hashWorldState(a)).toBe(hashWorldState(b));
    setWorldTimer(a, 1, 'once', { x: 1 });
    setWorldTimer(b, 1, 'once', { x: 2 });
    expect(hashWorldState(a)).not.toBe(hashWorldState(b));
    clearWorldTimer(b, 1);
    setWorldTimer(b, 1, 'once', { x: 1 });
    expect(hashWorldState(a)).not.toBe(hashWorldState(b)); // ids differ (1 vs 2)
  });
});
