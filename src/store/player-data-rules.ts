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
import { storedInt } from './rows.js';

/** The stored row of (player, key) as a store reads it (`value` NULL: a tombstone). */
export type StoredRow = Record<string, unknown> | undefined;

/** A final answer without a write, or the write to do (`delete`: a tombstone; `save`: update or insert). */
export type PlayerDataDecision =
  | { answer: PlayerDataOpResult }
  | { write: 'delete'; version: number }
  /** `text`: the value's JSON text; `exists`: a row (live or tombstone) is there to update. */
  | { write: 'save'; version: number; exists: boolean; text: string };

/**
 * A load's answer of a live row: its value, or `unreadable` when the text is not JSON (a damaged row:
 * a flipped bit on disk, a hand edit). Before, its `SyntaxError` failed the whole batch: every call of
 * every player committed with it answered `PD_UNAVAILABLE` `store-error`, and that load for good.
 */
const readValue = (text: string, version: number): PlayerDataOpResult => {
  try {
    return { status: 'ok', version, value: JSON.parse(text) };
  } catch {
    return { status: 'unreadable', version };
  }
};

/** Decide `o` from its stored row: a load's answer, a stale version, a delete of nothing, or the write. */
export const decidePlayerDataOp = (o: PlayerDataKeyOp, cur: StoredRow): PlayerDataDecision => {
  const version = cur ? storedInt(cur.version) : 0;
  const live = cur !== undefined && cur.value !== null;
  if (o.op === 'get') return { answer: live ? readValue(String(cur.value), version) : { status: 'ok', version } };
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
  version: storedInt(r.version),
  bytes: Number(r.size),
  deleted: Number(r.deleted) === 1,
  updatedAt: Number(r.updated_at),
});

/** The answer of `forget` from the live rows it tombstones (each one version further). */
export const forgottenOf = (rows: readonly Record<string, unknown>[]): PlayerDataOpResult => ({
  status: 'forgotten',
  keys: rows.map((r) => ({ key: String(r.data_key), version: storedInt(r.version) + 1 })),
});

/** Should this attempt record its batch (it has an id and writes)? */
export const recordsBatch = (ops: readonly PlayerDataOp[], batchId: string | undefined): batchId is string =>
  batchId !== undefined && ops.some(isPlayerDataWrite);

/** Bytes of read answers a recorded batch holds before it stops, when the caller gives no `maxReadBytes`. */
export const DEFAULT_MAX_READ_BYTES = 256 * 1024;

/** A load answer with a value in a batch record: whose value (player, key) and where (its position in the record). */
export interface RecordedRead {
  playerId: string;
  key: string;
  position: number;
}

/**
 * The record of a batch being run: every answer in order, reads included (a replay must answer a
 * read as it was in the batch; what is stored now may have been written since, by the batch's own
 * later operations or by another writer). `add` takes each answer and says when the reads' answers
 * (their JSON text, UTF-8 bytes) have passed `maxReadBytes`: the batch stops after that operation,
 * the rest not run, so a record holds at most `maxReadBytes` plus one answer of reads. The loads that
 * answered a value are listed (`reads`, stored in `player_data_batch_reads`) so a forget can erase them;
 * a forget in the batch itself erases the ones before it at once (`forget`).
 */
export const batchRecorder = (maxReadBytes: number = DEFAULT_MAX_READ_BYTES) => {
  const parts: string[] = [];
  let reads: RecordedRead[] = [];
  let readBytes = 0;
  return {
    /** Record `r`, the answer of `o`; true: stop the batch here. */
    add(o: PlayerDataOp, r: PlayerDataOpResult): boolean {
      const text = JSON.stringify(r);
      if (o.op === 'get' && 'value' in r) reads.push({ playerId: o.playerId, key: o.key, position: parts.length });
      parts.push(text);
      if (!isPlayerDataWrite(o)) readBytes += Buffer.byteLength(text);
      return readBytes > maxReadBytes;
    },
    /** Erase the player's loaded values recorded so far (`versions`: the player's rows after the forget, by key). */
    forget(playerId: string, versions: ReadonlyMap<string, number>): void {
      for (const r of reads) if (r.playerId === playerId) parts[r.position] = JSON.stringify(forgottenRead(versions, r.key));
      reads = reads.filter((r) => r.playerId !== playerId);
    },
    /** Did an answer take the reads past the budget (the batch stops there)? */
    stopped: (): boolean => readBytes > maxReadBytes,
    /** The loads whose value the record holds. */
    reads: (): readonly RecordedRead[] => reads,
    /** The record's text (a JSON array, one answer per operation run). */
    text: (): string => `[${parts.join(',')}]`,
  };
};

