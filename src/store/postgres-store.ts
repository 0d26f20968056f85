/**
 * Shared store: PostgreSQL through `pg` (node-postgres), for several instances (cluster mode).
 *
 * Durability: PostgreSQL's defaults (`fsync=on`, `synchronous_commit=on`): COMMIT returns after
 * the WAL record is flushed. Fencing uses a row per world in `fences`, upserted with
 * `GREATEST(...)` inside the writing transaction: the row lock serializes writers of one world,
 * and a stale token rolls the whole transaction back. Migrations take a transaction-scoped
 * advisory lock, so instances starting together apply them once.
 * `pg` is required at `open`, so a server on SQLite never loads it (`require`, not `import()`: in the
 * checkpoint writer thread under tsx on Node 20 only CommonJS hooks apply).
 */
import type pg from 'pg';
import { loadPg } from './load-pg.js';
import { isWorldtickError, storeClosed, storeFenced } from '../errors.js';
import type { MigrationReport } from './migrations.js';
import { beginFenced, endFencedOutWriters, type EndedWriter } from './postgres-fenced-writers.js';
import { PoolGate, type PoolUsage } from './postgres-pool-gate.js';
import { retryConnectTimeouts } from './postgres-connect-retry.js';
import { beginWithLockTimeout, POSTGRES_DEFAULTS, postgresSettings, type PostgresStoreOptions } from './postgres-pool.js';
import { guardedClient, inTransaction, mapPgError, migratePostgres, onPooledClient, requireCurrentPostgresSchema } from './postgres-tx.js';
import { checkpointTexts, insertCheckpoint, selectCheckpoint } from './postgres-checkpoints.js';
import { PgRecordBatch, type PgRecordWrite } from './postgres-record-batch.js';
import { deleteWorldConfigAfterWrites, putWorldConfigRow } from './postgres-world-config.js';
import { DEFAULT_RECORD_BATCH_MS } from './sqlite-record-batch.js';
import {
  checkExpectedIn,
  findLedgerIn,
  insertLedgerBatch,
  ledgerBalanceIn,
  playerLedgerIn,
  pruneRefusals,
  readLedgerIn,
  refusalTimes,
  SNAPSHOT_BEGIN,
} from './postgres-ledger.js';
import { postgresPlayerData } from './postgres-player-data.js';
import { anonymousPruneRefusal, pgAnonymousPrune } from './anonymous-players.js';
import { pruneRefusal } from './bounded-prune.js';
import { insertSession, PUT_PLAYER, pruneExpiredSessions, selectPlayer, selectSession, writeSessionOps } from './postgres-sessions.js';
import { DEFAULT_CHECKPOINTS_KEPT, checkToken, toJsonText, toPlayer, toWorldConfig, toOperatorState } from './rows.js';
import {
  emptyStoreStats,
  noteStoreOutcome,
  type Balance,
  type Checkpoint,
  type CheckpointInput,
  type Fence,
  type FenceOptions,
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
  type PlayerDataApplyOptions,
  type PlayerDataLimits,
  type PlayerDataOp,
  type PlayerDataOpResult,
} from './types.js';

export type { PostgresStoreOptions } from './postgres-pool.js';

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

