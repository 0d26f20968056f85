import { describe, expect, it } from 'vitest';
import { observeStep } from '../../../src/controller/controller.js';
import { getControllerStatus } from '../../../src/controller/controller-status.js';
import { ErrorCode } from '../../../src/errors.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, updateWorldConfig, type SimWorld } from '../../../src/world/sim-world.js';
import { PHASE_COUNT, PhaseIndex } from '../../../systems/types.js';
import { selectDue } from '../../../src/tiers/select.js';
import { runTieringPass } from '../../../src/tiers/tier-assign.js';

const B = 16;
const MAX = 1000;
const mk = (autoBudget: Record<string, unknown> = {}): SimWorld =>
  createSimWorld({
    id: 'ab',
    capacity: 16,
    systems: [],
    config: { simulation: { maxNpcTicksPerStep: MAX, detailedReserve: 0.2 }, controller: { frameBudgetMs: B, warmupSteps: 0, autoBudget } },
  });

/** One step of synthetic load: `ticks` NPC ticks costing `aiMs`, `otherMs` elsewhere, `backlog` due NPCs left. */
const feed = (w: SimWorld, aiMs: number, otherMs: number, backlog: number): void => {
  const ticks = w.ctx.budgets.npcTicks; // the selection used the whole budget
  w.tierStats.ticksPerTier.fill(0);
  w.tierStats.ticksPerTier[1] = ticks;
  w.tierStats.overduePerTier.fill(0);
  w.tierStats.overduePerTier[1] = backlog;
  const costs = new Float64Array(PHASE_COUNT);
  costs[PhaseIndex.behavior] = aiMs;
  costs[PhaseIndex.physics] = otherMs;
  observeStep(w, costs);
  w.clock.step++;
};
/** Cost model: 0.004 ms per tick, 2 ms of other work; a backlog of 5,000 due NPCs. */
const steps = (w: SimWorld, n: number, msPerTick = 0.004, otherMs = 2, backlog = 5000): void => {
  for (let i = 0; i < n; i++) feed(w, w.ctx.budgets.npcTicks * msPerTick, otherMs, backlog);
};

describe('auto-budget (injected costs)', () => {
  it('raises NPC ticks above maxNpcTicksPerStep under backlog with headroom, keeping the reserve, and drops them when cost rises', () => {
    const w = mk();
    steps(w, 1);
    expect(w.ctx.budgets.npcTicks).toBeGreaterThan(MAX);
    steps(w, 40);
    const s = getControllerStatus(w);
    // Reserve line: (1 − 0.25) × 16 ms = 12 ms; 2 ms other → 10 ms / 0.004 = 2,500 ticks.
    expect(s.mode).toBe('normal');
    expect(s.autoBudget.effectiveNpcTicks).toBeGreaterThanOrEqual(2450);
    expect(s.autoBudget.effectiveNpcTicks).toBeLessThanOrEqual(2500);
    expect(s.autoBudget.extraTicks).toBe(s.autoBudget.effectiveNpcTicks - MAX);
    expect(s.autoBudget.reason).toBe('raising');
    expect(s.autoBudget.hardCap).toBe(4 * MAX);
    expect(s.budgets.npcTicks).toBe(s.autoBudget.effectiveNpcTicks);
    expect(s.lastStepMs).toBeLessThanOrEqual(12 + 1e-9);
    // Cost per tick up 50% (heavier AI): a 17 ms step, over the reserve line; the very next
    // budget is back at the configured ceiling (the mode is still normal).
    steps(w, 1, 0.006);
    expect(getControllerStatus(w).mode).toBe('normal');
    expect(w.ctx.budgets.npcTicks).toBeLessThanOrEqual(MAX);
    expect(getControllerStatus(w).autoBudget).toMatchObject({ extraTicks: 0, reason: 'cost rose' });
  });

  it('raises only up to the hard cap and only while there is a backlog', () => {
    const w = mk({ maxFactor: 1.5 });
    steps(w, 40, 0.001);
    expect(w.ctx.budgets.npcTicks).toBe(1500);
    steps(w, 60, 0.001, 2, 0); // backlog cleared: the extra decays back
    expect(w.ctx.budgets.npcTicks).toBe(MAX);
    expect(getControllerStatus(w).autoBudget.reason).toBe('no backlog');
  });

  it('is off when disabled, and never raises out of normal mode', () => {
    const off = mk({ enabled: false });
    steps(off, 40);
    expect(off.ctx.budgets.npcTicks).toBe(MAX);
    expect(getControllerStatus(off).autoBudget).toMatchObject({ enabled: false, extraTicks: 0, hardCap: MAX });
    const busy = mk();
    steps(busy, 40, 0.004, 20); // 24 ms > budget: degraded
    expect(getControllerStatus(busy).mode).not.toBe('normal');
    expect(busy.ctx.budgets.npcTicks).toBeLessThanOrEqual(MAX);
  });

  it('config keys are validated with named paths', () => {
    const w = mk();
    expect(() => updateWorldConfig(w, { controller: { autoBudget: { maxFactor: 0.5, reserveShare: 2 } } })).toThrowError(
      expect.objectContaining({
        code: ErrorCode.CONFIG_INVALID,
        message: expect.stringMatching(/controller\.autoBudget\.maxFactor.*controller\.autoBudget\.reserveShare/),
      }),
    );
    expect(() => updateWorldConfig(w, { controller: { autoBudget: { headroomBelow: 0.9, reserveShare: 0.5 } } })).toThrowError(
      /headroomBelow must be <= 1 - controller.autoBudget.reserveShare/,
    );
    expect(w.config.controller.autoBudget).toEqual({ enabled: true, maxFactor: 4, headroomBelow: 0.5, reserveShare: 0.25 });
  });

  it('the selection accepts a raised budget up to the hard cap (and only with auto-budget on)', () => {
    const sel = (autoBudget: boolean, budget: number) => {
      const w = createSimWorld({
        id: 's',
        capacity: 6000,
        config: { simulation: { maxNpcTicksPerStep: 100 }, controller: { autoBudget: { enabled: autoBudget } } },
      });
      populateNpcs(w, { count: 5000 });
      w.spatial.rebuildNpcs(w, 0);
      runTieringPass(w);
      w.ctx.budgets.npcTicks = budget;
      selectDue(w, w.ctx);
      return w.npcSim.selectedCount;
    };
    expect(sel(true, 300)).toBe(300);
    expect(sel(true, 10_000)).toBe(400);
    expect(sel(false, 300)).toBe(100);
  });
});
