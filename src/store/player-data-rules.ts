/**
 * The rules of a player-data operation, shared by both stores (sqlite-player-data.ts,
 * postgres-player-data.ts): what an operation decides from the stored row of (player, key), and a
 * save's per-player quota check against the player's other rows. Pure; each store does the reads and
 * writes inside its own transaction.
 */
import {
  isPlayerDataWrite,
  maxRowsOf,
  type PlayerDataKeyInfo,
  type PlayerDataKeyOp,
  type PlayerDataLimits,
  type PlayerDataOp,
  type PlayerDataOpResult,
} from './types.js';

/** The stored row of (player, key) as a store reads it (`value` NULL: a tombstone). */
export type StoredRow = Record<string, unknown> | undefined;

/** A final answer without a write, or the write to do (`delete`: a tombstone; `save`: update or insert). */
export type PlayerDataDecision =
  | { answer: PlayerDataOpResult }
  | { write: 'delete'; version: number }
  /** `text`: the value's JSON text; `exists`: a row (live or tombstone) is there to update. */
  | { write: 'save'; version: number; exists: boolean; text: string };

/** Decide `o` from its stored row: a load's answer, a stale version, a delete of nothing, or the write. */
export const decidePlayerDataOp = (o: PlayerDataKeyOp, cur: StoredRow): PlayerDataDecision => {
  const version = cur ? Number(cur.version) : 0;
  const live = cur !== undefined && cur.value !== null;
  if (o.op === 'get') return { answer: live ? { status: 'ok', version, value: JSON.parse(String(cur.value)) } : { status: 'ok', version } };
  if (o.expectedVersion !== null && o.expectedVersion !== version) return { answer: { status: 'stale', version } };
  if (o.op === 'delete') return live ? { write: 'delete', version } : { answer: { status: 'ok', version } };
  return { write: 'save', version, exists: cur !== undefined, text: o.value };
};

/**
 * A save of `size` bytes against the player's other rows (`rest`: their bytes, live keys `n` and all
 * rows `total`, tombstones included): the quota refusal, or null when it fits. A new key also needs
 * room among all rows: tombstones are kept, so create-and-delete cannot grow them without bound.
 */
export const playerDataQuota = (
  exists: boolean,
  size: number,
  rest: Record<string, unknown>,
  limits: PlayerDataLimits,
): PlayerDataOpResult | null => {
  const bytes = Number(rest.bytes) + size;
  const keys = Number(rest.n) + 1;
  if (bytes > limits.maxBytesPerPlayer || keys > limits.maxKeysPerPlayer) return { status: 'quota', bytes, keys };
  if (!exists && Number(rest.total) >= maxRowsOf(limits)) return { status: 'quota', bytes, keys };
  return null;
};

/** The other rows' bytes, live keys and all rows of a player (both stores' SQL; `$1`/`$2` or `?`/`?` placeholders). */
export const OTHER_ROWS_SELECT = `SELECT coalesce(sum(size), 0) AS bytes, coalesce(sum(CASE WHEN value IS NULL THEN 0 ELSE 1 END), 0) AS n, count(*) AS total
     FROM player_data WHERE player_id = {1} AND data_key <> {2}`;

/** A player's rows for the admin listing (both stores' SQL; `{1}`: the player id's placeholder). */
export const LIST_ROWS_SELECT = `SELECT data_key, version, size, updated_at, CASE WHEN value IS NULL THEN 1 ELSE 0 END AS deleted
     FROM player_data WHERE player_id = {1} ORDER BY data_key`;

/** A player's live keys and versions, for "forget player" (then one UPDATE tombstones them all). */
export const LIVE_KEYS_SELECT = 'SELECT data_key, version FROM player_data WHERE player_id = {1} AND value IS NOT NULL ORDER BY data_key';

/** A row of {@link LIST_ROWS_SELECT} as the admin lists it. */
export const keyInfoOf = (r: Record<string, unknown>): PlayerDataKeyInfo => ({
  key: String(r.data_key),
  version: Number(r.version),
  bytes: Number(r.size),
  deleted: Number(r.deleted) === 1,
  updatedAt: Number(r.updated_at),
});

/** The answer of `forget` from the live rows it tombstones (each one version further). */
export const forgottenOf = (rows: readonly Record<string, unknown>[]): PlayerDataOpResult => ({
  status: 'forgotten',
  keys: rows.map((r) => ({ key: String(r.data_key), version: Number(r.version) + 1 })),
});

/** Should this attempt record its batch (it has an id and writes)? */
export const recordsBatch = (ops: readonly PlayerDataOp[], batchId: string | undefined): batchId is string =>
  batchId !== undefined && ops.some(isPlayerDataWrite);

/** Bytes of read answers a recorded batch holds before it stops, when the caller gives no `maxReadBytes`. */
export const DEFAULT_MAX_READ_BYTES = 256 * 1024;

/**
 * The record of a batch being run: every answer in order, reads included (a replay must answer a
 * read as it was in the batch; what is stored now may have been written since, by the batch's own
 * later operations or by another writer). `add` takes each answer and says when the reads' answers
 * (their JSON text, UTF-8 bytes) have passed `maxReadBytes`: the batch stops after that operation,
 * the rest not run, so a record holds at most `maxReadBytes` plus one answer of reads.
 */
export const batchRecorder = (maxReadBytes: number = DEFAULT_MAX_READ_BYTES) => {
  const parts: string[] = [];
  let readBytes = 0;
  return {
    /** Record `r`, the answer of `o`; true: stop the batch here. */
    add(o: PlayerDataOp, r: PlayerDataOpResult): boolean {
      const text = JSON.stringify(r);
      parts.push(text);
      if (!isPlayerDataWrite(o)) readBytes += Buffer.byteLength(text);
      return readBytes > maxReadBytes;
    },
    /** The record's text (a JSON array, one answer per operation run). */
    text: (): string => `[${parts.join(',')}]`,
  };
};

/**
 * The answers of a batch found recorded (its COMMIT landed on an earlier attempt), in order: one per
 * operation that attempt ran (fewer than `ops` when it stopped at its read budget). Nothing is
 * written again. A null is a read of a record written before reads were recorded: the store runs it again.
 */
export const recordedResults = (ops: readonly PlayerDataOp[], recorded: string): Array<PlayerDataOpResult | null> =>
  (JSON.parse(recorded) as Array<PlayerDataOpResult | null>).slice(0, ops.length);