/** PostgreSQL implementation of {@link Store}. Create with {@link PostgresStore.open}. */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  /** Admission to the pool's connections: a bounded wait for one when all are in use (postgres-pool-gate.ts). */
  private readonly gate: PoolGate;
  /** Server-side `lock_timeout` (ms) of a fenced write's transaction (0: none). */
  private readonly fenceLockTimeoutMs: number;
  private readonly counters: StoreStats = emptyStoreStats();
  readonly #balanceDamaged = (): void => void this.counters.ledgerBalancesDamaged++; // rows.ts `intactBalance`
  private closed = false;
  /** World records waiting for their group commit, and the commits in flight (close waits for them). */
  private readonly records: PgRecordBatch;
  private readonly recordBatchMs: number;
  /** What opening did to the schema (see {@link Store.migration}); set by {@link PostgresStore.open}. */
  migration: MigrationReport = { from: 0, to: 0, applied: [] };

  private constructor(pool: pg.Pool, fenceLockTimeoutMs: number, poolSize: number, poolWaitMs: number, recordBatchMs: number) {
    this.pool = pool;
    this.recordBatchMs = recordBatchMs;
    this.records = new PgRecordBatch(recordBatchMs, {
      transaction: (fenced, fn) => this.run(true, fn, fenced ? beginWithLockTimeout(this.fenceLockTimeoutMs) : 'BEGIN'),
      single: (w) => this.putRecord(w),
      fenced: () => void this.counters.fencedRefusals++,
    });
    this.gate = new PoolGate(poolSize, poolWaitMs, () => void this.counters.poolWaitTimeouts++);
    this.fenceLockTimeoutMs = fenceLockTimeoutMs;
    // An idle client losing its server emits 'error' on the pool; unhandled it would crash the
    // process. The next query reports the failure as WT_ERR_STORE_UNAVAILABLE instead.
    this.pool.on('error', () => {
      this.counters.unavailableErrors++;
    });
  }

  /** Connect and migrate. Throws WT_ERR_STORE_UNAVAILABLE when the server cannot be reached. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const settings = postgresSettings(options);
    const { Pool, Client } = loadPg();
    const pool = new Pool({ ...settings.pool, Client: guardedClient(Client) });
    const store = new PostgresStore(
      pool,
      settings.fenceLockTimeoutMs,
      settings.pool.max ?? POSTGRES_DEFAULTS.maxConnections,
      settings.poolWaitMs,
      options.recordBatchMs ?? DEFAULT_RECORD_BATCH_MS,
    );
    try {
      store.migration = await retryConnectTimeouts(async () => {
        if (options.readOnlySchema === true) await store.gate.run(() => onPooledClient(pool, requireCurrentPostgresSchema));
        return store.gate.run(() => migratePostgres(pool, options.attach === true));
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw mapPgError(err);
    }
    return store;
  }

  /**
   * Run `fn` as a coded, counted operation; `write` ones (counted in `transactions`) in a transaction
   * opened by `begin` (default `BEGIN`), reads in one when given a `begin` (a snapshot, not counted).
   */
  private async run<T>(write: boolean, fn: (c: Client) => Promise<T>, begin?: string): Promise<T> {
    if (this.closed) throw storeClosed();
    this.records.flush(); // the world records waiting go first: no later operation overtakes one
    try {
      // Every operation holds one pooled client at a time (its transaction's, or its reads' one after
      // another): the gate admits as many as the pool has connections, so the pool itself never queues.
      const tx = write || begin !== undefined;
      const out = await this.gate.run(() => (tx ? inTransaction(this.pool, fn, begin) : onPooledClient(this.pool, fn)));
      if (write) this.counters.transactions++;
      noteStoreOutcome(this.counters);
      return out;
    } catch (err) {
      const mapped = mapPgError(err);
      noteStoreOutcome(this.counters, mapped);
      if (isWorldtickError(mapped, 'WT_ERR_STORE_UNAVAILABLE')) this.counters.unavailableErrors++;
      if (isWorldtickError(mapped, 'WT_ERR_STORE_FENCED')) this.counters.fencedRefusals++;
      if (isWorldtickError(mapped, 'WT_ERR_STORE_UNAVAILABLE') && Reflect.get(Object(mapped.details), 'reason') === 'idle')
        this.counters.idleTransactionsEnded++;
      throw mapped;
    }
  }

  private async applyFence(c: Client, fence: Fence): Promise<number> {
    checkToken(fence.token);
    const r = await c.query(
      `INSERT INTO fences (world_id, token) VALUES ($1, $2)
       ON CONFLICT (world_id) DO UPDATE SET token = GREATEST(fences.token, EXCLUDED.token) RETURNING token`,
      [fence.worldId, fence.token],
    );
    const now = Number(r.rows[0].token);
    if (now > fence.token) throw storeFenced(fence.worldId, fence.token, now);
    return now;
  }

  async schemaVersion(): Promise<number> {
    return this.run(false, async (c) => Number((await c.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0].v));
  }

  /** Use of this store's pooled connections now (postgres-pool-gate.ts). */
  poolUsage(): PoolUsage {
    return this.gate.usage();
  }

  stats(): StoreStats {
    return { ...this.counters, unavailable: this.counters.unavailable && { ...this.counters.unavailable } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.records.flush(); // records asked for before close are written
    this.closed = true;
    await this.records.settled();
    this.gate.close(); // operations still waiting for a connection fail WT_ERR_STORE_CLOSED
    await this.pool.end();
  }

  fence(fence: Fence, options?: FenceOptions): Promise<number> {
    const wait = options?.lockWaitMs;
    // Bounded on the server (SQLSTATE 55P03 → reason busy): the transaction rolls back at once and
    // the connection stays usable, unlike the client-side query timeout (src/store/postgres-tx.ts).
    const begin = beginFenced(wait !== undefined && Number.isFinite(wait) ? Math.max(1, wait) : this.fenceLockTimeoutMs, fence);
    return this.run(true, (c) => this.applyFence(c, fence), begin);
  }

  /**
   * End the sessions of writers of `worldId` fenced out by `token` (inside a fenced transaction under
   * a lower token) that may hold its fence row: a process paused mid-statement, which no server
   * timeout ends (src/store/postgres-fenced-writers.ts). Returns the ones ended.
   */
  endFencedOutWriters(worldId: string, token: number): Promise<EndedWriter[]> {
    checkToken(token);
    return this.run(false, (c) => endFencedOutWriters(c, worldId, token));
  }

  /**
   * A write transaction, fenced when `fence` is given: its lock waits end on the server
   * (`fenceLockTimeoutMs`) and it is marked with the world and token (`application_name`).
   */
  private write<T>(fence: Fence | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
    return this.run(true, fn, fence ? beginFenced(this.fenceLockTimeoutMs, fence) : 'BEGIN');
  }

  currentFence(worldId: string): Promise<number> {
    return this.run(false, async (c) => {
      const r = await c.query('SELECT token FROM fences WHERE world_id = $1', [worldId]);
      return r.rows.length ? Number(r.rows[0].token) : 0;
    });
  }

  commitLedger(entries: readonly LedgerEntryInput[], fence?: Fence, expect?: LedgerExpectation): Promise<LedgerCommitResult[]> {
    return this.write(fence, async (c) => {
      if (fence) await this.applyFence(c, fence);
      if (expect?.size) await checkExpectedIn(c, expect, this.#balanceDamaged);
      const { results: out, inserted } = await insertLedgerBatch(c, entries);
      this.counters.ledgerBatches++;
      this.counters.ledgerEntries += inserted;
      return out;
    });
  }

  findLedgerEntries(refs: ReadonlyArray<{ playerId: string; key: string }>): Promise<LedgerEntry[]> {
    return this.run(false, (c) => findLedgerIn(c, refs));
  }

  readLedger(query: LedgerQuery): Promise<LedgerEntry[]> {
    return this.run(false, (c) => readLedgerIn(c, query));
  }

  ledgerBalance(playerId: string): Promise<Balance> {
    return this.run(false, (c) => ledgerBalanceIn(c, playerId, this.#balanceDamaged));
  }

  readPlayerLedger(playerId: string, query?: Omit<LedgerQuery, 'playerId' | 'worldId'>): Promise<PlayerLedger> {
    return this.run(false, (c) => playerLedgerIn(c, playerId, query ?? {}, this.#balanceDamaged), SNAPSHOT_BEGIN);
  }

  pruneLedgerRefusals(beforeMs: number, limit: number): Promise<number> {
    return this.run(true, (c) => pruneRefusals(c, beforeMs, limit));
  }

  ledgerRefusalTimes(worldId: string, playerId: string, sinceMs: number, limit: number): Promise<number[]> {
    return this.run(false, (c) => refusalTimes(c, worldId, playerId, sinceMs, limit));
  }

  saveCheckpoint(cp: CheckpointInput, options?: { fence?: Fence; keep?: number }): Promise<Checkpoint> {
    const keep = Math.max(1, options?.keep ?? DEFAULT_CHECKPOINTS_KEPT);
    return this.write(options?.fence, async (c) => {
      const text = checkpointTexts(cp);
      if (options?.fence) await this.applyFence(c, options.fence);
      const saved = await insertCheckpoint(c, cp, text, keep);
      this.counters.checkpointsSaved++;
      return saved;
    });
  }

  loadCheckpoint(worldId: string, options?: { before?: number }): Promise<Checkpoint | undefined> {
    return this.run(false, (c) => selectCheckpoint(c, worldId, options?.before));
  }

  putPlayer(record: { id: string; name: string; data?: Record<string, unknown> }): Promise<PlayerRecord> {
    return this.run(true, async (c) => {
      const data = toJsonText(record.data ?? {}, 'player data');
      const now = Date.now();
      const r = await c.query(`${PUT_PLAYER} RETURNING *`, [record.id, record.name, data, now]);
      return toPlayer(r.rows[0] as Row);
    });
  }

  async writeSessions(ops: readonly SessionWrite[]): Promise<void> {
    // An empty list: no transaction (run's closed check only).
    await this.run(ops.length > 0, (c) => writeSessionOps(c, ops));
  }

  getPlayer(id: string): Promise<PlayerRecord | undefined> {
    return this.run(false, (c) => selectPlayer(c, id));
  }

  putSession(s: SessionRecord): Promise<void> {
    return this.run(true, (c) => insertSession(c, s));
  }

  getSession(token: string, nowMs: number): Promise<SessionRecord | undefined> {
    return this.run(false, (c) => selectSession(c, token, nowMs));
  }

  deleteSession(token: string): Promise<boolean> {
    return this.run(true, async (c) => ((await c.query('DELETE FROM sessions WHERE token = $1', [token])).rowCount ?? 0) > 0);
  }

  pruneSessions(nowMs: number, limit: number): Promise<number> {
    const refused = pruneRefusal('pruneSessions', 'nowMs', nowMs, limit);
    return refused ? Promise.reject(refused) : this.run(true, (c) => pruneExpiredSessions(c, nowMs, limit));
  }

  deleteWorldSessions(worldId: string): Promise<number> {
    return this.run(true, async (c) => (await c.query('DELETE FROM sessions WHERE world_id = $1', [worldId])).rowCount ?? 0);
  }

  pruneAnonymousPlayers(beforeMs: number, limit: number): Promise<number> {
    const refused = anonymousPruneRefusal(beforeMs, limit);
    return refused ? Promise.reject(refused) : this.run(true, (c) => pgAnonymousPrune(c, beforeMs, limit));
  }

  /** Group-committed with the records asked for within `recordBatchMs` (postgres-record-batch.ts); serialized now, answered alone. */
  putWorldConfig(worldId: string, config: unknown, options?: { fence?: Fence }): Promise<WorldConfigRecord> {
    if (this.closed) return Promise.reject(storeClosed());
    let w: PgRecordWrite;
    try {
      if (options?.fence) checkToken(options.fence.token);
      w = { worldId, text: toJsonText(config, 'world config'), ...(options?.fence ? { fence: options.fence } : {}) };
    } catch (err) {
      noteStoreOutcome(this.counters, err);
      return Promise.reject(err);
    }
    return this.recordBatchMs > 0 ? this.records.add(w) : this.putRecord(w);
  }

  /** One world record in a transaction of its own. */
  private putRecord(w: PgRecordWrite): Promise<WorldConfigRecord> {
    return this.write(w.fence, async (c) => {
      if (w.fence) await this.applyFence(c, w.fence);
      return putWorldConfigRow(c, w);
    });
  }

  getWorldConfig(worldId: string): Promise<WorldConfigRecord | undefined> {
    return this.run(false, async (c) => {
      const r = await c.query('SELECT * FROM world_configs WHERE world_id = $1', [worldId]);
      return r.rows.length ? toWorldConfig(r.rows[0] as Row) : undefined;
    });
  }

  hasWorldConfig(worldId: string): Promise<boolean> {
    return this.run(false, async (c) => (await c.query('SELECT 1 FROM world_configs WHERE world_id = $1', [worldId])).rows.length > 0);
  }

  listWorldConfigs(): Promise<WorldConfigRecord[]> {
    return this.run(false, async (c) =>
      ((await c.query('SELECT * FROM world_configs ORDER BY world_id COLLATE "C"')).rows as Row[]).map(toWorldConfig),
    );
  }

  deleteWorldConfig(worldId: string, options?: { incarnation?: string; fence?: Fence }): Promise<boolean> {
    if (options?.fence) checkToken(options.fence.token);
    // run() sends waiting records first, but on another pooled connection: the delete could land before them
    // and the record come back (postgres-record-batch.test.ts). Wait for every commit sent so far to answer.
    this.records.flush();
    return this.records
      .settled()
      .then(() =>
        this.run(true, (c) => deleteWorldConfigAfterWrites(c, worldId, options?.incarnation ?? null, options?.fence?.token ?? null)),
      );
  }

  putOperatorState(scope: string, state: unknown, options?: { fence?: Fence }): Promise<void> {
    return this.write(options?.fence, async (c) => {
      const text = toJsonText(state, 'operator state');
      if (options?.fence) await this.applyFence(c, options.fence);
      await c.query(
        `INSERT INTO operator_state (scope, state, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (scope) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
        [scope, text, Date.now()],
      );
    });
  }

  getOperatorState(scope: string): Promise<OperatorStateRecord | undefined> {
    return this.run(false, async (c) => {
      const r = await c.query('SELECT * FROM operator_state WHERE scope = $1', [scope]);
      return r.rows.length ? toOperatorState(r.rows[0] as Row) : undefined;
    });
  }

  deleteOperatorState(scope: string): Promise<boolean> {
    return this.run(true, async (c) => ((await c.query('DELETE FROM operator_state WHERE scope = $1', [scope])).rowCount ?? 0) > 0);
  }

  async applyPlayerData(
    ops: readonly PlayerDataOp[],
    limits: PlayerDataLimits,
    options?: PlayerDataApplyOptions,
  ): Promise<PlayerDataOpResult[]> {
    const out = await this.run(true, (c) => postgresPlayerData(c, ops, limits, options));
    if (out.replayed) this.counters.playerDataReplayed++;
    return out.results;
  }
}
