/**
 * Row mapping shared by the SQL stores: database rows (snake_case, BIGINT possibly as string,
 * JSON as TEXT, blobs as Buffer) to the store's records, and input validation done once at the
 * store edge.
 */
import { optionInvalid } from '../errors.js';
import type { Balance, Checkpoint, LedgerEntry, OperatorStateRecord, PlayerRecord, SessionRecord, WorldConfigRecord } from './types.js';

type Row = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const str = (v: unknown): string => String(v);
const nstr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * What a JSON column whose text does not parse (a damaged row: a flipped bit on disk, a hand edit)
 * reads as, where the reader checks what it read: the world record (`stored world record not
 * understood; world skipped`), a checkpoint's meta and config (restore.ts tries the checkpoint before
 * it), operator state (`not understood; ignored`), a player's or session's data (no stored position, not
 * live elsewhere; the next save writes it whole). Before, the row's `SyntaxError` ended the start, or failed
 * every hello of that player as "session store unavailable; retry".
 */
export interface UnreadableJson {
  readonly unreadable: string;
}

/** Whether `v` is a JSON column read as {@link UnreadableJson}. */
export const isUnreadableJson = (v: unknown): v is UnreadableJson =>
  typeof v === 'object' && v !== null && typeof (v as { unreadable?: unknown }).unreadable === 'string' && Object.isFrozen(v);

/** A JSON column the reader checks: parsed, or {@link UnreadableJson} naming the parse error. */
const checkedJson = (v: unknown): unknown => {
  try {
    return JSON.parse(String(v));
  } catch (err) {
    return Object.freeze({ unreadable: `not JSON (${(err as Error).message.slice(0, 120)})` });
  }
};
/**
 * A JSON column that must hold an object (a checkpoint's meta, a player's or session's data): parsed, or
 * {@link UnreadableJson} when it is not JSON or holds no object (`null`, a number, an array: a damaged row;
 * before, a meta of `null` ended the start with a TypeError, store-file fuzz seed 80336).
 */
