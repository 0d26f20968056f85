/**
 * Running interaction chains on world time: start a chain for an NPC, and advance it when the
 * NPC is ticked. Per-entity functions over the Interaction store and the chain-timer table
 * (components/chain-timers.ts: an NPC takes a row when it starts a chain); no allocation.
 *
 * A chain's NPC stays due no later than the end of its current wait (`Tier.nextTickAt` ≤
 * `ChainTimers.waitUntil`), so the selection ticks it when the wait ends, in any tier, within
 * the step budget. Each wait starts when the previous step acted.
 */
import type { World } from 'bitecs';
import { chainCooldownField, ensureChainTimerRow } from '../../components/chain-timers.js';
import { deadlineTick, nowTick, stampTick, tickTime } from '../../components/world-time.js';
import type { WorldCore } from '../core/world-core.js';
import type { IntentsSlot } from '../intents/intent-queue.js';
import { MAX_PENDING_GRANTS } from '../tiers/tier-state.js';
import { noteRescheduled } from '../tiers/due-heap.js';
import type { TiersSlot } from '../tiers/tiers-slot.js';

/** What chain code reads: the core, the tiers slot (chain tables, stats) and the intent queue. */
export type ChainWorld = World<WorldCore & TiersSlot & IntentsSlot>;

/** World seconds after a chain ends before the same NPC may start any chain. */
export const INTERACTION_GAP_SECONDS = 15 * 60;

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** May NPC `e` start chain `c` now (not in a chain, gap and the chain's own cooldown passed)? */
export const chainReady = (world: ChainWorld, e: number, c: number): boolean => {
  const I = world.stores.Interaction;
  if (I.chain[e] >= 0) return false;
  const row = I.timerRow[e];
  if (row === 0) return true; // no timer row: every timer has passed
  const T = world.stores.ChainTimers;
  const now = nowTick(world.stores.Time, world.clock.now);
  return now >= T.cooldownUntil[row] && now >= chainCooldownField(T, c)[row];
};

/** End NPC `e`'s chain now (finished or aborted): cooldowns start. */
export const endChain = (world: ChainWorld, e: number): void => {
  const I = world.stores.Interaction;
  const c = I.chain[e];
  const now = world.clock.now;
  const time = world.stores.Time;
  const T = world.stores.ChainTimers;
  const row = ensureChainTimerRow(world.stores, e);
  if (c >= 0 && c < world.npcSim.chains.count) chainCooldownField(T, c)[row] = deadlineTick(time, now + world.npcSim.chains.cooldown[c]);
  T.cooldownUntil[row] = deadlineTick(time, now + INTERACTION_GAP_SECONDS);
  I.chain[e] = -1;
  I.step[e] = 0;
  I.target[e] = -1;
};

/**
 * Advance NPC `e`'s chain: every step whose wait has ended acts (intent to the target player,
 * needs effects), in order. Returns how many steps acted. A target that is no longer a player
 * (or became a spectator: `kindOf` 3) aborts the chain. Counts into `world.tierStats`.
 */
export const advanceChain = (world: ChainWorld, e: number): number => {
  const I = world.stores.Interaction;
  const table = world.npcSim.chains;
  const now = world.clock.now;
  const time = world.stores.Time;
  const nowT = nowTick(time, now);
  const st = world.tierStats;
  let acted = 0;
  for (;;) {
    const c = I.chain[e];
    if (c < 0) return acted;
    if (c >= table.count) {
      I.chain[e] = -1;
      I.target[e] = -1;
      return acted;
    }
    const target = I.target[e];
    if (target < 0 || world.spatial.kindOf[target] !== 2) {
      endChain(world, e);
      return acted;
    }
    const wait = world.stores.ChainTimers.waitUntil[I.timerRow[e]];
    if (wait > nowT) {
      const T = world.stores.Tier;
      const until = tickTime(time, wait);
      if (until < T.nextTickAt[e]) {
        T.nextTickAt[e] = until;
        noteRescheduled(world.npcSim, e); // back into its tier's due heap at the new time
      }
      return acted;
    }
    const k = table.first[c] + I.step[e];
    const kind = table.intent[k];
    if (kind >= 0) {
      world.intents.push(e, target, kind, now, now + world.config.simulation.intentTtlSeconds);
      st.intentsEmitted++;
      st.intentsEmittedTotal++;
    }
    const B = world.stores.Behavior;
    if (table.effE[k] !== 0) B.energy[e] = clamp01(B.energy[e] + table.effE[k]);
    if (table.effH[k] !== 0) B.hunger[e] = clamp01(B.hunger[e] + table.effH[k]);
    if (table.effM[k] !== 0) B.mood[e] = clamp01(B.mood[e] + table.effM[k]);
    const reward = table.reward[k];
    if (reward) {
      // Rare (a chain's rewarding step): one small object per grant, drained by the ledger.
      const g = world.npcSim;
      if (g.grants.length < MAX_PENDING_GRANTS) g.grants.push({ npc: e, player: target, chain: c, step: world.clock.step, reward });
      else g.grantsDropped++;
    }
    I.lastInteractionAt[e] = stampTick(time, now);
    st.chainsAdvanced++;
    st.chainsAdvancedTotal++;
    acted++;
    const next = I.step[e] + 1;
    if (next >= table.length[c]) {
      endChain(world, e);
      return acted;
    }
    I.step[e] = next;
    world.stores.ChainTimers.waitUntil[ensureChainTimerRow(world.stores, e)] = deadlineTick(time, now + table.wait[k + 1]);
  }
};

/**
 * Start chain `c` for NPC `e` with target player `target` now; steps with no wait act at once.
 * Returns false (nothing changed) when the NPC is busy, cooling down, or the codes are invalid.
 */
export const startChain = (world: ChainWorld, e: number, c: number, target: number): boolean => {
  const table = world.npcSim.chains;
  if (c < 0 || c >= table.count || !chainReady(world, e, c)) return false;
  const I = world.stores.Interaction;
  I.chain[e] = c;
  I.step[e] = 0;
  I.target[e] = target;
  const row = ensureChainTimerRow(world.stores, e);
  world.stores.ChainTimers.waitUntil[row] = deadlineTick(world.stores.Time, world.clock.now + table.wait[table.first[c]]);
  advanceChain(world, e);
  return true;
};
