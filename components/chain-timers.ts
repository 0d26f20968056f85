import { i32, u32 } from './alloc.js';
import { growTableStores, resetTableRow } from './row-table.js';
import type { Interaction } from './interaction.js';

/**
 * Interaction-chain timers, one row per NPC that runs a chain or has a chain cooldown pending,
 * not one per entity: most NPCs never interact, and an NPC's row is freed once its chain has ended
 * and every cooldown has passed. `Interaction.timerRow[eid]` is the NPC's row (0 = none: every
 * timer has passed, which is what row 0's defaults read as).
 *
 * Fields (world-time ticks, components/world-time.ts): `waitUntil` the world time the current
 * chain step acts; `cooldownUntil` the world time the NPC may start any new interaction;
 * `cooldown0..3` per-chain cooldowns (chain code c uses slot c & 3). `eid` is the owning entity
 * (0 = free row).
 *
 * Rows: the LOWEST free row is assigned (a pure function of which rows are taken: replays and
 * restores assign the same ones); {@link sweepChainTimers} frees expired rows every
 * {@link CHAIN_TIMER_SWEEP_STEPS} steps; despawning or reusing an id frees its row. Freeing an
 * expired row changes no outcome: an NPC without a row is ready exactly when it would have been.
 */
export const createChainTimers = (rows: number) => ({
  eid: i32(rows),
  waitUntil: u32(rows),
  cooldownUntil: u32(rows),
  cooldown0: u32(rows),
  cooldown1: u32(rows),
  cooldown2: u32(rows),
  cooldown3: u32(rows),
});
export type ChainTimers = ReturnType<typeof createChainTimers>;

/** Allocation state of the chain-timer table. */
export interface ChainTimerRows {
  /** No free row below it (a search hint). */
  lowestFree: number;
  /** Most rows the table may grow to (the world's entity capacity + 1). */
  readonly maxRows: number;
}

/** What the chain-timer functions need of the world's stores. */
export interface ChainTimerStores {
  Interaction: Interaction;
  ChainTimers: ChainTimers;
  chainTimerRows: ChainTimerRows;
}

/** Rows a new chain-timer table starts with (grown by doubling). */
export const INITIAL_CHAIN_TIMER_ROWS = 256;
/** Steps between two sweeps of expired chain-timer rows (the time system runs it). */
export const CHAIN_TIMER_SWEEP_STEPS = 256;

/** Allocation state for a table of up to `maxRows` rows (row 0 included). */
export const createChainTimerRows = (maxRows: number): ChainTimerRows => ({ lowestFree: 1, maxRows });

/** The cooldown field of chain slot `slot` (0..3). */
export const chainCooldownField = (t: ChainTimers, slot: number): Uint32Array => {
  switch (slot & 3) {
    case 0:
      return t.cooldown0;
    case 1:
      return t.cooldown1;
    case 2:
      return t.cooldown2;
    default:
      return t.cooldown3;
  }
};

/** Entity `eid`'s timer row, assigned (lowest free row, reset to defaults) when it has none. */
export const ensureChainTimerRow = (s: ChainTimerStores, eid: number): number => {
  const had = s.Interaction.timerRow[eid];
  if (had !== 0) return had;
  const rows = s.chainTimerRows;
  const ids = s.ChainTimers.eid;
  let row = rows.lowestFree;
  while (row < ids.length && ids[row] !== 0) row++;
  if (row >= rows.maxRows) throw new RangeError(`chain timer table full (${rows.maxRows - 1} rows)`);
  if (row >= ids.length) growTableStores([s.ChainTimers], ids.length, row + 1, rows.maxRows);
  resetTableRow([s.ChainTimers], row);
  s.ChainTimers.eid[row] = eid;
  s.Interaction.timerRow[eid] = row;
  rows.lowestFree = row + 1;
  return row;
};

const freeRow = (s: ChainTimerStores, row: number): void => {
  const eid = s.ChainTimers.eid[row];
  if (s.Interaction.timerRow[eid] === row) s.Interaction.timerRow[eid] = 0;
  resetTableRow([s.ChainTimers], row);
  if (row < s.chainTimerRows.lowestFree) s.chainTimerRows.lowestFree = row;
};

/** Free entity `eid`'s timer row, if it has one. */
export const releaseChainTimerRow = (s: ChainTimerStores, eid: number): void => {
  const row = s.Interaction.timerRow[eid];
  if (row !== 0 && s.ChainTimers.eid[row] === eid) freeRow(s, row);
  s.Interaction.timerRow[eid] = 0;
};

/**
 * Free every row whose NPC is not in a chain and whose cooldowns have all passed at tick `nowT`
 * (they read exactly like no row). O(rows in use). Returns the rows freed.
 */
export const sweepChainTimers = (s: ChainTimerStores, nowT: number): number => {
  const t = s.ChainTimers;
  const chain = s.Interaction.chain;
  const n = chainTimerTableRows(s);
  let freed = 0;
  for (let r = 1; r < n; r++) {
    const e = t.eid[r];
    if (e === 0 || chain[e] >= 0) continue;
    if (t.cooldownUntil[r] > nowT || t.cooldown0[r] > nowT || t.cooldown1[r] > nowT || t.cooldown2[r] > nowT || t.cooldown3[r] > nowT)
      continue;
    freeRow(s, r);
    freed++;
  }
  return freed;
};

/** Rows up to the highest one in use, plus row 0 (what the state hash and checkpoints cover). */
export const chainTimerTableRows = (s: ChainTimerStores): number => {
  const ids = s.ChainTimers.eid;
  let n = ids.length;
  while (n > 1 && ids[n - 1] === 0) n--;
  return n;
};
