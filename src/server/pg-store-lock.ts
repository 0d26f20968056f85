/**
 * One single-instance server per PostgreSQL database (docs/DURABILITY.md "One server per data
 * directory"). Without `--redis` the cluster service runs on an in-process coordinator and nothing
 * fences a world to one writer, so before this lock a second such server started on a running one's
 * database restored and stepped every stored world as well and both wrote its records and checkpoints.
 *
 * The lock is a session-level advisory lock, `pg_try_advisory_lock(STORE_LOCK_KEY)`, taken on a
 * connection of its own (not the store's pool, whose clients are reused and dropped when idle) before
 * the store opens, and held until the store is closed. Advisory locks are per database. PostgreSQL
 * drops it when the session ends — a SIGKILLed server's lock goes with its connection. A second
 * server is refused `WT_ERR_STORE_IN_USE` (exit 2) before anything is opened or written (after a
 * few tries over ~1 s: a server killed a moment ago may still have its session). Cluster mode
 * (`--redis`) takes no lock: its instances share one database by design (leases and fencing tokens).
 * The offline tools (`npm run verify`, backup) open the store, not the lock.
 *
 * The connection lost while the server runs (PostgreSQL restarted, the session ended by an operator)
 * loses the lock with it: the server logs it at error and tries to take it again every
 * {@link RETRY_MS} until it has it or stops. If another server holds it by then, that is logged at
 * error (once, until the lock is had again): two servers may be writing the same worlds, stop one.
 * The running server is not stopped for it.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { ErrorCode, storeUnavailable, WorldtickError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * The advisory lock's 64-bit key (a decimal string, as PostgreSQL's bigint): the first 8 bytes of
 * SHA-256("worldtick single-instance server"), signed. Fixed: every build takes the same lock.
 */
export const STORE_LOCK_KEY = createHash('sha256').update('worldtick single-instance server').digest().readBigInt64BE(0).toString();

/** `application_name` of the lock's connection (find the holders in `pg_stat_activity`). */
export const STORE_LOCK_APPLICATION = 'worldtick-instance-lock';

/** Pause between attempts to take the lock again after its connection was lost (ms). */
const RETRY_MS = 1000;
/** Tries at start (200 ms apart) before another holder refuses the start. */
const START_TRIES = 5;
const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 5000;

/** A held PostgreSQL store lock. */
export interface StoreLock {
  /** End the lock's connection (the lock is released) and stop retaking it; idempotent. */
  release(): Promise<void>;
}

/** `host:port/database` of a PostgreSQL URL (never the user or password). */
export const postgresWhere = (url: string): string => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
};

const connectClient = async (url: string): Promise<pg.Client> => {
  const { Client } = createRequire(import.meta.url)('pg') as typeof pg;
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    application_name: STORE_LOCK_APPLICATION,
  });
  client.on('error', () => undefined); // a lost connection also ends it: handled on 'end'
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
};

/** Try the lock on `client`: true when granted (the client holds it until it ends). */
const tryLock = async (client: pg.Client): Promise<boolean> =>
  (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [STORE_LOCK_KEY])).rows[0]?.ok === true;

/**
 * Take the lock of the database at `url`. Throws `WT_ERR_STORE_IN_USE` when another session holds it,
 * `WT_ERR_STORE_UNAVAILABLE` (reason `connection`) when PostgreSQL cannot be reached.
 */
export const lockPostgresStore = async (url: string, logger: Logger): Promise<StoreLock> => {
  const where = postgresWhere(url);
  let client: pg.Client;
  try {
    client = await connectClient(url);
  } catch (err) {
    throw storeUnavailable('connection', `cannot connect for the single-instance lock (${(err as Error).message})`, err);
  }
  let granted = false;
  try {
    // A few tries, 200 ms apart: the session of a server killed a moment ago may not have ended yet.
    for (let i = 0; i < START_TRIES && !granted; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      granted = await tryLock(client);
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    throw storeUnavailable('connection', `cannot take the single-instance lock (${(err as Error).message})`, err);
  }
  if (!granted) {
    await client.end().catch(() => undefined);
    throw new WorldtickError(
      ErrorCode.STORE_IN_USE,
      `PostgreSQL database ${where} is in use by another worldtick server without --redis (it holds the single-instance lock): stop that server first, or run every server of this database with --redis as one cluster`,
      { details: { where, lockKey: STORE_LOCK_KEY } },
    );
  }

  let released = false;
  let current: pg.Client | null = client;
  let timer: NodeJS.Timeout | null = null;
  let refusedLogged = false;

  const retake = async (): Promise<void> => {
    timer = null;
    if (released) return;
    let c: pg.Client | null = null;
    try {
      c = await connectClient(url);
      if (released) return void (await c.end().catch(() => undefined));
      if (await tryLock(c)) {
        watch(c);
        current = c;
        refusedLogged = false;
        logger.info({ where }, 'single-instance lock of the PostgreSQL store taken again');
        return;
      }
      await c.end().catch(() => undefined);
      if (!refusedLogged)
        logger.error(
          { where, lockKey: STORE_LOCK_KEY },
          'single-instance lock of the PostgreSQL store: another server holds it now — two servers may be writing the same worlds; stop one of them (retrying)',
        );
      refusedLogged = true;
    } catch (err) {
      await c?.end().catch(() => undefined);
      logger.debug({ where, err: (err as Error).message }, 'single-instance lock of the PostgreSQL store: not taken again yet');
    }
    if (!released) schedule();
  };
  const schedule = (): void => {
    timer = setTimeout(() => void retake(), RETRY_MS);
    timer.unref();
  };
  const watch = (c: pg.Client): void => {
    c.once('end', () => {
      if (released || current !== c) return;
      current = null;
      logger.error({ where }, 'single-instance lock of the PostgreSQL store lost with its connection: taking it again');
      schedule();
    });
  };
  watch(client);

  return {
    release: async () => {
      if (released) return;
      released = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = current;
      current = null;
      await c?.end().catch(() => undefined);
    },
  };
};
