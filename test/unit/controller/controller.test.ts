import { describe, expect, it } from 'vitest';
import { HISTORY_SIZE, npcTickFloor, observeStep } from '../../../src/controller/controller.js';
import { getControllerStatus } from '../../../src/controller/controller-status.js';
import { ErrorCode } from '../../../src/errors.js';
import { createSimWorld, updateWorldConfig, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { PHASE_COUNT, PhaseIndex } from '../../../systems/types.js';
import { controlSystem } from '../../../systems/control-system.js';
import { ingestSystem } from '../../../systems/ingest-system.js';

const B = 16;
const mk = (controller: Record<string, unknown> = {}): SimWorld =>
  createSimWorld({
    id: 'ctl',
    capacity: 16,
    systems: [],
    config: {
      simulation: { maxNpcTicksPerStep: 1000, detailedReserve: 0.2 },
      controller: { frameBudgetMs: B, warmupSteps: 0, ...controller },
    },
  });

/** Inject one step of synthetic load: `aiMs` in behavior, `otherMs` in physics. */
const feed = (w: SimWorld, aiMs: number, otherMs = 0): void => {
  const costs = new Float64Array(PHASE_COUNT);
  costs[PhaseIndex.behavior] = aiMs;
  costs[PhaseIndex.physics] = otherMs;
  observeStep(w, costs);
  w.clock.step++;
  w.clock.now += 3;
};
const run = (w: SimWorld, n: number, aiMs: number | ((i: number) => number), otherMs = 2): void => {
  for (let i = 0; i < n; i++) feed(w, typeof aiMs === 'number' ? aiMs : aiMs(i), otherMs);
};

describe('frame-budget controller (injected phase costs)', () => {
  it('moves normal → degraded → emergency and back with hysteresis', () => {
    const w = mk();
    run(w, 100, 6); // 8 ms: half the budget
    expect(getControllerStatus(w).mode).toBe('normal');
    run(w, 30, 18); // 20 ms = 1.25× budget
    const s1 = getControllerStatus(w);
    expect(s1.mode).toBe('degraded');
    expect(s1.reason).toMatch(/fast avg .* > 0.95× budget/);
    // Inside the hysteresis band (0.7..0.95 of budget): stays degraded, no flapping.
    run(w, 300, (i) => (i % 2 ? 9 : 13)); // 11..15 ms, avg 13 ms = 0.81× budget
    expect(getControllerStatus(w).mode).toBe('degraded');
    expect(getControllerStatus(w).transitions).toBe(1);
    // Three spikes (> 2× budget) in a row force emergency.
    run(w, 3, 32); // 34 ms > 2× budget
    const s2 = getControllerStatus(w);
    expect(s2.mode).toBe('emergency');
    expect(s2.reason).toMatch(/spike streak 3/);
    expect(s2.since.step).toBe(w.clock.step - 1);
    // Calm: one mode down per hold period, never straight to normal.
    run(w, 45, 4);
    expect(getControllerStatus(w).mode).toBe('degraded');
    run(w, 45, 4);
    const s3 = getControllerStatus(w);
    expect(s3.mode).toBe('normal');
    expect(s3.history.map((t) => `${t.from}>${t.to}`)).toEqual([
      'normal>degraded',
      'degraded>emergency',
      'emergency>degraded',
      'degraded>normal',
    ]);
  });

  it('does not flap on noisy load around the threshold', () => {
    const w = mk();
    run(w, 2000, (i) => (i % 3 === 0 ? 16 : 8)); // steps at 18/10 ms, avg ~12.7 ms, some above budget
    expect(getControllerStatus(w).transitions).toBeLessThanOrEqual(2);
  });

  it('AI throttling: cuts the NPC tick budget under overload, never below the detailed floor, and recovers', () => {
    const w = mk();
    const floor = npcTickFloor(w);
    expect(floor).toBe(200);
    run(w, 20, 6);
    expect(w.ctx.budgets.npcTicks).toBe(1000);
    let min = Infinity;
    for (let i = 0; i < 100; i++) {
      // AI cost follows the tick budget (2× overload at the full budget: 30 ms of AI).
      feed(w, (w.ctx.budgets.npcTicks / 1000) * 30, 2);
      min = Math.min(min, w.ctx.budgets.npcTicks);
    }
    expect(getControllerStatus(w).mode).not.toBe('normal');
    expect(w.ctx.budgets.npcTicks).toBeLessThan(600);
    expect(w.ctx.budgets.tierFrequencyScale).toBeGreaterThan(1);
    expect(w.ctx.budgets.farReplicationEvery).toBeGreaterThan(1);
    // Impossible load (AI alone 10× budget whatever the budget): held at the floor, not below.
    run(w, 50, 160);
    expect(w.ctx.budgets.npcTicks).toBe(floor);
    expect(min).toBeGreaterThanOrEqual(floor);
    run(w, 300, 2);
    expect(getControllerStatus(w).mode).toBe('normal');
    expect(w.ctx.budgets.npcTicks).toBe(1000);
    expect(w.ctx.budgets.tierFrequencyScale).toBe(1);
  });

  it('ingest drain budget steps down under overload and decays back to baseline', () => {
    const w = mk({ ingestDrainBaseline: 1000, ingestDrainMin: 50, ingestDrainMax: 8000 });
    run(w, 5, 4);
    expect(w.ctx.budgets.ingestDrain).toBe(1000);
    run(w, 20, 30);
    expect(w.ctx.budgets.ingestDrain).toBe(50);
    run(w, 200, 4);
    expect(w.ctx.budgets.ingestDrain).toBeGreaterThan(950);
    expect(w.ctx.budgets.ingestDrain).toBeLessThanOrEqual(1000);
  });

  it('ingest drain rises under buffer pressure when there is headroom, input still drained', () => {
    const systems = [
      { name: 'ingest', phase: 'ingest', run: ingestSystem },
      { name: 'control', phase: 'control', run: controlSystem },
    ] as const;
    const w = createSimWorld({
      id: 'ip',
      capacity: 16,
      systems,
      config: { controller: { warmupSteps: 0, ingestDrainBaseline: 100, ingestDrainMin: 10, ingestDrainMax: 1000 } },
    });
    let bulk = 0,
      inputs = 0;
    w.ingest.define('bulk', { mode: 'queue', capacity: 100_000, apply: () => void bulk++ });
    w.ingest.define('input', { mode: 'latestByKey', capacity: 100, apply: () => void inputs++ });
    for (let i = 0; i < 20_000; i++) w.ingest.push('bulk', i, 0);
    w.ctx.budgets.ingestDrain = 100;
    runStep(w);
    const first = w.ctx.budgets.ingestDrain;
    for (let i = 0; i < 10; i++) {
      w.ingest.push('input', 1, i);
      runStep(w);
    }
    expect(w.ctx.budgets.ingestDrain).toBeGreaterThan(first);
    expect(inputs).toBe(10);
  });

  it('status snapshot: window aggregates, budgets, bounded history', () => {
    const w = mk({ windowSteps: 10, holdSteps: 1, spikeStreakLimit: 1, reactSteps: 1 });
    run(w, 10, (i) => i); // totals 2..11 ms
    const s = getControllerStatus(w);
    expect(s.window.steps).toBe(10);
    expect(s.window.total).toEqual({ avgMs: 6.5, maxMs: 11, p95Ms: 11 });
    expect(s.window.phases.behavior!.maxMs).toBe(9);
    expect(s.budgets.npcTicks).toBe(1000);
    for (let i = 0; i < 3000; i++) feed(w, i % 50 < 10 ? 50 : 1, 0); // cycles of overload and calm
    const h = getControllerStatus(w).history;
    expect(h.length).toBe(HISTORY_SIZE);
    expect(getControllerStatus(w).transitions).toBeGreaterThan(HISTORY_SIZE);
    for (let i = 1; i < h.length; i++) expect(h[i].step).toBeGreaterThan(h[i - 1].step);
  });

  it('disabled: measures but leaves the budgets at the config values', () => {
    const w = mk({ enabled: false });
    run(w, 100, 60);
    const s = getControllerStatus(w);
    expect(s.mode).toBe('normal');
    expect(s.window.total.avgMs).toBe(62);
    expect(w.ctx.budgets.npcTicks).toBe(1000);
  });

  it('refuses an inverted hysteresis band with a coded error and changes nothing', () => {
    const w = mk();
    expect(() => updateWorldConfig(w, { controller: { recoverBelow: 1.2 } })).toThrowError(
      expect.objectContaining({ code: ErrorCode.CONFIG_INVALID }),
    );
    expect(() => updateWorldConfig(w, { controller: { recoverBelow: 1.2 } })).toThrowError(
      /controller.recoverBelow must be < controller.degradeAt/,
    );
    expect(() => updateWorldConfig(w, { controller: { spikeFactor: 0.5 } })).toThrowError(/controller.spikeFactor must be a number > 1/);
    expect(w.config.controller.recoverBelow).toBe(0.7);
  });
});
