/**
 * The durable store seam: one interface for everything that must survive a restart — the
 * transaction ledger, world checkpoints, player records, session/resume records and world
 * configs. Two implementations run the same contract suite (test/unit/store/contract.test.ts):
 * {@link import('./sqlite-store.js').SqliteStore} (embedded default) and
 * {@link import('./postgres-store.js').PostgresStore} (shared by several instances).
 *
 * Every method is async and fails with coded errors only: `WT_ERR_STORE_UNAVAILABLE` (retryable:
 * disk full, read-only file, server down), `WT_ERR_STORE_FENCED` (a stale fencing token),
 * `WT_ERR_STORE_CLOSED`. A method that resolved has committed durably (per the store's
 * durability settings, docs/DURABILITY.md).
 */
import type {
  Balance,
  LedgerCommitResult,
  LedgerEntry,
  LedgerEntryInput,
  LedgerExpectation,
  LedgerQuery,
  PlayerLedger,
} from './ledger-types.js';
import type { MigrationReport } from './migrations.js';
import type { PlayerDataApplyOptions, PlayerDataLimits, PlayerDataOp, PlayerDataOpResult } from './player-data-types.js';

/**
 * Fencing: the owner of a world holds a token that only grows (issued by the coordination
 * layer's lease). Every fenced write carries it; the store keeps the highest token seen per world
 * and refuses a lower one with `WT_ERR_STORE_FENCED`, so a stale owner can never write.
 */
export interface Fence {
  worldId: string;
  /** Non-negative integer. */
  token: number;
}

/** Options of {@link Store.fence}. */
export interface FenceOptions {
  /**
   * Wait at most this long (ms) for the world's fence row when another transaction holds it (a
   * writer of the previous owner, paused mid-write), then fail WT_ERR_STORE_UNAVAILABLE with reason
   * `busy` and record nothing. PostgreSQL only (`lock_timeout` of the announce's transaction);
   * SQLite waits its busy timeout as for any write. Default: no bound of its own (the query timeout).
   */
  lockWaitMs?: number;
}

/** Ledger types: src/store/ledger-types.ts. */
export type {
  Balance,
  LedgerCommitResult,
  LedgerEntry,
  LedgerEntryInput,
  LedgerExpectation,
  LedgerKind,
  LedgerQuery,
  PlayerLedger,
} from './ledger-types.js';

/** A world checkpoint to save: serialized world bytes plus metadata. */
export interface CheckpointInput {
  worldId: string;
  /** Step number of the world when serialized. */
  step: number;
  /** World time (world seconds) when serialized. */
  worldTime: number;
  /** The world's scheduler config as JSON-compatible data. */
  config: unknown;
  /** Serialized world state. */
  data: Uint8Array;
  /** Fencing token of the writer (also checked when a fence is passed to the write). */
  fencingToken: number;
  /** Free-form JSON metadata (format version, ledger watermark, ...). */
  meta?: Record<string, unknown>;
}

/** A stored checkpoint. */
export interface Checkpoint extends Required<CheckpointInput> {
  /** Store-assigned id, increasing per save. */
  id: number;
  /** Wall-clock ms when saved. */
  createdAt: number;
}

/** A player record. */
export interface PlayerRecord {
  id: string;
  name: string;
  /** Free-form JSON data. */
  data: Record<string, unknown>;
  /** Wall-clock ms. */
  createdAt: number;
  updatedAt: number;
}

/** A session/resume record: the token a client presents to resume its session. */
export interface SessionRecord {
  token: string;
  playerId: string;
  worldId: string;
  /** Wall-clock ms since the epoch after which the token is refused. */
  expiresAt: number;
  /** Free-form JSON data (last acknowledged input, ...). */
  data: Record<string, unknown>;
}

/** One write of {@link Store.writeSessions}: a player record, a session record, or a session's deletion. */
export type SessionWrite =
  | { kind: 'player'; id: string; name: string; data?: Record<string, unknown> }
  | { kind: 'session'; record: SessionRecord }
  | { kind: 'dropSession'; token: string };

/** A stored world config. */
export interface WorldConfigRecord {
  worldId: string;
  config: unknown;
  /** Wall-clock ms. */
  updatedAt: number;
}

/**
 * Operator state kept across restarts (src/server/ops-persist.ts): one row per scope — `world:<id>`
 * (maintenance, override, declared tasks of a world) or `runtime` / `runtime:<instanceId>` (the
 * runtime-wide maintenance flag). `state` is JSON data the runtime validates when it reads it.
 */
export interface OperatorStateRecord {
  scope: string;
  state: unknown;
  /** Wall-clock ms. */
  updatedAt: number;
}