const checkedObject = (v: unknown): Record<string, unknown> => {
  const o = checkedJson(v);
  if (typeof o === 'object' && o !== null && !Array.isArray(o)) return o as Record<string, unknown>;
  return Object.freeze({ unreadable: `not a JSON object (${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o})` });
};
const bytes = (v: unknown): Uint8Array => {
  const b = v as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

/** A row mapped by `to`, or undefined when there is none (a read of one record). */
export const rowOr = <T>(row: unknown, to: (r: Row) => T): T | undefined => (row ? to(row as Row) : undefined);

/** Columns of the ledger table, in the order of {@link ledgerValues}. */
export const LEDGER_COLUMNS = [
  'world_id',
  'player_id',
  'idem_key',
  'kind',
  'item',
  'quantity',
  'unit_price',
  'coins_delta',
  'status',
  'code',
  'fingerprint',
  'created_at',
] as const;

/** Values of a ledger entry for {@link LEDGER_COLUMNS}. */
export const ledgerValues = (e: Omit<LedgerEntry, 'seq'>): unknown[] => [
  e.worldId,
  e.playerId,
  e.key,
  e.kind,
  e.item,
  e.quantity,
  e.unitPrice,
  e.coinsDelta,
  e.status,
  e.code,
  e.fingerprint,
  e.createdAt,
];

export const toLedgerEntry = (r: Row): LedgerEntry => ({
  seq: num(r.seq),
  worldId: str(r.world_id),
  playerId: str(r.player_id),
  key: str(r.idem_key),
  kind: str(r.kind) as LedgerEntry['kind'],
  item: nstr(r.item),
  quantity: num(r.quantity),
  unitPrice: num(r.unit_price),
  coinsDelta: num(r.coins_delta),
  status: str(r.status) as LedgerEntry['status'],
  code: nstr(r.code),
  fingerprint: str(r.fingerprint),
  createdAt: storedInt(r.created_at),
});

export const toCheckpoint = (r: Row): Checkpoint => ({
  id: num(r.id),
  worldId: str(r.world_id),
  step: num(r.step),
  worldTime: num(r.world_time),
  config: checkedJson(r.config),
  fencingToken: num(r.fencing_token),
  meta: checkedObject(r.meta),
  data: bytes(r.data),
  createdAt: storedInt(r.created_at),
});

export const toPlayer = (r: Row): PlayerRecord => ({
  id: str(r.id),
  name: str(r.name),
  data: checkedObject(r.data),
  createdAt: storedInt(r.created_at),
  updatedAt: storedInt(r.updated_at),
});

/**
 * A non-negative integer column as read, or 0 where it holds none: SQLite's INTEGER columns take any value (a hand
 * edit, a damaged file), and such a value read as NaN. A session expiry so read is expired (a text expiry compared
 * greater than every time: the resume token never expired, the sweep never deleted it; SQLite's prune deletes such
 * rows after the expired ones); a fencing token is none, replaced by the next fenced write's (sqlite-statements.ts
 * `fence`; NaN refused no write as stale); a player-data version is 0, and the next write stores the one it answers
 * (NaN made every expected version stale); a wall-ms stamp (`created_at`, `updated_at`) is 0, the epoch: a refusal
 * so read is no part of the player's budget (NaN made the bucket NaN, which allowed every refusal to be recorded),
 * and a world record's stamp compares equal to itself (src/server/not-started.ts `expire` tells a changed record
 * by its stamp). PostgreSQL's BIGINT columns read as strings: converted.
 */
export const storedInt = (v: unknown): number => {
  const n = num(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

export const toSession = (r: Row): SessionRecord => ({
  token: str(r.token),
  playerId: str(r.player_id),
  worldId: str(r.world_id),
  expiresAt: storedInt(r.expires_at),
  data: checkedObject(r.data),
});

export const toWorldConfig = (r: Row): WorldConfigRecord => ({
  worldId: str(r.world_id),
  config: checkedJson(r.config),
  updatedAt: storedInt(r.updated_at),
});

/** A row of `operator_state`. */
export const toOperatorState = (r: Row): OperatorStateRecord => ({
  scope: str(r.scope),
  state: checkedJson(r.state),
  updatedAt: storedInt(r.updated_at),
});

/** Sum `ok` entries into a balance (entries of one player, any order). */
export const sumBalance = (entries: readonly LedgerEntry[]): Balance => {
  const b: Balance = { coins: 0, items: {}, lastSeq: 0 };
  for (const e of entries) {
    if (e.status !== 'ok') continue;
    if (e.seq > b.lastSeq) b.lastSeq = e.seq;
    b.coins += e.coinsDelta;
    if (e.item !== null && e.quantity !== 0) b.items[e.item] = (b.items[e.item] ?? 0) + e.quantity;
  }
  return b;
};

/** The items of a `ledger_balances` row's text: a JSON object of safe integers, else null. */
const balanceItemsOf = (text: unknown): Record<string, number> | null => {
  let v: unknown;
  try {
    v = JSON.parse(String(text));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const items: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!Number.isSafeInteger(n)) return null;
    items[k] = n as number;
  }
  return items;
};

/**
 * A player's `ledger_balances` row (schema 9: kept by a trigger on every ledger insert) as a balance, or null
 * when it is damaged (a flipped bit on disk, a hand edit): `coins` or `last_seq` not a safe integer, `items`
 * not a JSON object of safe integers. The row is derived data: the stores then read the balance summed from
 * the player's `ok` entries ({@link LEDGER_SUMS_SQL}, {@link rebuiltBalance}), and a ledger commit that expects
 * the player writes that sum back before its insert — whose trigger would otherwise fail on the text, and with
 * it the whole group commit, every player's requests in it (`StoreStats.ledgerBalancesDamaged`).
 */
export const intactBalance = (row: Row): Balance | null => {
  const coins = num(row.coins),
    lastSeq = num(row.last_seq),
    items = balanceItemsOf(row.items);
  return items && Number.isSafeInteger(coins) && Number.isSafeInteger(lastSeq) ? { coins, items, lastSeq } : null;
};

/**
 * A player's sums from its `ok` entries, as the trigger keeps them (both stores; `{1}`: the player id's
 * placeholder): what a damaged summary row is rebuilt from.
 */
export const LEDGER_SUMS_SQL = {
  totals:
    "SELECT coalesce(sum(coins_delta), 0) AS coins, coalesce(max(seq), 0) AS last_seq FROM ledger WHERE player_id = {1} AND status = 'ok'",
  items:
    "SELECT item, sum(quantity) AS n FROM ledger WHERE player_id = {1} AND status = 'ok' AND item IS NOT NULL AND quantity <> 0 GROUP BY item",
} as const;

/**
 * `sql` (one of the sums shared by both stores) for SQLite: its `sum()` of integers raises "integer overflow"
 * past 2^63 − 1 — a damaged entry of that size failed the read, and with it a ledger group commit of every
 * player's requests (store-file fuzz seed 122) — where `total()` sums as a float and never fails (a damaged
 * sum past 2^53 reads inexact, and the balance it rebuilds is not a safe integer: read as damaged again).
 */
export const sqliteSums = (sql: string): string => sql.replaceAll('sum(', 'total(');

/** The balance of a damaged summary row, from the rows of {@link LEDGER_SUMS_SQL} (marked `unreadable`). */
export const rebuiltBalance = (totals: Row | undefined, itemRows: readonly Row[]): Balance => {
  const items: Record<string, number> = {};
  for (const r of itemRows) items[str(r.item)] = num(r.n);
  return { coins: num(totals?.coins ?? 0), items, lastSeq: num(totals?.last_seq ?? 0), unreadable: true };
};

/** A fencing token must be a non-negative safe integer. */
export const checkToken = (token: number): void => {
  if (!Number.isSafeInteger(token) || token < 0)
    throw optionInvalid([`fencing token must be a non-negative integer (got ${String(token)})`]);
};

/** JSON text of a value, refusing what JSON cannot hold (undefined, functions, cycles). */
export const toJsonText = (value: unknown, what: string): string => {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw optionInvalid([`${what} must be JSON-serializable: ${(err as Error).message}`]);
  }
  if (text === undefined) throw optionInvalid([`${what} must be JSON-serializable`]);
  return text;
};

/** Default number of checkpoints kept per world. */
export const DEFAULT_CHECKPOINTS_KEPT = 2;
/** Default and maximum rows of one ledger read. */
export const LEDGER_READ_LIMIT = 10_000;
