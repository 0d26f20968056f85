import { describe, expect, it } from 'vitest';
import { observeStep } from '../../../src/controller/controller.js';
import { getControllerStatus } from '../../../src/controller/controller-status.js';
import { createCpuMeter, sampleCpu } from '../../../src/controller/cpu-meter.js';
import { PHASE_COUNT, PhaseIndex } from '../../../src/core/phases.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';

const mk = (controller: Record<string, unknown> = {}): SimWorld =>
  createSimWorld({
    id: 'cpu',
    capacity: 16,
    systems: [],
    config: { controller: { frameBudgetMs: 16, warmupSteps: 0, holdSteps: 10, ...controller } },
  });

/** Steps well inside the frame budget (4 ms of 16): only the CPU budget can move the mode. */
const run = (w: SimWorld, n: number): void => {
  const costs = new Float64Array(PHASE_COUNT);
  costs[PhaseIndex.physics] = 4;
  for (let i = 0; i < n; i++) {
    observeStep(w, costs);
    w.clock.step++;
  }
};

describe('controller CPU budget', () => {
  it('more than 80 % of a core in normal mode is over budget; recovery waits for the CPU to drop', () => {
    const w = mk();
    w.controller.cpuShare = 0.5;
    run(w, 30);
    expect(getControllerStatus(w).mode).toBe('normal');
    w.controller.cpuShare = 0.92;
    run(w, 1);
    const s = getControllerStatus(w);
    expect(s.mode).toBe('degraded');
    expect(s.reason).toBe('process CPU 92% of a core > budget 80%');
    // Frame costs are calm but the CPU is still over budget: stays degraded.
    run(w, 50);
    expect(getControllerStatus(w).mode).toBe('degraded');
    // Between the recovery margin (0.8 × 0.7 / 0.95 ≈ 59 %) and the budget: still held.
    w.controller.cpuShare = 0.7;
    run(w, 50);
    expect(getControllerStatus(w).mode).toBe('degraded');
    w.controller.cpuShare = 0.4;
    run(w, 20);
    expect(getControllerStatus(w).mode).toBe('normal');
  });

  it('is configurable and 0 disables it', () => {
    const w = mk({ cpuBudget: 0.5 });
    w.controller.cpuShare = 0.6;
    run(w, 1);
    expect(getControllerStatus(w).reason).toMatch(/> budget 50%/);
    const off = mk({ cpuBudget: 0 });
    off.controller.cpuShare = 3;
    run(off, 30);
    expect(getControllerStatus(off).mode).toBe('normal');
    expect(() => mk({ cpuBudget: -1 })).toThrow(/controller\.cpuBudget/);
  });

  it('the meter measures this process; the loop runner hands the share to its worlds', async () => {
    const before = process.cpuUsage();
    const m = createCpuMeter(performance.now(), 50);
    expect(sampleCpu(m, m.startMs + 10)).toBe(-1);
    const t0 = performance.now();
    while (performance.now() - t0 < 80) {
      /* burn CPU */
    }
    const now = performance.now();
    const used = process.cpuUsage(before);
    const share = sampleCpu(m, now);
    // The meter reads this process's CPU over its window: no more than what the process used from
    // just before the window (how much of a core it got depends on the machine's load, not tested).
    expect(share).toBeGreaterThan(0);
    // (its window started before t0 and its CPU is part of `used`, so share <= used / (now - t0)).
    expect(share).toBeLessThanOrEqual((used.user + used.system) / 1000 / (now - t0) + 0.01);
    const w = mk();
    const runner = new LoopRunner({ cpuWindowMs: 50 });
    runner.add(w);
    runner.start();
    await new Promise((r) => setTimeout(r, 200));
    runner.stop();
    expect(w.controller.cpuShare).toBeGreaterThan(0);
  });
});