/** Player data (table `player_data`): src/store/player-data-types.ts. */
export {
  isPlayerDataWrite,
  maxRowsOf,
  type PlayerDataApplyOptions,
  type PlayerDataKeyInfo,
  type PlayerDataKeyOp,
  type PlayerDataLimits,
  type PlayerDataOp,
  type PlayerDataOpResult,
} from './player-data-types.js';

/** Counters of a store, observable in tests and metrics. */
export interface StoreStats {
  /** Write transactions committed. */
  transactions: number;
  /** `commitLedger` calls committed (one transaction each: the group-commit batches). */
  ledgerBatches: number;
  /** Ledger entries inserted (duplicates excluded). */
  ledgerEntries: number;
  checkpointsSaved: number;
  /** Writes refused for a stale fencing token. */
  fencedRefusals: number;
  /** Operations that failed with WT_ERR_STORE_UNAVAILABLE. */
  unavailableErrors: number;
  /** Player-data batches retried after their COMMIT had landed: answered from their record, not applied again. */
  playerDataReplayed: number;
  /**
   * PostgreSQL: transactions the server ended because they sat idle past
   * `idle_in_transaction_session_timeout` — this process paused mid-write (SIGSTOP, a long GC pause,
   * a frozen VM, an event loop blocked that long); rolled back, failed WT_ERR_STORE_UNAVAILABLE
   * (`idle`). Always 0 on SQLite.
   */
  idleTransactionsEnded: number;
  /**
   * PostgreSQL: operations that found every pooled connection in use and none came free within the
   * store's pool wait (`poolWaitMs`); failed WT_ERR_STORE_UNAVAILABLE (`pool-busy`), nothing sent to
   * the server. Always 0 on SQLite.
   */
  poolWaitTimeouts: number;
  /**
   * Reads and ledger commits that found a player's balance row (`ledger_balances`) damaged — a flipped bit on
   * disk, a hand edit (src/store/rows.ts `intactBalance`). A read sums the balance from the player's ledger
   * entries instead; a commit writes that sum back before its insert. A read of a row no commit repaired yet
   * counts again.
   */
  ledgerBalancesDamaged: number;
  /**
   * The outage in progress: set when an operation fails with WT_ERR_STORE_UNAVAILABLE (`reason` as in
   * the error's `details.reason`: busy, full, readonly, io, cantopen, corrupt, moved, schema, connection, pool-busy, timeout, idle), cleared by the next
   * operation that succeeds. `sinceMs`: wall time (epoch ms) of the first failure; `failures` since then.
   */
  unavailable: StoreOutage | null;
  /**
   * SQLite: how long (ms) an operation waits now for a lock another connection holds — the busy
   * timeout, or a short probe while an outage with reason `busy` lasts (docs/DURABILITY.md "SQLite
   * settings"). Null for PostgreSQL.
   */
  lockWaitMs: number | null;
}

/** A store outage in progress (see {@link StoreStats.unavailable}). */
export interface StoreOutage {
  reason: string;
  sinceMs: number;
  failures: number;
  /** The last failure's message (bounded). */
  message: string;
}

/** Record the outcome of one store operation in `stats.unavailable`: `err` a coded error, or undefined for success. */
export const noteStoreOutcome = (stats: StoreStats, err?: unknown): void => {
  if (err === undefined) {
    stats.unavailable = null;
    return;
  }
  const e = err as { code?: unknown; message?: unknown; details?: { reason?: unknown } };
  if (e.code !== 'WT_ERR_STORE_UNAVAILABLE') return;
  const reason = typeof e.details?.reason === 'string' ? e.details.reason : 'unknown';
  const message = String(e.message ?? '').slice(0, 300);
  const prev = stats.unavailable;
  stats.unavailable = { reason, sinceMs: prev?.sinceMs ?? Date.now(), failures: (prev?.failures ?? 0) + 1, message };
};

