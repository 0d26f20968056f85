/**
 * Embedded default store: one SQLite file (`<dataDir>/worldtick.sqlite`) through better-sqlite3.
 *
 * Durability settings (docs/DURABILITY.md): `journal_mode=WAL` (readers never block the writer;
 * a commit appends to the WAL), `synchronous=FULL` by default (the WAL is fsynced at every
 * commit, so a committed transaction survives power loss; `NORMAL` survives a process crash but
 * may lose the last commits on power loss — allowed only by explicit option), `foreign_keys=ON`,
 * `busy_timeout` bounded, `journal_size_limit` (a WAL grown by a burst under a long reader is cut back
 * once it restarts; src/store/sqlite-open.ts). better-sqlite3 is synchronous: each call blocks the event loop for the
 * duration of the statement and its fsync, which is why the ledger group-commits many requests per transaction, world
 * records are group-committed too (src/store/sqlite-record-batch.ts), and big checkpoints are saved outside the step.
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isWorldtickError, storeClosed, storeFenced } from '../errors.js';
import { refuseStaleOrDamaged } from './ledger-types.js';
import type { MigrationReport } from './migrations.js';
import { mapSqliteError, openSqliteDatabase, setSqliteMaxPageCount, type SqliteStoreOptions } from './sqlite-open.js';
import { prepareStatements } from './sqlite-statements.js';
import { commitRecords, DEFAULT_RECORD_BATCH_MS, RecordBatch } from './sqlite-record-batch.js';
import { sqlitePlayerData } from './sqlite-player-data.js';
import { sqliteLedgerReads } from './sqlite-ledger-reads.js';
import { anonymousPruneRefusal, sqliteAnonymousPrune } from './anonymous-players.js';
import { pruneRefusal } from './bounded-prune.js';
import {
  DEFAULT_CHECKPOINTS_KEPT,
  checkToken,
  ledgerValues,
  toCheckpoint,
  toJsonText,
  toLedgerEntry,
  rowOr,
  toPlayer,
  toSession,
  toWorldConfig,
  toOperatorState,
  storedInt,
} from './rows.js';
import {
  emptyStoreStats,
  noteStoreOutcome,
  type Balance,
  type Checkpoint,
  type CheckpointInput,
  type Fence,
  type LedgerCommitResult,
  type LedgerEntry,
  type LedgerEntryInput,
  type LedgerExpectation,
  type LedgerQuery,
  type PlayerLedger,
  type PlayerRecord,
  type SessionRecord,
  type SessionWrite,
  type Store,
  type StoreStats,
  type WorldConfigRecord,
  type OperatorStateRecord,
  isPlayerDataWrite,
  type PlayerDataApplyOptions,
  type PlayerDataLimits,
  type PlayerDataOp,
  type PlayerDataOpResult,
} from './types.js';

/**
 * How long (ms) an operation waits for another connection's lock while a `busy` outage lasts: after
 * one operation waited the whole busy timeout in vain, the lock is known held (another process in
 * `BEGIN IMMEDIATE`, a stuck backup tool), and every wait blocks the event loop (better-sqlite3 is
 * synchronous) — the steps, the game server and the admin API with it. The next operation that
 * succeeds restores the busy timeout.
 */
export const SQLITE_BUSY_PROBE_MS = 100;

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = 'worldtick.sqlite';

export type { SqliteStoreOptions } from './sqlite-open.js';

type Row = Record<string, unknown>;

