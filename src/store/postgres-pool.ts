/**
 * How the PostgreSQL store (postgres-store.ts) connects: its options, their defaults, the `pg` pool
 * configuration built from them, and the statement that opens a fenced write's transaction.
 *
 * Two server-side bounds keep a writer paused in the middle of a write (SIGSTOP, a long GC pause, a
 * frozen VM) from holding a world's fence row — and with it the world — for as long as the pause
 * lasts (docs/CLUSTER.md "A writer paused mid-write"):
 * - `idle_in_transaction_session_timeout` on every connection of the store: the server ends a
 *   session that sits inside a transaction without sending its next statement for longer than
 *   that; its transaction is rolled back, its locks go. The store's transactions send only SQL
 *   between BEGIN and COMMIT (no game or step work is awaited in one), so a legitimate gap is the
 *   event loop's delay in sending the next statement (a long step, a GC pause). The server's timer
 *   runs from its ReadyForQuery to the first message of the next statement (Parse), so uploading a
 *   large statement's parameters (a checkpoint) is not idle time — and a process paused in the
 *   middle of such an upload is not ended by it (the next owner ends that session:
 *   postgres-fenced-writers.ts).
 * - `lock_timeout` of a fenced write's transaction (set by the BEGIN statement, no extra round
 *   trip): a write queued behind the row gives up on the server before the client's query timeout,
 *   so it fails `busy` with its connection kept, instead of being dropped by the client while its
 *   server session stays queued for the lock.
 */
import type pg from 'pg';
import { optionInvalid } from '../errors.js';

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /**
   * `postgres://user@host:port/db`. Query parameters are libpq-style settings of every connection
   * and win over the options below (`?idle_in_transaction_session_timeout=3000`, `?application_name=…`).
   */
  url: string;
  /**
   * Pool size: connections of this store at most (an integer 1..1000, default 4). Operations beyond it
   * wait for one to come free, at most `poolWaitMs`.
   */
  maxConnections?: number;
  /**
   * Give up connecting a new connection after this long (ms, default 1000): a down server fails fast and
   * retryably (reason `connection`). It does not bound a wait for a busy pool (`poolWaitMs` does).
   */
  connectTimeoutMs?: number;
  /**
   * An operation finding every pooled connection in use waits at most this long (ms, > 0) for one to
   * come free, then fails WT_ERR_STORE_UNAVAILABLE with reason `pool-busy` (postgres-pool-gate.ts).
   * Default: the query timeout. An instance in cluster mode sets it from its lease TTL
   * ({@link poolWaitForLease}).
   */
  poolWaitMs?: number;
  /** Client-side query timeout (ms, default 5000). */
  queryTimeoutMs?: number;
  /**
   * The server ends a session of this store that sits idle inside a transaction longer than this
   * (ms; PostgreSQL `idle_in_transaction_session_timeout`): the transaction is rolled back and its
   * locks released — a process paused mid-write frees the world's fence row. Default: the query
   * timeout (a statement slower than that to send and run fails client-side already). 0: the
   * server's own setting (PostgreSQL's default: no bound).
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * A fenced write waits at most this long (ms) for a lock on the server (PostgreSQL `lock_timeout`
   * of its transaction, most often the world's fence row held by another writer), then fails
   * WT_ERR_STORE_UNAVAILABLE (`busy`), nothing written, its connection kept. Default: four fifths of
   * the query timeout. 0: no bound of its own (the client's query timeout).
   */
  fenceLockTimeoutMs?: number;
  /**
   * World records asked for within this many wall ms share one transaction and one statement
   * (src/store/postgres-record-batch.ts; default 20, as on SQLite). 0: each record in a transaction of its own.
   */
  recordBatchMs?: number;
  /** A second connection of a process that opened this database already: a newer schema is accepted (`pendingMigrations`). */
  attach?: boolean;
  /**
   * A read-only tool (`npm run verify`): the database must hold this build's schema already; nothing
   * is created or migrated, and any other database is refused (src/store/migrations.ts `requireCurrentSchema`).
   */
  readOnlySchema?: boolean;
}

/** Defaults of {@link PostgresStoreOptions} (ms). */
export const POSTGRES_DEFAULTS = { maxConnections: 4, connectTimeoutMs: 1000, queryTimeoutMs: 5000 } as const;

