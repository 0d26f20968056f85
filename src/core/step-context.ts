/**
 * The per-step context every system receives, and its budgets (part of the world core).
 */
import type { SchedulerConfig } from '../config/scheduler-config.js';

/** Per-step context handed to every system. One object per world, reused every step. */
export interface StepContext {
  /** Index of the step being run (0-based). */
  step: number;
  /** Unscaled simulation seconds per step (= tickIntervalSeconds). */
  stepSeconds: number;
  /** World seconds this step advances (= stepSeconds × timeScale). */
  dtWorld: number;
  /** Budgets for this step. The controller (control phase) sets them for the next step. */
  budgets: StepBudgets;
}

/**
 * Per-step budgets and quality knobs. Initialised from the scheduler config (and re-initialised
 * when the config changes); the adaptive controller overwrites them in the control phase.
 * Player-facing floors (detailed tier, inputs, transactions) are enforced by their consumers.
 */
export interface StepBudgets {
  /** Most NPC ticks this step, all tiers (detailed reserve included). */
  npcTicks: number;
  /** Most ingest facts drained this step (critical lanes are never cut). */
  ingestDrain: number;
  /** Most jobs started this step. */
  jobOps: number;
  /** ≥ 1: multiplies the tick period of the active/ambient/dormant tiers (AI throttling). */
  tierFrequencyScale: number;
  /** ≥ 1: far (non-detailed) entities are replicated every N steps. */
  farReplicationEvery: number;
  /** Interest quality ladder: 0 full; 1 staler data; 2 smaller radius; 3 longer cooldown. */
  interestQuality: number;
}

/** Budgets straight from the config (what the controller starts from, and the baseline). */
export const baseBudgets = (config: SchedulerConfig): StepBudgets => ({
  npcTicks: config.simulation.maxNpcTicksPerStep,
  ingestDrain: Number.MAX_SAFE_INTEGER,
  jobOps: config.simulation.maxJobOpsPerStep,
  tierFrequencyScale: 1,
  farReplicationEvery: 1,
  interestQuality: 0,
});
