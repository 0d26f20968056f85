/**
 * PostgreSQL plumbing under `PostgresStore` (postgres-store.ts): pg failures mapped to coded
 * errors, transactions on one pooled client, and schema migration under an advisory lock so
 * instances starting together apply each migration once.
 */
import type pg from 'pg';
import { isWorldtickError, storeMigrationFailed, storeSchemaGone, storeUnavailable } from '../errors.js';
import {
  MIGRATIONS_TABLE_DDL,
  migrationReport,
  pendingMigrations,
  requireCurrentSchema,
  schemaTooNewMessage,
  type MigrationReport,
} from './migrations.js';

/** Key of the advisory lock that serializes migrations across instances. */
const MIGRATION_LOCK_KEY = 770_700_1;

const NODE_CONN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** SQLSTATE of a session the server ended for sitting idle in a transaction (`idle_in_transaction_session_timeout`). */
const IDLE_IN_TRANSACTION_TIMEOUT = '25P03';

const isIdleTimeout = (err: unknown): err is Error => Reflect.get(Object(err), 'code') === IDLE_IN_TRANSACTION_TIMEOUT;

/**
 * SQLSTATEs of a store whose database or tables are gone from under it (dropped, reset or restored over while
 * the instance runs): undefined table, column, function, schema; a database that does not exist (a start
 * meets that one in the store lock first: src/server/pg-store-lock.ts). Until stop 69 they were returned
 * uncoded — outside the store's contract, and no `worldtick_store_unavailable` said so.
 */
const SCHEMA_GONE = new Set(['42P01', '42703', '42883', '3F000', '3D000']);

/**
 * Map a pg failure to a coded error (WT_ERR_STORE_UNAVAILABLE with its reason: connection, full,
 * readonly, busy, timeout, idle, schema); coded errors, non-errors and programming errors (syntax, constraint) are
 * returned as they are, for the caller to rethrow.
 */
export const mapPgError = (err: unknown): unknown => {
  if (isWorldtickError(err) || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const msg = err.message;
  if (typeof code === 'string') {
    if (NODE_CONN_CODES.has(code)) return storeUnavailable('connection', msg, err);
    if (code === '53100') return storeUnavailable('full', msg, err);
    if (code === '25006') return storeUnavailable('readonly', msg, err);
    // The server ended the session: its transaction sat idle past idle_in_transaction_session_timeout
    // (this process was paused mid-write); it was rolled back, nothing of it committed.
    if (code === IDLE_IN_TRANSACTION_TIMEOUT) return storeUnavailable('idle', msg, err);
    // statement_timeout / lock_timeout on the server side: a query waited, most often on a lock.
    if (code === '57014') return storeUnavailable('timeout', msg, err);
    if (code.startsWith('08') || code.startsWith('57') || code.startsWith('53') || code.startsWith('58')) {
      return storeUnavailable('connection', msg, err);
    }
    if (code === '40001' || code === '40P01' || code === '55P03') return storeUnavailable('busy', msg, err);
    if (SCHEMA_GONE.has(code)) return storeSchemaGone(msg, err);
    return err;
  }
  // pg's client-side `query_timeout` (5 s): the server took too long — a lock another session holds,
  // an overloaded server — not a lost connection (which names itself below).
  if (/^Query read timeout/.test(msg)) return storeUnavailable('timeout', msg, err);
  if (/connect|connection|terminat|timeout|timed out|ECONN/i.test(msg)) return storeUnavailable('connection', msg, err);
  return err;
};

/**
 * pg's `Client` with an `error` listener of its own for its whole life, for the store's pool
 * (`Client` in the pool's options). pg-pool removes its idle listener when it hands a client out,
 * synchronously inside the connection's parse loop, and {@link checkedOut} adds its own only after
 * `await pool.connect()`: when the server's last messages arrive in one chunk — a new connection's
 * ReadyForQuery, then a FATAL `57P01` from a PostgreSQL shutting down — the error was emitted with no
 * listener between the two and crashed the process (an uncaught exception in fresh-clone CI,
 * player-data-routes, PostgreSQL stopped under a running server). The failure itself still reaches
 * the caller: the query fails, {@link checkedOut} marks the client broken, the pool drops it.
 */
export const guardedClient = (Client: typeof pg.Client): typeof pg.Client =>
  class GuardedClient extends Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', () => undefined);
    }
  };

/** What {@link checkedOut} knows of its client: the connection error that broke it, if one did. */
interface Checkout {
  broken?: Error;
}

