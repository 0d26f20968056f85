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
 * server is refused `WT_ERR_STORE_IN_USE` (exit 2) before anything is opened or written. A holder
 * proves it is alive: its lock session runs `SELECT 1` every {@link HEARTBEAT_MS}, and sets short TCP
 * keepalives and a TCP user timeout on the server side of it, so PostgreSQL ends the session of a holder that died without
 * closing it (killed during a network partition) within ≈ 11 s instead of the OS default of hours. A
 * starting server refuses at once when the holder's session was active within
 * {@link ALIVE_WITHIN_S}; otherwise (a holder killed a moment ago, its session not ended yet) it
 * waits up to {@link START_WAIT_MS} for the lock, logging a warn once.
 *
 * Cluster mode (`--redis`): its instances share one database by design (leases and fencing tokens),
 * so each takes the same key SHARED, `pg_try_advisory_lock_shared`, on a connection of its own with the
 * same heartbeat and keepalives. Cluster instances share it with each other; a single-instance server
 * is refused while any cluster instance runs on the database, and a cluster instance while a single
 * instance runs, each with a message naming which kind holds the lock and what to do (before, the
 * two kinds on one database were not told apart: both wrote the same worlds, unfenced on one side).
 * The offline tools (`npm run verify`, backup) open the store, not the lock; `npm run store-copy`
 * takes it exclusive, as a single instance does, on its target (src/cli/store-copy-to-postgres.ts)
 * and on its source (src/cli/store-copy-to-sqlite.ts: refused while a server of either kind runs).
 *
 * The connection lost while the server runs (PostgreSQL restarted, the session ended by an operator,
 * a network cut) loses the lock with it: the server logs it at warn (it passes by itself) and tries to
 * take it again every {@link RETRY_MS} until it has it or stops. A cut tells this side nothing (no RST
 * or FIN), so a heartbeat unanswered within {@link QUERY_TIMEOUT_MS} ends the connection here. While
 * the lock is still held by this server's own old session (given up here, not ended by PostgreSQL
 * yet: a cut shorter than its keepalives), that is retried quietly. If another server holds it, that
 * is logged at error (once, until the lock is had again): two servers may be writing the same worlds,
 * stop one.
 * The running server is not stopped for it. The same holds for a cluster instance's shared lock (a
 * single-instance server that took the lock meanwhile is logged at error).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { loadPg } from '../store/load-pg.js';
import { retryConnectTimeouts, START_CONNECT_ATTEMPTS } from '../store/postgres-connect-retry.js';
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
/** A holder's `SELECT 1` on its lock session, proving it alive to a starting server (ms). */
const HEARTBEAT_MS = 2000;
/** A holder whose lock session was active within this many seconds is alive: refused at once. */
const ALIVE_WITHIN_S = 6;
/** How long a starting server waits for the lock of a holder that seems gone (ms). */
const START_WAIT_MS = 20_000;
/**
 * Server-side TCP keepalives of the lock session (s): a dead peer noticed in ≈ idle + interval × count
 * = 11 s. Keepalives do not run while data PostgreSQL sent is unacknowledged — the answer to a heartbeat
 * lost in a network cut — and it would retransmit for ~15 min instead: `tcp_user_timeout` (PostgreSQL
 * 12+, ms) ends such a session after the same 11 s (and, with keepalives, ends an idle one as they do).
 */
const KEEPALIVE_SQL =
  'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3; ' +
  "SELECT set_config('tcp_user_timeout', '11000', false) WHERE current_setting('server_version_num')::int >= 120000";
const CONNECT_TIMEOUT_MS = 1000;
/**
 * Every query of a lock session fails after this long (ms). A heartbeat that fails so ends the lock's
 * connection here: during a network cut nothing else tells this side (no RST or FIN arrives; TCP
 * retransmits for ~15 min), and the server must know it lost the lock before PostgreSQL's keepalives
 * (≈ 11 s after the last packet it got) let another server take it: here within HEARTBEAT_MS + 5 s.
 */
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

/** A lock session: its client and its backend (`pid`, `backend_start`), to know it from another holder later. */
interface LockSession {
  client: pg.Client;
  pid: number;
  started: string;
}