/**
 * What a recorded load of a forgotten player's key answers from then on: what a load right after
 * the forget reads — no value, the row's version (the tombstone's; 0 for a key without a row).
 */
export const forgottenRead = (versions: ReadonlyMap<string, number>, key: string): PlayerDataOpResult => ({
  status: 'ok',
  version: versions.get(key) ?? 0,
});

/** A player's rows' versions by key (after a forget: every row a tombstone), for {@link forgottenRead}. */
export const PLAYER_VERSIONS_SELECT = 'SELECT data_key, version FROM player_data WHERE player_id = {1}';

/** The recorded loads of a player, by batch (both stores' SQL; `{1}`: the player id's placeholder). */
export const PLAYER_READS_SELECT =
  'SELECT batch_id, position, data_key FROM player_data_batch_reads WHERE player_id = {1} ORDER BY batch_id, position';

/** Rows of {@link PLAYER_VERSIONS_SELECT} as a map. */
export const versionsOf = (rows: readonly Record<string, unknown>[]): Map<string, number> =>
  new Map(rows.map((r) => [String(r.data_key), storedInt(r.version)]));

/** Rows of {@link PLAYER_READS_SELECT} grouped by batch id: the positions and keys to erase in each record. */
export const readsByBatch = (rows: readonly Record<string, unknown>[]): Map<string, Array<{ position: number; key: string }>> => {
  const out = new Map<string, Array<{ position: number; key: string }>>();
  for (const r of rows) {
    const id = String(r.batch_id);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push({ position: Number(r.position), key: String(r.data_key) });
  }
  return out;
};

/**
 * A batch record's answers, or null when its text is not a JSON array (a damaged row: a flipped bit on disk,
 * a hand edit). Before, its `SyntaxError` failed the whole player-data batch that met it — a forget of a
 * player whose load it recorded, and every other player's calls committed with that forget.
 */
const answersOf = (recorded: string): unknown[] | null => {
  try {
    const v: unknown = JSON.parse(recorded);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
};

/**
 * A record's text with the loads at `reads` answered as forgotten ({@link forgottenRead}). A damaged record
 * becomes `[]`: whatever of the player's values its text still held is gone, and a retry of its batch answers
 * nothing from it ({@link recordedResults}) rather than running its writes again.
 */
export const eraseReads = (
  recorded: string,
  reads: readonly { position: number; key: string }[],
  versions: ReadonlyMap<string, number>,
): string => {
  const answers = answersOf(recorded);
  if (!answers) return '[]';
  for (const r of reads) if (r.position < answers.length) answers[r.position] = forgottenRead(versions, r.key);
  return JSON.stringify(answers);
};

/**
 * The answers of a batch found recorded (its COMMIT landed on an earlier attempt), in order: one per
 * operation that attempt ran (fewer than `ops` when it stopped at its read budget). Nothing is
 * written again. A null is a read of a record written before reads were recorded: the store runs it again. A
 * damaged record answers none (the service answers the batch's calls `PD_UNAVAILABLE` `store-error`): its
 * writes landed and must not run again, and what they answered is lost.
 */
export const recordedResults = (ops: readonly PlayerDataOp[], recorded: string): Array<PlayerDataOpResult | null> =>
  ((answersOf(recorded) ?? []) as Array<PlayerDataOpResult | null>).slice(0, ops.length);