/**
 * `fn` on one client checked out of `pool` for it alone, released after; released broken (the pool
 * discards it) when its connection failed meanwhile, or when `fn` set `broken`.
 *
 * While checked out, a pg client has no listener for its `error` event (the pool listens only to
 * idle clients), and pg emits one when the connection dies — the server stopped or crashed, the
 * backend was terminated, the network cut — even after failing the query in flight. Unhandled, it
 * would take the whole process down; here it marks the client broken (the query in flight fails
 * with the connection error, mapped to WT_ERR_STORE_UNAVAILABLE by the caller).
 *
 * Checked out with `pool.connect()`, never through `pool.query()`: pg's `Client#_connect` keeps its
 * callback for the connection's whole life (a closure of the same scope stays on the socket's
 * events), and pg-pool 3.14 hands a new connection's callback the closure that settles the first
 * `pool.query` asked of it, so that query's promise, its result and every row stayed in memory as
 * long as the connection (test/integration/leaks/pg-read-results.test.ts; found holding a deleted
 * world's record). What `connect()` leaves there is the client itself.
 */
const checkedOut = async <T>(pool: pg.Pool, fn: (c: pg.PoolClient, out: Checkout) => Promise<T>): Promise<T> => {
  const c = await pool.connect();
  const out: Checkout = {};
  const onError = (err: Error): void => {
    out.broken ??= err;
  };
  c.on('error', onError);
  try {
    return await fn(c, out);
  } finally {
    c.removeListener('error', onError);
    c.release(out.broken);
  }
};

/**
 * `fn` (reads, no transaction) on one pooled client; a client whose read failed is discarded, as
 * `pool.query` does (a read the client-side timeout gave up on may still be running on it).
 */
export const onPooledClient = <T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> =>
  checkedOut(pool, async (c, out) => {
    try {
      return await fn(c);
    } catch (err) {
      out.broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  });

/**
 * BEGIN ... COMMIT on one pooled client ({@link checkedOut}); a client that failed mid-transaction is
 * discarded. `begin`: the statement that opens the transaction (postgres-pool.ts `beginWithLockTimeout`).
 */
export const inTransaction = <T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> =>
  checkedOut(pool, async (c, out) => {
    try {
      await c.query(begin);
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      if (!out.broken) {
        try {
          await c.query('ROLLBACK');
        } catch (rollbackErr) {
          out.broken = rollbackErr as Error;
        }
      }
      // A session the server ended while this process was paused mid-transaction: pg reports it as an
      // 'error' event when it arrives between statements, and the next statement fails only with "not
      // queryable". The server's reason is the one to report.
      throw isIdleTimeout(out.broken) && !isIdleTimeout(err) ? out.broken : err;
    }
  });

/**
 * Apply the pending migrations (src/store/migrations.ts) on `c`, inside the caller's transaction:
 * takes the migration advisory lock (transaction-scoped), so instances starting together apply each
 * once. Throws as {@link migratePostgres} does. `npm run store-copy` runs it in its copy's transaction,
 * so a copy that fails or is killed leaves not even the schema behind.
 */
export const migratePostgresIn = async (c: pg.PoolClient | pg.Client, attach = false): Promise<MigrationReport> => {
  await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await c.query(MIGRATIONS_TABLE_DDL);
  const current = Number((await c.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0].v);
  const { pending, tooNew } = pendingMigrations(current, attach);
  if (tooNew) throw storeMigrationFailed(schemaTooNewMessage(current));
  for (const m of pending) {
    try {
      for (const sql of m.postgres) await c.query(sql);
    } catch (err) {
      const mapped = mapPgError(err);
      if (mapped !== err) throw mapped;
      throw storeMigrationFailed(`version ${m.version} (${m.name}): ${(err as Error).message}`, err);
    }
    await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
  }
  return migrationReport(current, pending);
};

/** Refuse a database without this build's schema, reading only (`PostgresStoreOptions.readOnlySchema`). */
export const requireCurrentPostgresSchema = async (c: pg.PoolClient): Promise<void> => {
  const table = (await c.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS t")).rows[0].t === true;
  const version = table ? Number((await c.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0].v) : null;
  const db = (await c.query('SELECT current_database() AS d')).rows[0].d as string;
  requireCurrentSchema(version, `PostgreSQL database ${db}`);
};

/**
 * Apply the pending migrations (src/store/migrations.ts) in one transaction holding the migration
 * advisory lock. Throws WT_ERR_STORE_MIGRATION_FAILED when the database is newer than this build
 * or a migration fails, WT_ERR_STORE_UNAVAILABLE when the server is unreachable; raw pg errors
 * from outside a migration's statements are thrown unmapped (the caller maps them). `attach`: a
 * newer database is accepted (a second connection of a running process: `pendingMigrations`).
 */
export const migratePostgres = (pool: pg.Pool, attach = false): Promise<MigrationReport> =>
  inTransaction(pool, (c) => migratePostgresIn(c, attach));
