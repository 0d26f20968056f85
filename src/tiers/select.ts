/**
 * Budgeted, fair selection of the NPCs ticked this step.
 *
 * Inputs: B = min(ctx.budgets.npcTicks, ceiling) (the controller lowers npcTicks under load;
 * ceiling = maxNpcTicksPerStep, or its auto-budget hard cap, see {@link npcTickCeiling}),
 * F = ceil(detailedReserve × maxNpcTicksPerStep) (the detailed floor, never cut by the
 * controller), m = max(1, floor(tierMinShare × B)) (the share guaranteed to each lower tier),
 * D_t = due NPCs of tier t (nextTickAt ≤ now, not frozen).
 *
 *   g_t   = min(D_t, m)                              t = active, ambient, dormant
 *   q_0   = min(D_0, max(F, B − Σ g_t))              detailed first, keeps its floor
 *   rest  = max(0, B − q_0); each lower tier gets g_t (in tier order) while rest lasts,
 *           then what is left goes highest tier first.
 *   total = Σ q ≤ max(B, min(D_0, F)) ≤ ceiling
 *
 * Within a tier the q_t most overdue (smallest nextTickAt, ties by id) are taken, popped in
 * that order from the tier's due-time heap (src/tiers/due-heap.ts). Fairness
 * bound (docs/TIERS.md): when F + 3m ≤ B, a due NPC of a lower tier t waits at most
 * ⌈K_t / m⌉ steps, K_t = NPCs in tier t during the wait (≤ its maxNpcs).
 */
import type { SchedulerConfig } from '../config/scheduler-config.js';
import type { StepContext } from '../core/world-core.js';
import type { TiersWorld } from './tiers-slot.js';
import { query } from 'bitecs';
import { countDue, flushTicked, heapPush, popDue, rebuildDueHeap } from './due-heap.js';
import { growSelected } from './tier-state.js';

/** Dead due entries a count may walk past (beyond 2 × L) before the selection pops that tier instead. */
const COUNT_DUE_SLACK = 256;

/**
 * Highest NPC tick budget a selection accepts: `maxNpcTicksPerStep`, or, with the controller's
 * auto-budget on, `floor(autoBudget.maxFactor × maxNpcTicksPerStep)` (the controller raises
 * `ctx.budgets.npcTicks` above the config's ceiling only while there is headroom and a backlog;
 * docs/ADAPTIVE.md).
 */
export const npcTickCeiling = (config: SchedulerConfig): number => {
  const max = config.simulation.maxNpcTicksPerStep;
  const ab = config.controller.autoBudget;
  return config.controller.enabled && ab.enabled ? Math.max(max, Math.floor(ab.maxFactor * max)) : max;
};

/**
 * The quotas of one selection (exported for tests and docs). `maxTicks` is the configured
 * `maxNpcTicksPerStep` (the detailed floor is a share of it); the budget is capped at `ceiling`
 * (default `maxTicks`; higher with auto-budget, {@link npcTickCeiling}).
 */
export const computeQuotas = (
  due: ArrayLike<number>,
  budget: number,
  maxTicks: number,
  detailedReserve: number,
  minShare: number,
  out: Int32Array,
  ceiling: number = maxTicks,
): number => {
  const B = Math.max(0, Math.min(Math.floor(budget), ceiling));
  const F = Math.min(maxTicks, Math.ceil(detailedReserve * maxTicks));
  const m = B > 0 ? Math.max(1, Math.floor(minShare * B)) : 0;
  let G = 0;
  for (let t = 1; t < 4; t++) G += Math.min(due[t], m);
  const q0 = Math.min(due[0], Math.max(F, B - G));
  out[0] = q0;
  let rest = Math.max(0, B - q0);
  for (let t = 1; t < 4; t++) {
    const g = Math.min(due[t], m, rest);
    out[t] = g;
    rest -= g;
  }
  for (let t = 1; t < 4; t++) {
    const extra = Math.min(due[t] - out[t], rest);
    out[t] += extra;
    rest -= extra;
  }
  return out[0] + out[1] + out[2] + out[3];
};

/**
 * Rebuild every tier's due heap from the Tier store (non-frozen NPCs by `Tier.tier`): a world
 * whose selection runs before any full tiering pass built them (a restored checkpoint).
 */
