/**
 * The store's player-data types (table `player_data`, docs/DURABILITY.md "Player data"): the
 * operations `Store.applyPlayerData` takes, their results, the per-player limits and the
 * exactly-once batch options. Re-exported by src/store/types.ts.
 */
/**
 * One operation on player data (table `player_data`, docs/DURABILITY.md "Player data"): values per
 * (durable player id, key), each with a version that starts at 1 and grows by one per write.
 * `expectedVersion` makes a write conditional (0: the key must not exist); null writes whatever is stored.
 */
export type PlayerDataOp =
  | { op: 'get'; playerId: string; key: string }
  | { op: 'put'; playerId: string; key: string /** JSON text. */; value: string; expectedVersion: number | null }
  | { op: 'delete'; playerId: string; key: string; expectedVersion: number | null }
  /** Every row of the player (live keys and tombstones) with its version and size: the admin listing. */
  | { op: 'list'; playerId: string }
  /**
   * Delete every live key of the player (a tombstone each, version + 1): the admin "forget player".
   * Also erases the player's loaded values from batch records (see {@link PlayerDataApplyOptions}).
   */
  | { op: 'forget'; playerId: string };

/** An operation on one key (get, put, delete). */
export type PlayerDataKeyOp = Extract<PlayerDataOp, { key: string }>;

/** Does `o` write (put, delete, forget)? Writes lock their player and are recorded for exactly-once retries. */
export const isPlayerDataWrite = (o: PlayerDataOp): boolean => o.op === 'put' || o.op === 'delete' || o.op === 'forget';

/** One row of a player's data as the admin lists it. */
export interface PlayerDataKeyInfo {
  key: string;
  version: number;
  /** UTF-8 bytes of the JSON value (0 for a tombstone). */
  bytes: number;
  /** A tombstone: the key was deleted, its version is kept. */
  deleted: boolean;
  /** Wall-clock ms of the last write. */
  updatedAt: number;
}

/**
 * Options of one `applyPlayerData` call that make a retried batch exactly-once: a batch that writes
 * is recorded by its id with every answer it gave, reads included, in the same transaction (table
 * `player_data_batches`, schema 5), so a retry of a batch whose COMMIT did land (its answer lost)
 * returns the recorded answers — instead of applying the writes twice, refusing its own conditional
 * saves as stale, or answering a read with what was written after it (by the batch's own later
 * operations or by another writer since). A `forget` erases its player's values from every record
 * (the loads listed in `player_data_batch_reads`, schema 8): such a load is replayed as a load right
 * after the forget reads it (no value, the tombstone's version).
 */
export interface PlayerDataApplyOptions {
  /** Unique id of the batch (same id on every attempt). Without it nothing is recorded. */
  batchId?: string;
  /** A second or later attempt: look the id up first (the first attempt skips the lookup). */
  retry?: boolean;
  /** Delete batch records older than this (wall-clock ms) in the same transaction. */
  pruneBefore?: number;
  /**
   * A recorded batch stops after the operation whose read answers (get, list: UTF-8 bytes of their
   * JSON) pass this many in total; the operations after it are not run and have no result (default
   * 256 KiB). Bounds a record to this plus one answer of reads. Unrecorded batches never stop.
   */
  maxReadBytes?: number;
}

/**
 * Outcome of one {@link PlayerDataOp}: `ok` (get: the stored value and its version, no value when
 * none — version 0 if the key was never written, the delete's version after a delete; put: the new
 * version; delete: the new version — a delete is a write, the row stays as a tombstone without a
 * value), `stale` (the expected version is not the stored one, `version` is the stored one),
 * `quota` (the put would pass a per-player limit) or `unreadable` (get: the stored text is not JSON —
 * a damaged row; `version` is the stored one, a put or delete of it goes through as for any value).
 */
export type PlayerDataOpResult =
  | { status: 'ok'; version: number; value?: unknown }
  | { status: 'stale'; version: number }
  | { status: 'unreadable'; version: number }
  | { status: 'quota'; bytes: number; keys: number }
  /** `list`: every row of the player, by key. */
  | { status: 'listed'; keys: PlayerDataKeyInfo[] }
  /** `forget`: the keys deleted (live before) with their new versions, by key. */
  | { status: 'forgotten'; keys: Array<{ key: string; version: number }> };

/** Per-player limits a put is checked against (inside its transaction). */
export interface PlayerDataLimits {
  /** Sum of the UTF-8 sizes of the player's JSON values. */
  maxBytesPerPlayer: number;
  /** Number of keys of one player. */
  maxKeysPerPlayer: number;
  /**
   * Deleted keys (tombstones: no value, kept with their version) of one player beyond
   * `maxKeysPerPlayer`: a save creating a key is refused `quota` once the player has
   * `maxKeysPerPlayer + maxDeletedKeysPerPlayer` rows, so saving and deleting ever new keys cannot
   * grow the table without bound (re-creating a deleted key reuses its row). Default
   * 10 × `maxKeysPerPlayer`.
   */
  maxDeletedKeysPerPlayer?: number;
}

/** Rows (live keys and tombstones) one player may have under `limits`. */
export const maxRowsOf = (limits: PlayerDataLimits): number =>
  limits.maxKeysPerPlayer + (limits.maxDeletedKeysPerPlayer ?? 10 * limits.maxKeysPerPlayer);