/** The store seam. See the module comment for the error contract. */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** Schema version after migrations (the highest applied). */
  schemaVersion(): Promise<number>;
  /** What opening this store did to its schema (version found, version now, migrations applied); absent in stores that do not say. */
  readonly migration?: MigrationReport;
  /** SQLite: wall ms the file's `quick_check` took at open (null: not checked, `check: 'off'`); absent elsewhere. */
  readonly checkMs?: number | null;
  /** SQLite: `dev:ino` of the file opened, which a second connection of the process (`attach`) must find at the path; absent elsewhere. */
  readonly fileIdentity?: string | null;
  stats(): StoreStats;
  /** Close connections; later calls fail with WT_ERR_STORE_CLOSED. Idempotent. */
  close(): Promise<void>;

  /**
   * Record `token` for the world (a new owner announces itself): refuses with WT_ERR_STORE_FENCED
   * when a higher token was seen. Returns the highest token now recorded. `options.lockWaitMs` bounds
   * the wait for a fence row another writer holds (see {@link FenceOptions}).
   */
  fence(fence: Fence, options?: FenceOptions): Promise<number>;

  /**
   * End the sessions of writers of `worldId` inside a fenced write under a token lower than `token`
   * (PostgreSQL only: a process paused mid-statement holds the world's fence row and no server
   * timeout ends it; docs/CLUSTER.md "A writer paused mid-write"). Returns the sessions ended.
   */
  endFencedOutWriters?(
    worldId: string,
    token: number,
  ): Promise<Array<{ pid: number; token: number; state: string; waitEvent: string | null }>>;
  /** Highest fencing token recorded for a world, or 0. */
  currentFence(worldId: string): Promise<number>;

  /**
   * Commit a batch of entries in ONE transaction (group commit). An entry whose (player, key) exists
   * is not inserted: the existing entry is returned with `duplicate: true`. With a fence, the whole
   * batch is refused when the token is stale. With `expect`, the whole batch is refused
   * `WT_ERR_LEDGER_STALE` (nothing written) when a listed player's balance `lastSeq` in the store is
   * not the one given: the batch was decided on a balance another writer moved since (PostgreSQL locks
   * the players' balance rows first, so two writers of one player commit one after the other).
   * Results are in input order.
   */
  commitLedger(entries: readonly LedgerEntryInput[], fence?: Fence, expect?: LedgerExpectation): Promise<LedgerCommitResult[]>;
  /** Existing entries for the given (player, key) pairs (missing pairs are absent from the result). */
  findLedgerEntries(refs: ReadonlyArray<{ playerId: string; key: string }>): Promise<LedgerEntry[]>;
  /** Entries in seq order. */
  readLedger(query: LedgerQuery): Promise<LedgerEntry[]>;
  /**
   * A player's balance: the sum of its `ok` entries, read from the per-player summary the ledger
   * keeps in the inserting transaction (schema 9 `ledger_balances`): one row, whatever the history.
   */
  ledgerBalance(playerId: string): Promise<Balance>;
  /**
   * A player's entries (`readLedger` by player, `afterSeq` / `limit` as there) and balance
   * (`ledgerBalance`) read from ONE snapshot: a commit lands in both or in neither. PostgreSQL: both
   * SELECTs in one `REPEATABLE READ READ ONLY` transaction (not counted in `transactions`, which
   * counts writes); SQLite: both in one deferred read transaction, synchronously.
   */
  readPlayerLedger(playerId: string, query?: Omit<LedgerQuery, 'playerId' | 'worldId'>): Promise<PlayerLedger>;
  /**
   * Delete at most `limit` recorded refusals (`rejected` rows) created before `beforeMs` (wall ms),
   * oldest first; `ok` entries are never deleted. Returns how many (docs/DURABILITY.md "Refusal rows").
   */
  pruneLedgerRefusals(beforeMs: number, limit: number): Promise<number>;
  /**
   * Creation times (wall ms, oldest first) of the newest `limit` recorded refusals (`rejected` rows)
   * of `playerId` in `worldId`'s ledger created at or after `sinceMs`: what a new ledger service
   * starts the player's refusal budget from (src/ledger/refusal-budget.ts; schema 7 index).
   */
  ledgerRefusalTimes(worldId: string, playerId: string, sinceMs: number, limit: number): Promise<number[]>;

  /** Save a checkpoint (keeps the newest `keep` per world, default 2). Fenced when `fence` is given. */
  saveCheckpoint(checkpoint: CheckpointInput, options?: { fence?: Fence; keep?: number }): Promise<Checkpoint>;
  /**
   * The newest checkpoint of a world; with `before`, the newest one whose id is below it (the one
   * kept before a checkpoint that could not be read: `saveCheckpoint` keeps 2 by default).
   */
  loadCheckpoint(worldId: string, options?: { before?: number }): Promise<Checkpoint | undefined>;

  /** Insert or update a player (createdAt kept from the first put). */
  putPlayer(record: { id: string; name: string; data?: Record<string, unknown> }): Promise<PlayerRecord>;
  /**
   * Apply many player and session writes, in order, in ONE write transaction (nothing for an empty
   * list): the game server's write-behind of joins, parks, drops and position saves — one commit
   * (one fsync) per event-loop turn instead of one per write on the event loop; a join's welcome
   * waits for it. A player write keeps createdAt, as `putPlayer`.
   */
  writeSessions(ops: readonly SessionWrite[]): Promise<void>;
  getPlayer(id: string): Promise<PlayerRecord | undefined>;

  /** Insert or replace a session record. */
  putSession(record: SessionRecord): Promise<void>;
  /** The session for `token` unless missing or expired at `nowMs`. */
  getSession(token: string, nowMs: number): Promise<SessionRecord | undefined>;
  /** Delete one session; true when it existed. */
  deleteSession(token: string): Promise<boolean>;
  /** Delete at most `limit` (1..100,000) sessions expired at `nowMs`, oldest expiry first, in one transaction; returns how many. */
  pruneSessions(nowMs: number, limit: number): Promise<number>;
  /** Delete every session of world `worldId` (the world was deleted); returns how many. */
  deleteWorldSessions(worldId: string): Promise<number>;
  /**
   * Delete the records of at most `limit` anonymous players (`g:` ids) that have no session record
   * left and whose player record was last written before `beforeMs` (epoch ms), oldest first: the
   * `players` row and every `player_data` row of each, in one transaction; returns how many players.
   * Ledger entries and summaries are never touched. `WT_ERR_OPTION_INVALID` for a `beforeMs` that is
   * not finite or a `limit` outside 1..100,000 (src/store/anonymous-players.ts).
   */
  pruneAnonymousPlayers(beforeMs: number, limit: number): Promise<number>;

  /** Insert or replace a world's config. Fenced when `fence` is given. */
  putWorldConfig(worldId: string, config: unknown, options?: { fence?: Fence }): Promise<WorldConfigRecord>;
  getWorldConfig(worldId: string): Promise<WorldConfigRecord | undefined>;
  /**
   * Whether `worldId` has a stored config: one row looked up by its key, its config neither read nor
   * parsed (a record this build cannot understand counts). What a new world's id is checked against,
   * instead of listing every record.
   */
  hasWorldConfig(worldId: string): Promise<boolean>;
  listWorldConfigs(): Promise<WorldConfigRecord[]>;
  /**
   * Delete a world's config and its checkpoints (in one transaction); true when a config was
   * deleted. With `incarnation`, only a config whose `incarnation` field is that one (a world's
   * record: src/persist/world-record.ts) and the checkpoints whose `meta.incarnation` is that one,
   * so the record and checkpoints of a newer world of the same id stay. A write of that config still in flight in another
   * transaction (a COMMIT its client gave up waiting for) is waited for first, so it cannot land
   * after the delete (PostgreSQL; SQLite writes never overlap). With `fence`, the delete is refused
   * (`WT_ERR_STORE_FENCED`, nothing deleted) when the store has seen a higher token for the world: another
   * instance took it over since (docs/CLUSTER.md "Deleting a world") and writes its record.
   */
  deleteWorldConfig(worldId: string, options?: { incarnation?: string; fence?: Fence }): Promise<boolean>;

  /**
   * Insert or replace the operator state of `scope` (see {@link OperatorStateRecord}). Fenced when
   * `fence` is given (a world's scope carries its owner's token).
   */
  putOperatorState(scope: string, state: unknown, options?: { fence?: Fence }): Promise<void>;
  getOperatorState(scope: string): Promise<OperatorStateRecord | undefined>;
  /** Delete one scope's state; true when it existed. */
  deleteOperatorState(scope: string): Promise<boolean>;

  /**
   * Run player-data operations in order in ONE transaction (the player-data service's group
   * commit, src/player-data/player-data-service.ts): a later operation sees an earlier one's write.
   * A refused operation (`stale`, `quota`) changes nothing and does not stop the others. Results
   * are in input order. Writers of one player are serialized (SQLite: one writer; PostgreSQL: a
   * transaction-scoped advisory lock per player), so versions and limits hold across instances.
   * With `options.batchId`, a batch that writes is recorded (see {@link PlayerDataApplyOptions}):
   * a retry of it (`retry: true`) that finds the record answers every operation as the committed
   * attempt did (reads too) and writes nothing; `stats().playerDataReplayed` counts those. A recorded
   * batch may stop at `options.maxReadBytes`: fewer results than operations, the rest not run.
   */
  applyPlayerData(ops: readonly PlayerDataOp[], limits: PlayerDataLimits, options?: PlayerDataApplyOptions): Promise<PlayerDataOpResult[]>;
}

/** Fresh zeroed stats. */
export const emptyStoreStats = (): StoreStats => ({
  transactions: 0,
  ledgerBatches: 0,
  ledgerEntries: 0,
  checkpointsSaved: 0,
  fencedRefusals: 0,
  unavailableErrors: 0,
  playerDataReplayed: 0,
  idleTransactionsEnded: 0,
  poolWaitTimeouts: 0,
  ledgerBalancesDamaged: 0,
  unavailable: null,
  lockWaitMs: null,
});
