import { createBehavior } from './behavior.js';
import { createInteraction } from './interaction.js';
import { createNpc } from './npc.js';
import { createPlayer } from './player.js';
import { createPlayerRows, INITIAL_PLAYER_ROWS, playerTableRows, releasePlayerRow } from './player-table.js';
import { createPosition, createVelocity } from './spatial.js';
import { createTier } from './tier.js';
import { createWallet } from './wallet.js';
import { createWorldTime, rebaseWorldTime, TIME_EPOCH_SECONDS } from './world-time.js';
import type { Store } from './alloc.js';

export * from './alloc.js';
export * from './behavior.js';
export * from './interaction.js';
export * from './npc.js';
export * from './player.js';
export * from './player-table.js';
export * from './spatial.js';
export * from './tier.js';
export * from './wallet.js';
export * from './world-time.js';

/**
 * Create every component store of a world, sized for entity ids 0..capacity (ids start at 1 in
 * bitecs, so `capacity` entities fit). `Player` and `Wallet` are the player table (one row per
 * player, grown on demand; player-table.ts), `Time` the world's time base (world-time.ts).
 */
export const createStores = (capacity: number) => {
  const n = capacity + 1;
  const playerRows = Math.min(n, INITIAL_PLAYER_ROWS);
  return {
    Position: createPosition(n),
    Velocity: createVelocity(n),
    Npc: createNpc(n),
    Player: createPlayer(playerRows),
    Behavior: createBehavior(n),
    Interaction: createInteraction(n),
    Tier: createTier(n),
    Wallet: createWallet(playerRows),
    Time: createWorldTime(),
    playerRows: createPlayerRows(n),
  };
};
export type Stores = ReturnType<typeof createStores>;

/**
 * Store names in a fixed order (used by the state hash, checkpoints and memory accounting). Each
 * holds {@link storeRowCount} meaningful rows: per entity id, per player row, or one (`Time`).
 */
export const STORE_NAMES = ['Position', 'Velocity', 'Npc', 'Player', 'Behavior', 'Interaction', 'Tier', 'Wallet', 'Time'] as const;

/** Stores with one row per entity id (the others hold one row per player, or one world-wide row). */
export const ENTITY_STORE_NAMES = ['Position', 'Velocity', 'Npc', 'Behavior', 'Interaction', 'Tier'] as const;
/** Stores with one row per player (player-table.ts). */
export const PLAYER_TABLE_NAMES = ['Player', 'Wallet'] as const;

/**
 * Rows of store `name` that hold state, given `entityRows` (highest entity id in use + 1): the
 * state hash and checkpoints cover exactly these.
 */
export const storeRowCount = (stores: Stores, name: (typeof STORE_NAMES)[number], entityRows: number): number => {
  if (name === 'Player' || name === 'Wallet') return playerTableRows(stores);
  if (name === 'Time') return 1;
  return entityRows;
};

/** The per-entity world-time fields (Uint32 ticks from `Time.base`; see world-time.ts), shifted on a rebase. */
export const timeFields = (stores: Stores): Uint32Array[] => {
  const { Behavior: B, Interaction: I } = stores;
  return [
    B.activityStartedAt,
    B.nextDecisionAt,
    B.activityCooldownUntil,
    I.waitUntil,
    I.cooldownUntil,
    I.lastInteractionAt,
    I.cooldown0,
    I.cooldown1,
    I.cooldown2,
    I.cooldown3,
  ];
};

/**
 * Move the world's time base forward when world time `now` has left its window (see
 * world-time.ts): an O(rows) pass over the time fields, once per ~48.5 world days. `rows` is one
 * past the highest entity id in use. Returns the epochs moved.
 */
export const rebaseStoresTime = (stores: Stores, now: number, rows: number): number =>
  now < stores.Time.base[0] + 2 * TIME_EPOCH_SECONDS ? 0 : rebaseWorldTime(stores.Time, now, timeFields(stores), rows);

/**
 * Reset every field of entity `eid` to its store default, and free its player row if it had one
 * (ids are recycled). Row 0 is never a live entity (bitecs ids start at 1), so it holds each
 * field's default and serves as the template row.
 */
export const resetEntityRow = (stores: Stores, eid: number): void => {
  releasePlayerRow(stores, eid);
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