/** SQLite implementation of {@link Store}. Owns one connection; close it with {@link close}. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Absolute or relative path of the database file. */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly counters: StoreStats = emptyStoreStats();
  private closed = false;
  /** The configured busy timeout (ms); `counters.lockWaitMs` is the one in force. */
  private readonly busyTimeoutMs: number;
  private readonly stmt: Record<string, Database.Statement>;
  /** Ledger reads (src/store/sqlite-ledger-reads.ts). */
  private readonly ledgerReads: ReturnType<typeof sqliteLedgerReads>;
  /** What opening did to the schema (see {@link Store.migration}). */
  readonly migration: MigrationReport;
  /** Wall ms of the file's `quick_check` at open (null: not checked; see {@link Store.checkMs}). */
  readonly checkMs: number | null;
  /** `dev:ino` of the file opened (see {@link Store.fileIdentity}). */
  readonly fileIdentity: string | null;
  /** Throws before a write once the path names another file or none (src/store/sqlite-open.ts `requireFileInPlace`). */
  private readonly writable: () => void;
  private readonly playerData: ReturnType<typeof sqlitePlayerData>;
  private readonly anonymousPrune: ReturnType<typeof sqliteAnonymousPrune>;
  /** World records waiting for their group commit, and the window (ms; 0: each its own transaction). */
  private readonly records: RecordBatch;
  private readonly recordBatchMs: number;

  /** Open (creating the directory and file) and migrate. Throws coded errors. */
  constructor(options: SqliteStoreOptions) {
    this.file = join(options.dataDir, SQLITE_FILE_NAME);
    const { db, migration, checkMs, identity, writable } = openSqliteDatabase(this.file, options);
    this.db = db;
    this.checkMs = checkMs;
    this.writable = writable;
    this.fileIdentity = identity;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    this.counters.lockWaitMs = this.busyTimeoutMs;
    this.migration = migration;
    this.stmt = prepareStatements(this.db);
    this.playerData = sqlitePlayerData(this.db);
    this.anonymousPrune = sqliteAnonymousPrune(this.db);
    this.ledgerReads = sqliteLedgerReads(this.db, this.stmt, () => void this.counters.ledgerBalancesDamaged++);
    this.recordBatchMs = options.recordBatchMs ?? DEFAULT_RECORD_BATCH_MS;
    // Group commit of world records: one transaction, a savepoint each; counted as one operation (src/store/sqlite-record-batch.ts).
    const outcome = {
      closed: () => this.closed,
      succeeded: () => this.succeeded(true),
      failed: (err: unknown) => this.failed(err),
      writable,
    };
    this.records = new RecordBatch(this.recordBatchMs, (items) => commitRecords(this.db, items, outcome));
  }

  /** Cap the database size in pages (quota; fault tests use it to simulate a full disk). */
  setMaxPageCount(pages: number): void {
    setSqliteMaxPageCount(this.db, pages);
  }

  /** Pages the database uses now. */
  pageCount(): number {
    return this.db.pragma('page_count', { simple: true }) as number;
  }

  /** Run `fn` as a coded, counted operation (`write`: in an IMMEDIATE transaction), after the world records waiting. */
  private run<T>(write: boolean, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(storeClosed());
    this.records.flush();
    try {
      if (write) this.writable();
      const out = write ? this.db.transaction(fn).immediate() : fn();
      this.succeeded(write);
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(this.failed(err));
    }
  }

  /** Count a successful operation. A read succeeds under another connection's write lock (WAL) or from a removed file: only a write ends a `busy` or `moved` outage. */
  private succeeded(write: boolean): void {
    if (write) this.counters.transactions++;
    const reason = this.counters.unavailable?.reason;
    if (write || (reason !== 'busy' && reason !== 'moved')) {
      this.setLockWait(this.busyTimeoutMs);
      noteStoreOutcome(this.counters);
    }
  }

  /** Count a failed operation; returns its coded error. */
  private failed(err: unknown): unknown {
    const mapped = mapSqliteError(err);
    noteStoreOutcome(this.counters, mapped);
    if (this.counters.unavailable?.reason === 'busy') this.setLockWait(Math.min(SQLITE_BUSY_PROBE_MS, this.busyTimeoutMs));
    if (isWorldtickError(mapped, 'WT_ERR_STORE_UNAVAILABLE')) this.counters.unavailableErrors++;
    if (isWorldtickError(mapped, 'WT_ERR_STORE_FENCED')) this.counters.fencedRefusals++;
    return mapped;
  }

  /** Set the connection's busy timeout (ms) when it changes. */
  private setLockWait(ms: number): void {
    if (this.counters.lockWaitMs === ms) return;
    this.db.pragma(`busy_timeout = ${ms}`);
    this.counters.lockWaitMs = ms;
  }

  /** Inside a write transaction: raise the world's token or refuse a stale one. */
  private applyFence(fence: Fence): number {
    checkToken(fence.token);
    const now = (this.stmt.fence!.get(fence.worldId, fence.token) as Row).token as number;
    if (now > fence.token) throw storeFenced(fence.worldId, fence.token, now);
    return now;
  }

  schemaVersion(): Promise<number> {
    return this.run(false, () => (this.stmt.schemaVersion!.get() as Row).v as number);
  }

  stats(): StoreStats {
    return { ...this.counters, unavailable: this.counters.unavailable && { ...this.counters.unavailable } };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.records.flush();
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }

  fence(fence: Fence): Promise<number> {
    return this.run(true, () => this.applyFence(fence));
  }

  currentFence(worldId: string): Promise<number> {
    return this.run(false, () => storedInt((this.stmt.currentFence!.get(worldId) as Row | undefined)?.token));
  }

  commitLedger(entries: readonly LedgerEntryInput[], fence?: Fence, expect?: LedgerExpectation): Promise<LedgerCommitResult[]> {
    return this.run(true, () => {
      if (fence) this.applyFence(fence); // then the balances the batch was decided on (Store.commitLedger `expect`)
      if (expect) refuseStaleOrDamaged(expect, (id) => this.ledgerReads.expectedSeq(id));
      const out: LedgerCommitResult[] = [];
      let inserted = 0;
      for (const e of entries) {
        const row = this.stmt.insertLedger!.get(...ledgerValues(e)) as Row | undefined;
        if (row) {
          inserted++;
          out.push({ entry: { ...e, seq: row.seq as number }, duplicate: false });
        } else {
          out.push({ entry: toLedgerEntry(this.stmt.findLedger!.get(e.playerId, e.key) as Row), duplicate: true });
        }
      }
      this.counters.ledgerBatches++;
      this.counters.ledgerEntries += inserted;
      return out;
    });
  }

  findLedgerEntries(refs: ReadonlyArray<{ playerId: string; key: string }>): Promise<LedgerEntry[]> {
    return this.run(false, () => this.ledgerReads.find(refs));
  }

  readLedger(query: LedgerQuery): Promise<LedgerEntry[]> {
    return this.run(false, () => this.ledgerReads.read(query));
  }

  ledgerBalance(playerId: string): Promise<Balance> {
    return this.run(false, () => this.ledgerReads.balance(playerId));
  }

  readPlayerLedger(playerId: string, query?: Omit<LedgerQuery, 'playerId' | 'worldId'>): Promise<PlayerLedger> {
    return this.run(false, () => this.ledgerReads.player(playerId, query));
  }

  pruneLedgerRefusals(beforeMs: number, limit: number): Promise<number> {
    return this.run(true, () => this.ledgerReads.pruneRefusals(beforeMs, limit));
  }

  ledgerRefusalTimes(worldId: string, playerId: string, sinceMs: number, limit: number): Promise<number[]> {
    return this.run(false, () => this.ledgerReads.refusalTimes(worldId, playerId, sinceMs, limit));
  }

  saveCheckpoint(cp: CheckpointInput, options?: { fence?: Fence; keep?: number }): Promise<Checkpoint> {
    const keep = Math.max(1, options?.keep ?? DEFAULT_CHECKPOINTS_KEPT);
    return this.run(true, () => {
      checkToken(cp.fencingToken);
      const config = toJsonText(cp.config, 'checkpoint config');
      const meta = cp.meta ?? {};
      const metaText = toJsonText(meta, 'checkpoint meta');
      if (options?.fence) this.applyFence(options.fence);
      const createdAt = Date.now();
      const data = Buffer.from(cp.data.buffer, cp.data.byteOffset, cp.data.byteLength);
      const row = this.stmt.insertCheckpoint!.get(
        cp.worldId,
        cp.step,
        cp.worldTime,
        config,
        cp.fencingToken,
        metaText,
        data,
        createdAt,
      ) as Row;
      this.stmt.pruneCheckpoints!.run(cp.worldId, cp.worldId, keep);
      this.counters.checkpointsSaved++;
      return { ...cp, meta, config: JSON.parse(config) as unknown, id: row.id as number, createdAt };
    });
  }

  loadCheckpoint(worldId: string, options?: { before?: number }): Promise<Checkpoint | undefined> {
    return this.run(false, () => {
      const before = options?.before;
      const row = (before === undefined ? this.stmt.loadCheckpoint!.get(worldId) : this.stmt.loadCheckpointBefore!.get(worldId, before)) as
        | Row
        | undefined;
      return row ? toCheckpoint(row) : undefined;
    });
  }

  putPlayer(record: { id: string; name: string; data?: Record<string, unknown> }): Promise<PlayerRecord> {
    return this.run(true, () => {
      const data = toJsonText(record.data ?? {}, 'player data');
      const now = Date.now();
      return toPlayer(this.stmt.putPlayer!.get(record.id, record.name, data, now, now) as Row);
    });
  }

  writeSessions(ops: readonly SessionWrite[]): Promise<void> {
    // An empty list: no transaction (run's closed check only).
    return this.run(ops.length > 0, () => {
      const now = Date.now();
      for (const o of ops)
        if (o.kind === 'player') this.stmt.putPlayerRow!.run(o.id, o.name, toJsonText(o.data ?? {}, 'player data'), now, now);
        else if (o.kind === 'session') this.writeSession(o.record);
        else this.stmt.deleteSession!.run(o.token);
    });
  }

  getPlayer(id: string): Promise<PlayerRecord | undefined> {
    return this.run(false, () => rowOr(this.stmt.getPlayer!.get(id), toPlayer));
  }

  putSession(s: SessionRecord): Promise<void> {
    return this.run(true, () => this.writeSession(s));
  }
  private writeSession(s: SessionRecord): void {
    this.stmt.putSession!.run(s.token, s.playerId, s.worldId, s.expiresAt, toJsonText(s.data, 'session data'));
  }

  getSession(token: string, nowMs: number): Promise<SessionRecord | undefined> {
    return this.run(false, () => rowOr(this.stmt.getSession!.get(token, nowMs), toSession));
  }

  deleteSession(token: string): Promise<boolean> {
    return this.run(true, () => this.stmt.deleteSession!.run(token).changes > 0);
  }

  pruneSessions(nowMs: number, limit: number): Promise<number> {
    const refused = pruneRefusal('pruneSessions', 'nowMs', nowMs, limit);
    if (refused) return Promise.reject(refused);
    return this.run(true, () => {
      const n = this.stmt.pruneSessions!.run(nowMs, limit).changes;
      return n < limit ? n + this.stmt.pruneDamagedSessions!.run(limit - n).changes : n;
    });
  }

  deleteWorldSessions(worldId: string): Promise<number> {
    return this.run(true, () => this.stmt.deleteWorldSessions!.run(worldId).changes);
  }

  pruneAnonymousPlayers(beforeMs: number, limit: number): Promise<number> {
    const refused = anonymousPruneRefusal(beforeMs, limit);
    return refused ? Promise.reject(refused) : this.run(true, () => this.anonymousPrune(beforeMs, limit));
  }

  /** Group-committed with the other world records asked for within `recordBatchMs` (src/store/sqlite-record-batch.ts). */
  putWorldConfig(worldId: string, config: unknown, options?: { fence?: Fence }): Promise<WorldConfigRecord> {
    if (this.closed) return Promise.reject(storeClosed());
    // Serialized now, not at the batch's commit: the record is the value as it was when asked for.
    let text: string;
    try {
      text = toJsonText(config, 'world config');
    } catch (err) {
      return Promise.reject(this.failed(err));
    }
    const write = (): WorldConfigRecord => {
      if (options?.fence) this.applyFence(options.fence);
      return toWorldConfig(this.stmt.putWorldConfig!.get(worldId, text, Date.now()) as Row);
    };
    return this.recordBatchMs > 0 ? this.records.add(write) : this.run(true, write);
  }

  getWorldConfig(worldId: string): Promise<WorldConfigRecord | undefined> {
    return this.run(false, () => rowOr(this.stmt.getWorldConfig!.get(worldId), toWorldConfig));
  }

  hasWorldConfig(worldId: string): Promise<boolean> {
    return this.run(false, () => this.stmt.hasWorldConfig!.get(worldId) !== undefined);
  }

  listWorldConfigs(): Promise<WorldConfigRecord[]> {
    return this.run(false, () => (this.stmt.listWorldConfigs!.all() as Row[]).map(toWorldConfig));
  }

  deleteWorldConfig(worldId: string, options?: { incarnation?: string; fence?: Fence }): Promise<boolean> {
    const inc = options?.incarnation ?? null;
    const fence = options?.fence;
    return this.run(true, () => {
      const current = fence ? storedInt((this.stmt.currentFence!.get(worldId) as Row | undefined)?.token) : 0;
      if (fence && current > fence.token) throw storeFenced(worldId, fence.token, current);
      this.stmt.deleteWorldCheckpoints!.run(worldId, inc, inc);
      return this.stmt.deleteWorldConfig!.run(worldId, inc, inc).changes > 0;
    });
  }

  putOperatorState(scope: string, state: unknown, options?: { fence?: Fence }): Promise<void> {
    return this.run(true, () => {
      const text = toJsonText(state, 'operator state');
      if (options?.fence) this.applyFence(options.fence);
      this.stmt.putOperatorState!.run(scope, text, Date.now());
    });
  }

  getOperatorState(scope: string): Promise<OperatorStateRecord | undefined> {
    return this.run(false, () => rowOr(this.stmt.getOperatorState!.get(scope), toOperatorState));
  }

  deleteOperatorState(scope: string): Promise<boolean> {
    return this.run(true, () => this.stmt.deleteOperatorState!.run(scope).changes > 0);
  }

  applyPlayerData(ops: readonly PlayerDataOp[], limits: PlayerDataLimits, options?: PlayerDataApplyOptions): Promise<PlayerDataOpResult[]> {
    return this.run(ops.some(isPlayerDataWrite) || options?.pruneBefore !== undefined, () => {
      const out = this.playerData(ops, limits, options);
      if (out.replayed) this.counters.playerDataReplayed++;
      return out.results;
    });
  }
}