const connectClient = async (url: string): Promise<LockSession> => {
  const { Client } = loadPg();
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
    await client.query(KEEPALIVE_SQL);
    const me = await client.query<{ pid: number; started: string }>(
      'SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    return { client, pid: me.rows[0]?.pid ?? 0, started: me.rows[0]?.started ?? '' };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
};

/**
 * Seconds since a session holding the lock in this database (a holder, either kind) was last active;
 * null when none is listed. Only the sessions holding this database's lock count: advisory locks are
 * per database, while `pg_stat_activity` lists the lock sessions of every database of the server.
 */
const holderIdleSeconds = async (client: pg.Client): Promise<number | null> => {
  const r = await client.query<{ idle: number | null }>(
    `SELECT min(extract(epoch FROM now() - a.state_change))::float8 AS idle
       FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() AND a.pid <> pg_backend_pid()
        AND ((l.classid::bigint << 32) | l.objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint)`,
    [STORE_LOCK_KEY],
  );
  const idle = r.rows[0]?.idle;
  return idle === null || idle === undefined ? null : Number(idle);
};

/** Options of {@link lockPostgresStore} (tests shorten the waits). */
export interface StoreLockOptions {
  /** Take the lock shared, as a cluster instance (`--redis`) does; default false (a single instance: exclusive). */
  shared?: boolean;
  aliveWithinS?: number;
  startWaitMs?: number;
}

/** Try the lock on `client`, exclusive or shared: true when granted (the client holds it until it ends). */
const tryLock = async (client: pg.Client, shared: boolean): Promise<boolean> =>
  (
    await client.query<{ ok: boolean }>(
      shared ? 'SELECT pg_try_advisory_lock_shared($1::bigint) AS ok' : 'SELECT pg_try_advisory_lock($1::bigint) AS ok',
      [STORE_LOCK_KEY],
    )
  ).rows[0]?.ok === true;

/** Sessions other than this one holding the lock shared (cluster instances) in this database. */
const sharedHolders = async (client: pg.Client): Promise<number> => {
  const r = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ShareLock' AND d.datname = current_database()
        AND l.pid <> pg_backend_pid() AND ((l.classid::bigint << 32) | l.objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint)`,
    [STORE_LOCK_KEY],
  );
  return r.rows[0]?.n ?? 0;
};

/**
 * Whether every session holding the lock in this database is `old` (this server's own earlier lock
 * session, which PostgreSQL has not ended yet: its connection was given up here first), none
 * another server's. The backend's start time tells a reused pid apart.
 */
const onlyOldHolds = async (client: pg.Client, old: LockSession): Promise<boolean> => {
  const r = await client.query<{ others: number; old: number }>(
    `SELECT count(*) FILTER (WHERE NOT (a.pid = $2 AND a.backend_start::text = $3))::int AS others,
            count(*) FILTER (WHERE a.pid = $2 AND a.backend_start::text = $3)::int AS old
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() AND l.pid <> pg_backend_pid()
        AND ((l.classid::bigint << 32) | l.objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint)`,
    [STORE_LOCK_KEY, old.pid, old.started],
  );
  return r.rows[0]?.others === 0 && r.rows[0]?.old === 1;
};

/** The refusal of a start whose lock is held by the other kind of server, or by another single instance. */
const inUse = (where: string, shared: boolean, clusterHolders: number): WorldtickError => {
  const details = { where, lockKey: STORE_LOCK_KEY, heldBy: shared || clusterHolders === 0 ? 'single-instance' : 'cluster' };
  if (shared)
    return new WorldtickError(
      ErrorCode.STORE_IN_USE,
      `PostgreSQL database ${where} is in use by a worldtick server without --redis (a single instance holds the store lock): a cluster instance cannot share it — stop that server first, or restart it with --redis as an instance of this cluster`,
      { details },
    );
  if (clusterHolders > 0)
    return new WorldtickError(
      ErrorCode.STORE_IN_USE,
      `PostgreSQL database ${where} is in use by ${clusterHolders} worldtick cluster instance(s) (--redis; they hold the store lock shared): start this server with --redis as an instance of that cluster, or stop every instance first`,
      { details },
    );
  return new WorldtickError(
    ErrorCode.STORE_IN_USE,
    `PostgreSQL database ${where} is in use by another worldtick server without --redis (it holds the single-instance lock): stop that server first, or run every server of this database with --redis as one cluster`,
    { details },
  );
};

/**
 * Take the lock of the database at `url` (shared with `options.shared`, a cluster instance). Throws
 * `WT_ERR_STORE_IN_USE` when another session holds it in a way that excludes this one (`details.heldBy`:
 * `single-instance` or `cluster`), `WT_ERR_STORE_UNAVAILABLE` (reason `connection`) when PostgreSQL
 * cannot be reached.
 */
export const lockPostgresStore = async (url: string, logger: Logger, options: StoreLockOptions = {}): Promise<StoreLock> => {
  const shared = options.shared === true;
  const label = shared ? 'store lock of the PostgreSQL store (shared, cluster instance)' : 'single-instance lock of the PostgreSQL store';
  const aliveWithinS = options.aliveWithinS ?? ALIVE_WITHIN_S;
  const startWaitMs = options.startWaitMs ?? START_WAIT_MS;
  const where = postgresWhere(url);
  let session: LockSession;
  try {
    // A connect not answered in time (a server slow to accept) is tried again; a refusal fails at once.
    session = await retryConnectTimeouts(
      () => connectClient(url),
      (attempt) =>
        logger.warn(
          { where, attempt, attempts: START_CONNECT_ATTEMPTS, timeoutMs: CONNECT_TIMEOUT_MS },
          `${label}: PostgreSQL did not answer the connect in time; trying again`,
        ),
    );
  } catch (err) {
    throw storeUnavailable(
      'connection',
      `cannot connect for the ${shared ? 'store' : 'single-instance'} lock (${(err as Error).message})`,
      err,
    );
  }
  const client = session.client;
  let granted = false;
  let clusterHolders = 0;
  try {
    // A live holder refuses at once; the session of a holder that died without closing it (its
    // heartbeat stopped) is waited for until PostgreSQL ends it (the keepalives above).
    const deadline = Date.now() + startWaitMs;
    let warned = false;
    for (;;) {
      granted = await tryLock(client, shared);
      if (granted) break;
      if (!shared) clusterHolders = await sharedHolders(client);
      const idle = await holderIdleSeconds(client);
      if ((idle !== null && idle < aliveWithinS) || Date.now() >= deadline) break;
      if (!warned)
        logger.warn(
          { where, holderIdleSeconds: idle, waitMs: startWaitMs },
          `${label} held by a session that has been idle: waiting for it to end (a server killed a moment ago)`,
        );
      warned = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    throw storeUnavailable('connection', `cannot take the ${shared ? 'store' : 'single-instance'} lock (${(err as Error).message})`, err);
  }
  if (!granted) {
    await client.end().catch(() => undefined);
    throw inUse(where, shared, clusterHolders);
  }

  let released = false;
  let current: LockSession | null = session;
  /** The last lock session given up (its connection ended here): PostgreSQL may not have ended it yet. */
  let lost: LockSession | null = null;
  let lostCause = 'connection ended';
  let timer: NodeJS.Timeout | null = null;
  let refusedLogged = false;
  let beating = false;
  // The heartbeat: a starting server sees this session active. A lost connection ends the client ('end'
  // below); an unanswered heartbeat (a network cut: no RST or FIN comes) is ended here.
  const heartbeat = setInterval(() => {
    const s = current;
    if (!s || beating) return;
    beating = true;
    s.client
      .query('SELECT 1')
      .catch((err: Error) => {
        if (current !== s || released) return;
        lostCause = `heartbeat failed: ${err.message}`;
        void s.client.end().catch(() => undefined); // a query still waiting: pg destroys the socket
      })
      .finally(() => {
        beating = false;
      });
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const retake = async (): Promise<void> => {
    timer = null;
    if (released) return;
    let s: LockSession | null = null;
    try {
      s = await connectClient(url);
      const c = s.client;
      if (released) return void (await c.end().catch(() => undefined));
      if (await tryLock(c, shared)) {
        watch(s);
        current = s;
        lost = null;
        refusedLogged = false;
        logger.info({ where }, `${label} taken again`);
        return;
      }
      const stillOurs = lost !== null && (await onlyOldHolds(c, lost));
      await c.end().catch(() => undefined);
      if (stillOurs)
        logger.debug({ where, pid: lost?.pid }, `${label}: still held by this server's old session (PostgreSQL has not ended it yet)`);
      else if (!refusedLogged)
        logger.error(
          { where, lockKey: STORE_LOCK_KEY },
          shared
            ? `${label}: a server without --redis holds it now — it and this cluster may be writing the same worlds; stop it (retrying)`
            : `${label}: another server holds it now — two servers may be writing the same worlds; stop one of them (retrying)`,
        );
      if (!stillOurs) refusedLogged = true;
    } catch (err) {
      await s?.client.end().catch(() => undefined);
      logger.debug({ where, err: (err as Error).message }, `${label}: not taken again yet`);
    }
    if (!released) schedule();
  };
  const schedule = (): void => {
    timer = setTimeout(() => void retake(), RETRY_MS);
    timer.unref();
  };
  const watch = (s: LockSession): void => {
    s.client.once('end', () => {
      if (released || current !== s) return;
      current = null;
      lost = s;
      logger.warn({ where, cause: lostCause }, `${label} lost with its connection: taking it again`);
      lostCause = 'connection ended';
      schedule();
    });
  };
  watch(session);

  return {
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      timer = null;
      const s = current;
      current = null;
      await s?.client.end().catch(() => undefined);
    },
  };
};
