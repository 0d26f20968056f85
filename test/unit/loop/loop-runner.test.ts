import { describe, expect, it } from 'vitest';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, resumeWorld } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS, PhaseIndex, type SystemEntry } from '../../../systems/index.js';
import { ErrorCode } from '../../../src/errors.js';

const world = (id: string, tick: number, extra: Record<string, unknown> = {}, systems?: readonly SystemEntry[]) =>
  createSimWorld({ id, config: { simulation: { tickIntervalSeconds: tick, timeScale: 1, ...extra } }, ...(systems ? { systems } : {}) });

describe('loop runner (synthetic clock)', () => {
  it('reportStep runs the per-step hook for a step taken outside the loop; false without a hook', () => {
    const seen: string[] = [];
    const w = world('forced', 0.05);
    expect(new LoopRunner({ onStep: (x) => seen.push(x.id) }).reportStep(w)).toBe(true);
    expect(seen).toEqual(['forced']);
    expect(new LoopRunner().reportStep(w)).toBe(false);
  });

  it('runs each world on its own interval, drift-free', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.05, { maxCatchUpSteps: 1000 });
    const b = world('b', 0.2, { maxCatchUpSteps: 1000 });
    r.add(a);
    r.add(b);
    // Irregular, late wake-ups: the step count still follows floor(t / interval).
    for (const t of [13, 49, 51, 130, 199, 200, 377, 1000, 1003, 2000.5]) {
      now = t;
      r.runDue(now);
      expect(a.clock.step).toBe(Math.floor(t / 50));
      expect(b.clock.step).toBe(Math.floor(t / 200));
    }
  });

  it('canStep gate: a gated world holds like a pause (nothing dropped), catch-up stops when the gate closes', () => {
    let now = 0;
    let open = true;
    let budget = Infinity;
    const r = new LoopRunner({ now: () => now, canStep: () => open && budget-- > 0 });
    const a = world('a', 0.05, { maxCatchUpSteps: 1000 });
    r.add(a);
    now = 500;
    r.runDue(now);
    expect(a.clock.step).toBe(10);
    open = false;
    now = 2000;
    r.runDue(now);
    expect(a.clock.step).toBe(10);
    expect(r.nextDueMs()).toBeNull();
    expect(r.slackMs()).toBe(Number.POSITIVE_INFINITY);
    open = true;
    budget = 3; // the gate closes after 3 of the 4 due steps
    now = 2200;
    r.runDue(now);
    expect(a.clock.step).toBe(13);
    expect(a.counters.droppedSteps).toBe(0);
  });

  it('keeps cadence over 10,000 steps (targets are start + k·interval)', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.05);
    r.add(a);
    for (let i = 1; i <= 10_000; i++) {
      now = i * 50 + (i % 7) * 3; // jittery timer, always late, never early
      r.runDue(now);
    }
    expect(a.clock.step).toBe(10_000);
    expect(a.counters.droppedSteps).toBe(0);
  });

  it('caps catch-up and counts the dropped time', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.1, { maxCatchUpSteps: 4 });
    r.add(a);
    now = 1000; // a 1 s stall: 10 steps due
    expect(r.runDue(now)).toBe(4);
    expect(a.clock.step).toBe(4);
    expect(a.counters.droppedSteps).toBe(6);
    expect(a.counters.droppedSeconds).toBeCloseTo(0.6, 9);
    expect(a.clock.now).toBeCloseTo(0.4, 9); // world time only advanced by the steps run
    now = 1100;
    expect(r.runDue(now)).toBe(1); // back on cadence, no burst
  });

  it('does not step a paused world and does not replay the pause on resume', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.1);
    r.add(a);
    now = 300;
    r.runDue(now);
    expect(a.clock.step).toBe(3);
    pauseWorld(a);
    now = 5000;
    r.runDue(now);
    expect(a.clock.step).toBe(3);
    const t = a.clock.now;
    resumeWorld(a);
    now = 5050;
    r.runDue(now);
    expect(a.clock.now).toBe(t);
    now = 5100;
    r.runDue(now);
    expect(a.clock.step).toBe(4);
    expect(a.counters.droppedSteps).toBe(0);
  });

  it('a throwing system faults only its world; others keep their cadence', () => {
    let now = 0;
    const faults: string[] = [];
    const r = new LoopRunner({ now: () => now, onFault: (w) => faults.push(w.id) });
    const boom: SystemEntry = {
      name: 'boom',
      phase: 'behavior',
      run: (w) => {
        if (w.clock.step === 2) throw new Error('kaboom');
      },
    };
    const bad = world('bad', 0.1, {}, [
      ...DEFAULT_SYSTEMS.filter((s) => PhaseIndex[s.phase] <= PhaseIndex.behavior),
      boom,
      ...DEFAULT_SYSTEMS.filter((s) => PhaseIndex[s.phase] > PhaseIndex.behavior),
    ]);
    const good = world('good', 0.1);
    r.add(bad);
    r.add(good);
    for (let t = 100; t <= 1000; t += 100) {
      now = t;
      r.runDue(now);
    }
    expect(faults).toEqual(['bad']);
    expect(bad.fault).toMatchObject({ code: ErrorCode.SYSTEM_FAILED, system: 'boom', step: 2 });
    expect(bad.fault!.message).toContain('kaboom');
    expect(bad.clock.paused).toBe(true);
    expect(bad.clock.step).toBe(2);
    expect(bad.counters.faults).toBe(1);
    expect(good.clock.step).toBe(10);
  });

  it('re-anchors when the tick interval changes', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.1, { maxCatchUpSteps: 100 });
    r.add(a);
    now = 1000;
    r.runDue(now);
    expect(a.clock.step).toBe(10);
    a.config = { ...a.config, simulation: { ...a.config.simulation, tickIntervalSeconds: 0.5 } };
    a.configVersion++;
    now = 1400;
    r.runDue(now);
    expect(a.clock.step).toBe(10);
    now = 1500;
    r.runDue(now);
    expect(a.clock.step).toBe(11);
  });

  it('worlds added at different times share one wake per tick; each keeps its fixed timestep and catch-up cap', () => {
    let now = 0;
    const r = new LoopRunner({ now: () => now });
    const a = world('a', 0.05, { maxCatchUpSteps: 3 });
    r.add(a);
    now = 17;
    const b = world('b', 0.05, { maxCatchUpSteps: 3 });
    r.add(b);
    now = 33;
    const c = world('c', 0.05, { maxCatchUpSteps: 3 });
    r.add(c);
    const wakes: number[] = [];
    // Wake exactly when the runner asks, as its timer does: every wake runs all three worlds.
    for (let i = 0; i < 200; i++) {
      const next = r.nextDueMs();
      if (next === null) throw new Error('no world due');
      now = next;
      wakes.push(now);
      expect(r.runDue(now)).toBe(3);
    }
    expect(wakes.slice(0, 3)).toEqual([50, 100, 150]);
    expect(wakes[199]).toBe(10_000);
    for (const w of [a, b, c]) {
      expect(w.clock.step).toBe(200);
      expect(w.clock.now).toBeCloseTo(200 * 0.05, 9); // fixed timestep: dt per step, whatever the wake
      expect(w.counters.droppedSteps).toBe(0);
    }
    // A stall of 1 s: each world runs its cap and drops the rest, then all are back on the shared cadence.
    now = 11_000;
    expect(r.runDue(now)).toBe(9);
    for (const w of [a, b, c]) {
      expect(w.clock.step).toBe(203);
      expect(w.counters.droppedSteps).toBe(17);
    }
    expect(r.nextDueMs()).toBe(11_050);
    // A world resumed between two ticks rejoins the shared tick (no step at once, none replayed).
    pauseWorld(b);
    now = 11_050;
    r.runDue(now);
    now = 11_070;
    resumeWorld(b);
    expect(r.runDue(now)).toBe(0);
    expect(r.nextDueMs()).toBe(11_100);
    // The gap before the next due step (the session sweep fits in it): 30 ms; once past it, negative.
    expect(r.slackMs()).toBe(30);
    now = 11_104;
    expect(r.slackMs()).toBe(-4);
    now = 11_100;
    expect(r.runDue(now)).toBe(3);
    expect(b.clock.step).toBe(204);
  });

  it('ticks on real timers', async () => {
    const r = new LoopRunner();
    const a = world('a', 0.01);
    r.add(a);
    r.start();
    await new Promise((res) => setTimeout(res, 120));
    r.stop();
    expect(a.clock.step).toBeGreaterThan(3);
    const steps = a.clock.step;
    await new Promise((res) => setTimeout(res, 40));
    expect(a.clock.step).toBe(steps);
  });
});
