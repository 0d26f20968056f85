import type { Store } from './alloc.js';
import { growTableStores, resetTableRow } from './row-table.js';
import type { Player } from './player.js';
import type { Wallet } from './wallet.js';

/**
 * The player table: `Player` and `Wallet` hold one row per player entity, not one per entity id,
 * so a million NPCs carry no player or wallet bytes.
 *
 * ```
 *  entity id ──rowOf (Map)──► row ──► Player.session[row], Wallet.coins[row], ...
 *  row ──Player.eid[row]──► entity id        (0 = free row; row 0 = defaults, never assigned)
 * ```
 * A row is assigned by {@link ensurePlayerRow} (spawnPlayer does it), always the LOWEST free row,
 * so the assignment is a pure function of which rows are taken: the same in a replay and after a
 * checkpoint restore (which rebuilds `rowOf` from `Player.eid`, {@link rebuildPlayerRows}). A row
 * is freed and reset to defaults when its entity is despawned or its id is reused. The arrays grow
 * by doubling (new SharedArrayBuffers; the `Player`/`Wallet` objects stay the same, so hold the
 * object, not a field array, across a spawn).
 */
export interface PlayerRows {
  /** Entity id → row. */
  readonly rowOf: Map<number, number>;
  /** No free row below it (a search hint). */
  lowestFree: number;
  /** Most rows the table may grow to (the world's entity capacity + 1). */
  readonly maxRows: number;
}

/** What the player-table functions need of the world's stores. */
export interface PlayerTableStores {
  Player: Player;
  Wallet: Wallet;
  playerRows: PlayerRows;
}

/** Rows a new player table starts with (grown by doubling, up to the entity capacity + 1). */
export const INITIAL_PLAYER_ROWS = 64;

/** An empty row mapping for a table that may hold up to `maxRows` rows (row 0 included). */
export const createPlayerRows = (maxRows: number): PlayerRows => ({ rowOf: new Map(), lowestFree: 1, maxRows });

/** The player-table stores, as plain stores (growth and generic per-row loops). */
const tables = (s: PlayerTableStores): Store[] => [s.Player, s.Wallet];

/** The row of entity `eid`, or 0 (the defaults row: read it, never write it) when it has none. */
export const playerRow = (s: PlayerTableStores, eid: number): number => s.playerRows.rowOf.get(eid) ?? 0;

/** Grow every player-table field to at least `rows` rows (copying; new SharedArrayBuffers). */
export const growPlayerTable = (s: PlayerTableStores, rows: number): void =>
  growTableStores(tables(s), s.Player.eid.length, rows, Math.max(rows, s.playerRows.maxRows));

const resetRow = (s: PlayerTableStores, row: number): void => resetTableRow(tables(s), row);

/**
 * The row of entity `eid`, assigned (lowest free row, reset to defaults) when it has none. Throws
 * a RangeError when the table is full (more player rows than the world's entity capacity).
 */
export const ensurePlayerRow = (s: PlayerTableStores, eid: number): number => {
  const rows = s.playerRows;
  const had = rows.rowOf.get(eid);
  if (had !== undefined) return had;
  const ids = s.Player.eid;
  let row = rows.lowestFree;
  while (row < ids.length && ids[row] !== 0) row++;
  if (row >= rows.maxRows) throw new RangeError(`player table full (${rows.maxRows - 1} rows)`);
  if (row >= ids.length) growPlayerTable(s, row + 1);
  resetRow(s, row);
  s.Player.eid[row] = eid;
  rows.rowOf.set(eid, row);
  rows.lowestFree = row + 1;
  return row;
};

/** Free entity `eid`'s row, if it has one (its fields back to defaults). */
export const releasePlayerRow = (s: PlayerTableStores, eid: number): void => {
  const rows = s.playerRows;
  const row = rows.rowOf.get(eid);
  if (row === undefined) return;
  rows.rowOf.delete(eid);
  resetRow(s, row);
  if (row < rows.lowestFree) rows.lowestFree = row;
};

/** Rows in use up to the highest taken one, plus row 0 (what the state hash and checkpoints cover). */
export const playerTableRows = (s: PlayerTableStores): number => {
  const ids = s.Player.eid;
  let n = ids.length;
  while (n > 1 && ids[n - 1] === 0) n--;
  return n;
};

/** Rebuild the entity → row mapping from `Player.eid` (after the fields were restored). */
export const rebuildPlayerRows = (s: PlayerTableStores): void => {
  const rows = s.playerRows;
  rows.rowOf.clear();
  const ids = s.Player.eid;
  for (let r = 1; r < ids.length; r++) if (ids[r] !== 0) rows.rowOf.set(ids[r], r);
  rows.lowestFree = 1;
};
