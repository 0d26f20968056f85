import { createBehavior } from './behavior.js';
import {
  chainTimerTableRows,
  CHAIN_TIMER_SWEEP_STEPS,
  createChainTimerRows,
  createChainTimers,
  INITIAL_CHAIN_TIMER_ROWS,
  releaseChainTimerRow,
  sweepChainTimers,
} from './chain-timers.js';
import { createInteraction } from './interaction.js';
import { createNpc } from './npc.js';
import { createPlayer, createSpectator } from './player.js';
import {
  createPlayerRows,
  growPlayerTable,
  INITIAL_PLAYER_ROWS,
  playerTableRows,
  rebuildPlayerRows,
  releasePlayerRow,
} from './player-table.js';
import { growTableStores } from './row-table.js';
import { createPosition, createVelocity } from './spatial.js';
import { createTier } from './tier.js';
import { createWallet } from './wallet.js';
import { createWorldTime, nowTick, rebaseWorldTime, TIME_EPOCH_SECONDS } from './world-time.js';
import type { Store } from './alloc.js';

export * from './alloc.js';
export * from './behavior.js';
export * from './chain-timers.js';
export * from './interaction.js';
export * from './npc.js';
export * from './player.js';
export * from './player-table.js';
export * from './row-table.js';
export * from './spatial.js';
export * from './tier.js';
export * from './wallet.js';
export * from './world-time.js';

/**
 * Create every component store of a world, sized for entity ids 0..capacity (ids start at 1 in
 * bitecs, so `capacity` entities fit). `Player` and `Wallet` are the player table (one row per
 * player, grown on demand; player-table.ts), `ChainTimers` the chain-timer table (one row per NPC
 * with a chain or cooldown pending; chain-timers.ts), `Time` the world's time base (world-time.ts).
 */
export const createStores = (capacity: number) => {
  const n = capacity + 1;
  const playerRows = Math.min(n, INITIAL_PLAYER_ROWS);
  return {
    Position: createPosition(n),
    Velocity: createVelocity(n),
    Npc: createNpc(n),
    Player: createPlayer(playerRows),
    Spectator: createSpectator(),
    Behavior: createBehavior(n),
    Interaction: createInteraction(n),
    Tier: createTier(n),
    Wallet: createWallet(playerRows),
    ChainTimers: createChainTimers(Math.min(n, INITIAL_CHAIN_TIMER_ROWS)),
    Time: createWorldTime(),
    playerRows: createPlayerRows(n),
    chainTimerRows: createChainTimerRows(n),
  };
};
export type Stores = ReturnType<typeof createStores>;

/**
 * Store names in a fixed order (used by the state hash, checkpoints and memory accounting). Each
 * holds {@link storeRowCount} meaningful rows: per entity id, per table row, or one (`Time`).
 */
export const STORE_NAMES = [
  'Position',
  'Velocity',
  'Npc',
  'Player',
  'Behavior',
  'Interaction',
  'Tier',
  'Wallet',
  'ChainTimers',
  'Time',
  'Spectator',
] as const;

/** Stores with one row per entity id (the others: a row per table member, or one world-wide row). */
export const ENTITY_STORE_NAMES = ['Position', 'Velocity', 'Npc', 'Behavior', 'Interaction', 'Tier'] as const;

/**
 * Rows of store `name` that hold state, given `entityRows` (highest entity id in use + 1): the
 * state hash and checkpoints cover exactly these.
 */
export const storeRowCount = (stores: Stores, name: (typeof STORE_NAMES)[number], entityRows: number): number => {
  if (name === 'Player' || name === 'Wallet') return playerTableRows(stores);
  if (name === 'ChainTimers') return chainTimerTableRows(stores);
  if (name === 'Time') return 1;
  if (name === 'Spectator') return 0; // a tag: members only (checkpoints keep them), no rows
  return entityRows;
};

/** The world-time fields (Uint32 ticks from `Time.base`; see world-time.ts), shifted on a rebase. */
export const timeFields = (stores: Stores): Uint32Array[] => {
  const { Behavior: B, Interaction: I, ChainTimers: T } = stores;
  return [
    B.activityStartedAt,
    B.nextDecisionAt,
    B.activityCooldownUntil,
    I.lastInteractionAt,
    T.waitUntil,
    T.cooldownUntil,
    T.cooldown0,
    T.cooldown1,
    T.cooldown2,
    T.cooldown3,
  ];
};

/**
 * Move the world's time base forward when world time `now` has left its window (see
 * world-time.ts): an O(rows) pass over the time fields, once per ~48.5 world days. `rows` is one
 * past the highest entity id that may be in use. Returns the epochs moved.
 */
export const rebaseStoresTime = (stores: Stores, now: number, rows: number): number =>
  now < stores.Time.base[0] + 2 * TIME_EPOCH_SECONDS ? 0 : rebaseWorldTime(stores.Time, now, timeFields(stores), rows);

/**
 * Per-step upkeep of the time fields (the time system calls it after advancing world time): the
 * time-base rebase, and every {@link CHAIN_TIMER_SWEEP_STEPS} steps the sweep of expired
 * chain-timer rows. Deterministic: driven by world time and the step count only.
 */
export const maintainStoresTime = (stores: Stores, now: number, step: number, rows: number): void => {
  rebaseStoresTime(stores, now, rows);
  if (step % CHAIN_TIMER_SWEEP_STEPS === 0) sweepChainTimers(stores, nowTick(stores.Time, now));
};

/** Free the table rows of entity `eid` (player row, chain-timer row): on despawn and on id reuse. */
export const releaseEntityRows = (stores: Stores, eid: number): void => {
  releasePlayerRow(stores, eid);
  releaseChainTimerRow(stores, eid);
};

/** Grow table store `name` (Player, Wallet, ChainTimers) to hold at least `rows` rows; other stores are fixed. */
export const growStoreRows = (stores: Stores, name: (typeof STORE_NAMES)[number], rows: number): void => {
  if (name === 'Player' || name === 'Wallet') growPlayerTable(stores, rows);
  else if (name === 'ChainTimers')
    growTableStores([stores.ChainTimers], stores.ChainTimers.eid.length, rows, Math.max(rows, stores.chainTimerRows.maxRows));
};

/** After a checkpoint restored the stores' fields: rebuild what is derived from them (the player rows map, search hints). */
export const storesRestored = (stores: Stores): void => {
  rebuildPlayerRows(stores);
  stores.chainTimerRows.lowestFree = 1;
};

/**
 * Reset every field of entity `eid` to its store default, and free its table rows (player,
 * chain timers) if it had some (ids are recycled). Row 0 is never a live entity (bitecs ids
 * start at 1), so it holds each field's default and serves as the template row.
 */
export const resetEntityRow = (stores: Stores, eid: number): void => {
  releaseEntityRows(stores, eid);
  for (const name of ENTITY_STORE_NAMES) {
    const store = stores[name] as Store;
    for (const key in store) {
      const arr = store[key];
      arr[eid] = arr[0];
    }
  }
};

/** Bytes used by all stores (every field, full capacity). */
export const storeBytes = (stores: Stores): number => {
  let total = 0;
  for (const name of STORE_NAMES) {
    const store = stores[name] as Store;
    for (const key of Object.keys(store)) total += store[key].byteLength;
  }
  return total;
};
