import { playerRow } from '../../../components/player-table.js';
import { describe, expect, it } from 'vitest';
import { observeStep } from '../../../src/controller/controller.js';
import { getControllerStatus } from '../../../src/controller/controller-status.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS, PHASE_COUNT, PhaseIndex, type SystemEntry } from '../../../systems/index.js';

/**
 * The real pipeline (tiering, select, behavior, ...) with one change: the control phase feeds
 * the controller a synthetic cost model instead of wall time, so the test is deterministic:
 * AI costs `msPerTick` per NPC tick of the step, everything else 1 ms.
 */
const msPerTick = 0.02;
const costs = new Float64Array(PHASE_COUNT);
const syntheticControl: SystemEntry = {
  name: 'control',
  phase: 'control',
  run: (w) => {
    let ticks = 0;
    for (let t = 0; t < 4; t++) ticks += w.tierStats.ticksPerTier[t];
    costs.fill(0);
    costs[PhaseIndex.behavior] = ticks * msPerTick;
    costs[PhaseIndex.tiering] = 1;
    observeStep(w, costs);
  },
};
const systems = [...DEFAULT_SYSTEMS.filter((s) => s.phase !== 'control'), syntheticControl];

const mk = (): { w: SimWorld; player: number } => {
  const w = createSimWorld({
    id: 'thr',
    capacity: 4000,
    size: 1000,
    systems,
    config: {
      simulation: {
        maxNpcTicksPerStep: 2000,
        detailedReserve: 0.1,
        tiers: { active: { tickSeconds: 3 }, ambient: { tickSeconds: 6 }, dormant: { tickSeconds: 30 } },
      },
      controller: { frameBudgetMs: 16, warmupSteps: 0 },
    },
  });
  populateNpcs(w, { count: 3000 });
  const player = spawnPlayer(w, 500, 500);
  w.ingest.define('input', {
    mode: 'latestByKey',
    capacity: 64,
    apply: (wd, key, fact) => void (wd.stores.Player.lastInputSeq[playerRow(wd.stores, key)] = fact as number),
  });
  return { w, player };
};

describe('AI throttling on the real tiered pipeline (synthetic cost model)', () => {
  it('cuts NPC ticks per step under overload; detailed NPCs and player input keep their floor', () => {
    const { w, player } = mk();
    const ticks: number[] = [];
    let seq = 0;
    for (let s = 0; s < 200; s++) {
      w.ingest.push('input', player, ++seq);
      runStep(w);
      const ts = w.tierStats;
      ticks.push(ts.ticksPerTier[0] + ts.ticksPerTier[1] + ts.ticksPerTier[2] + ts.ticksPerTier[3]);
      // Floors, every step: every due detailed NPC ticked, the input applied in its step.
      expect(ts.overduePerTier[0]).toBe(0);
      expect(w.stores.Player.lastInputSeq[playerRow(w.stores, player)]).toBe(seq);
    }
    const st = getControllerStatus(w);
    expect(st.mode).not.toBe('normal');
    expect(w.tierStats.npcsPerTier[0]).toBeGreaterThan(0);
    const early = ticks.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const late = ticks.slice(150).reduce((a, b) => a + b, 0) / 50;
    // Demand costs ~2× the budget at first; the controller steers the step to ~targetShare of it.
    expect(early * msPerTick + 1).toBeGreaterThan(16);
    expect(late).toBeLessThan(early * 0.75);
    expect(late * msPerTick + 1).toBeLessThanOrEqual(16 * 1.1);
    expect(w.ctx.budgets.npcTicks).toBeGreaterThanOrEqual(st.npcTickFloor);
    expect(w.ingest.stats()[0]).toMatchObject({ dropped: 0, rejected: 0 });
  });
});
