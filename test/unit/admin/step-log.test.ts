import type { ControllerMode } from '../../../src/controller/controller.js';
import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createStepLog, WARMUP_STEPS } from '../../../src/server/step-log.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

const capture = (level: 'info' | 'debug') => jsonLogSink(level);

const setMode = (w: SimWorld, mode: ControllerMode): void => {
  w.controller.mode = mode;
};

describe('step log', () => {
  it('warns on budget overruns at most once per interval, counting the suppressed ones', () => {
    const { logger, lines } = capture('info');
    let now = 0;
    const tel = createTelemetry({ stepLog: createStepLog(logger, { warnIntervalMs: 1000, now: () => now, warmupSteps: 0 }) });
    const w = createSimWorld({ id: 'a', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    const step = (ms: number) => {
      w.stats.totalMs = ms;
      w.clock.step++;
      tel.onStep(w);
    };
    step(9); // warn
    for (let i = 0; i < 5; i++) step(9); // suppressed
    step(1); // under budget: nothing
    now = 1500;
    step(12); // warn, 5 suppressed
    const warns = lines.filter((l) => l.msg === 'step over frame budget');
    expect(warns).toHaveLength(2);
    expect(warns[0]).toMatchObject({ level: 40, world: 'a', stepMs: 9, budgetMs: 5, suppressed: 0 });
    expect(warns[1]).toMatchObject({ stepMs: 12, suppressed: 5, overrunsTotal: 7 });
    expect(lines.some((l) => l.msg === 'step')).toBe(false); // no debug summary at info
  });

  it('no overrun warning during the warm-up of a fresh world (default 20 steps); the first one after it counts them', () => {
    const { logger, lines } = capture('info');
    const tel = createTelemetry({ stepLog: createStepLog(logger, { warnIntervalMs: 1000, now: () => 0 }) });
    const step = (w: SimWorld, ms: number) => {
      w.stats.totalMs = ms;
      w.clock.step++;
      tel.onStep(w);
    };
    const w = createSimWorld({ id: 'cold', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    step(w, 95); // a cold first step
    step(w, 12);
    for (let i = 2; i < WARMUP_STEPS; i++) step(w, 1);
    expect(lines.filter((l) => l.msg === 'step over frame budget')).toHaveLength(0);
    expect(tel.of(w).overruns).toBe(2); // still counted
    step(w, 9); // a real overrun after the warm-up
    const warns = lines.filter((l) => l.msg === 'step over frame budget');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ world: 'cold', stepMs: 9, warmupOverruns: 2, overrunsTotal: 3 });
    // A restored world is a new world object: its own warm-up.
    const restored = createSimWorld({ id: 'cold', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    step(restored, 95);
    expect(lines.filter((l) => l.msg === 'step over frame budget')).toHaveLength(1);
  });

  it('warns on controller mode changes, rate-limited', () => {
    const { logger, lines } = capture('info');
    let now = 0;
    const tel = createTelemetry({ stepLog: createStepLog(logger, { warnIntervalMs: 1000, now: () => now }) });
    const w = createSimWorld({ id: 'b', capacity: 10 });
    const step = () => {
      w.stats.totalMs = 0.1;
      w.clock.step++;
      tel.onStep(w);
    };
    step(); // first observation: the starting mode, not a change
    setMode(w, 'degraded');
    step();
    setMode(w, 'normal');
    step(); // suppressed
    now = 2000;
    setMode(w, 'emergency');
    step();
    const warns = lines.filter((l) => l.msg === 'controller mode changed');
    expect(warns.map((l) => [l.from, l.to, l.suppressed])).toEqual([
      ['normal', 'degraded', 0],
      ['normal', 'emergency', 1],
    ]);
    expect(tel.of(w).modeHistory.map((h) => h.to)).toEqual(['normal', 'degraded', 'normal', 'emergency']);
  });

  it('writes a per-step summary only at debug', () => {
    const { logger, lines } = capture('debug');
    const tel = createTelemetry({ stepLog: createStepLog(logger) });
    const w = createSimWorld({ id: 'c', capacity: 10 });
    w.stats.totalMs = 0.5;
    w.clock.step = 1;
    tel.onStep(w);
    const s = lines.find((l) => l.msg === 'step');
    expect(s).toMatchObject({ level: 20, world: 'c', step: 0, stepMs: 0.5, dtWorld: expect.any(Number) });
    expect(s).toHaveProperty('npcTicks');
    expect(s).toHaveProperty('jobOps');
    expect(s).toHaveProperty('tiers');
  });
});