/** Largest {@link PostgresStoreOptions.maxConnections} accepted (PostgreSQL's own default `max_connections` is 100). */
export const MAX_POOL_SIZE = 1000;

/** Settings derived from {@link PostgresStoreOptions}, defaults applied. */
export interface PostgresSettings {
  pool: pg.PoolConfig;
  /** Server `lock_timeout` (ms) of a fenced write's transaction; 0 = none. */
  fenceLockTimeoutMs: number;
  /** Longest wait (ms) for a free pooled connection. */
  poolWaitMs: number;
}

const nonNegative = (name: string, v: number | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw optionInvalid([`${name} must be a number >= 0 (ms)`]);
  return Math.ceil(v);
};

/** Validate the options (WT_ERR_OPTION_INVALID naming the field) and build the pool configuration. */
export const postgresSettings = (o: PostgresStoreOptions): PostgresSettings => {
  const queryTimeoutMs = o.queryTimeoutMs ?? POSTGRES_DEFAULTS.queryTimeoutMs;
  const idle = nonNegative('idleInTransactionTimeoutMs', o.idleInTransactionTimeoutMs, queryTimeoutMs);
  const max = o.maxConnections ?? POSTGRES_DEFAULTS.maxConnections;
  if (!Number.isInteger(max) || max < 1 || max > MAX_POOL_SIZE)
    throw optionInvalid([`maxConnections must be an integer from 1 to ${MAX_POOL_SIZE} (got ${String(max)})`]);
  const poolWaitMs = o.poolWaitMs ?? queryTimeoutMs;
  if (typeof poolWaitMs !== 'number' || !Number.isFinite(poolWaitMs) || poolWaitMs <= 0)
    throw optionInvalid([`poolWaitMs must be a number > 0 (ms) (got ${String(poolWaitMs)})`]);
  return {
    pool: {
      connectionString: o.url,
      max,
      connectionTimeoutMillis: o.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      idleTimeoutMillis: 10_000,
      // A startup parameter of every connection (0 leaves the server's setting).
      ...(idle > 0 ? { idle_in_transaction_session_timeout: idle } : {}),
    },
    fenceLockTimeoutMs: nonNegative('fenceLockTimeoutMs', o.fenceLockTimeoutMs, Math.floor((queryTimeoutMs * 4) / 5)),
    poolWaitMs: Math.ceil(poolWaitMs),
  };
};

/**
 * The statement opening a transaction whose lock waits end on the server after `lockTimeoutMs`
 * (`lock_timeout`, local to the transaction; one round trip, as a plain BEGIN). Plain BEGIN for 0.
 */
export const beginWithLockTimeout = (lockTimeoutMs: number): string =>
  lockTimeoutMs > 0 && Number.isFinite(lockTimeoutMs)
    ? `BEGIN; SET LOCAL lock_timeout = '${Math.max(1, Math.ceil(lockTimeoutMs))}ms'`
    : 'BEGIN';

/**
 * `idleInTransactionTimeoutMs` of an instance in cluster mode, for its lease TTL (ms): the TTL,
 * between 1 s and the default query timeout — a paused writer's transaction ends about when its
 * lease lapses, so the instance granted the world next finds the fence row free.
 */
export const idleInTransactionTimeoutForLease = (leaseTtlMs: number): number =>
  Math.min(POSTGRES_DEFAULTS.queryTimeoutMs, Math.max(1000, Math.round(leaseTtlMs)));

/**
 * `poolWaitMs` of an instance in cluster mode, for its lease TTL (ms): a third of the TTL, between 1 s
 * and the default query timeout. The control tick awaits store operations (a new owner's fencing-token
 * announce, the orphan scan) and renews no lease while it waits: a third of the TTL leaves the
 * renewals room (2 s at the default TTL of 6 s; 1 s below a TTL of 3 s, as the connect timeout bounded
 * it before it had a bound of its own).
 */
export const poolWaitForLease = (leaseTtlMs: number): number =>
  Math.min(POSTGRES_DEFAULTS.queryTimeoutMs, Math.max(1000, Math.round(leaseTtlMs / 3)));