export const rebuildDueHeaps = (world: TiersWorld): void => {
  const s = world.npcSim;
  const T = world.stores.Tier;
  const npcs = query(world, [world.stores.Position, world.stores.Npc]);
  const n = new Int32Array(4);
  const lists = [new Int32Array(npcs.length), new Int32Array(npcs.length), new Int32Array(npcs.length), new Int32Array(npcs.length)];
  for (let i = 0; i < npcs.length; i++) {
    const e = npcs[i];
    const t = T.tier[e];
    if (t < 4) lists[t][n[t]++] = e;
  }
  for (let t = 0; t < 4; t++) rebuildDueHeap(s.dueHeap[t], lists[t], n[t], T.nextTickAt, T.frozen);
  s.selectedPending = false;
  s.heapsBuilt = true;
};

/**
 * Select this step's NPCs into `world.npcSim.selected` (highest tier first, most overdue first
 * within a tier) and publish ticksPerTier / overduePerTier. Reads `ctx.budgets.npcTicks`.
 *
 * Due NPCs come from the per-tier due-time heaps (src/tiers/due-heap.ts), smallest
 * (nextTickAt, id) first, so the cost grows with the NPCs due and ticked, not the population.
 * The quotas need D_t only up to L = max(B, F) (no quota exceeds it), so at most L due NPCs per
 * tier are counted (in place, src/tiers/due-heap.ts `countDue`) and the q_t taken are popped.
 * `overduePerTier[t]` is therefore the backlog counted up to L − q_t.
 */
export const selectDue = (world: TiersWorld, ctx: StepContext): void => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const now = world.clock.now;
  const T = world.stores.Tier;
  if (!s.heapsBuilt) rebuildDueHeaps(world);
  flushTicked(s, T);
  const dueCounts = s.dueCount,
    quotas = s.quota;
  const ceiling = npcTickCeiling(world.config);
  const B = Math.max(0, Math.min(Math.floor(ctx.budgets.npcTicks), ceiling));
  const F = Math.min(sim.maxNpcTicksPerStep, Math.ceil(sim.detailedReserve * sim.maxNpcTicksPerStep));
  const L = Math.max(B, F);
  if (s.dueScratch.length < 4 * L) s.dueScratch = new Int32Array(4 * L);
  growSelected(s, 4 * L);
  const due = s.dueScratch;
  // Count each tier's due NPCs (up to L) without popping them, so only the q_t taken leave the
  // heap: popping all L and pushing back the L − q_t not taken cost ≈ 2 heap operations per
  // backlogged NPC per step (3-5 ms in one step at 100k NPCs when a pass promotes thousands). A
  // tier with many dead due entries is popped instead (that drops them for good).
  // Without a backlog at the last selection every due NPC is usually taken (Σ D_t ≤ B gives
  // q_t = D_t): they are popped at once, as before (a backlog that appears is pushed back once).
  const st = world.tierStats;
  const popped = s.duePopped;
  const o = st.overduePerTier;
  const backlog = o[0] + o[1] + o[2] + o[3] > 0;
  for (let t = 0; t < 4; t++) {
    const c = backlog ? countDue(s, T, t, now, L, 2 * L + COUNT_DUE_SLACK, s.dueMark, s.dueStack, due, t * L) : -1;
    popped[t] = c < 0 ? 1 : 0;
    dueCounts[t] = c < 0 ? popDue(s, T, t, now, L, due, t * L) : c;
  }
  computeQuotas(dueCounts, ctx.budgets.npcTicks, sim.maxNpcTicksPerStep, sim.detailedReserve, sim.tierMinShare, quotas, ceiling);
  const nextTickAt = T.nextTickAt;
  let k = 0;
  for (let t = 0; t < 4; t++) {
    const q = quotas[t],
      d = dueCounts[t],
      base = t * L;
    // Counted, not popped: pop the q most overdue now (the same ones, in the same order). All of
    // them taken: pop with limit L, which also drops the dead due entries behind them (as before).
    if (popped[t] === 0) popDue(s, T, t, now, q === d ? L : q, due, base);
    for (let j = 0; j < q; j++) {
      s.selected[k] = due[base + j];
      s.selectedTier[k++] = t;
    }
    const h = s.dueHeap[t];
    for (let j = q; popped[t] === 1 && j < d; j++) {
      const e = due[base + j];
      heapPush(h, e, nextTickAt[e]);
    }
    st.ticksPerTier[t] = q;
    st.ticksTotalPerTier[t] += q;
    st.overduePerTier[t] = d - q;
  }
  s.selectedCount = k;
  s.selectedPending = true;
  st.lastBudget = B;
};
