/**
 * Ending the session of a fenced-out writer that holds a world's fence row (docs/CLUSTER.md "A writer
 * paused mid-write"). A process paused while it is still sending a statement (half of a checkpoint's
 * parameters uploaded) leaves its backend reading the rest of the message: the backend is not idle
 * in a transaction, so `idle_in_transaction_session_timeout` never ends it, and TCP keepalive and
 * `client_connection_check_interval` do not either (the paused host's kernel still answers). Its
 * transaction keeps the world's fence row locked until the process resumes.
 *
 * So every fenced write marks its transaction: its BEGIN puts the world and the writer's token
 * ({@link fenceMarker}) in front of the session's `application_name`, transaction-local: visible to
 * every session in `pg_stat_activity`, reset by the server when the transaction ends. A new owner whose announce
 * gave up on the row ends the backends of the same database marked with the SAME world and an OLDER token
 * (`pg_terminate_backend`): their writer was fenced out by the grant of the new token, whatever it
 * sends next is refused once the new token is recorded, so nothing it could still commit is lost
 * that fencing would have kept. A backend of a newer or equal token, of another world, or not in a
 * fenced transaction is never touched.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Fence } from './types.js';
import { beginWithLockTimeout } from './postgres-pool.js';

const PREFIX = 'wtfence:';

/**
 * How a world is named in markers: its id when short and plain, else `#` and 16 hex digits of its
 * SHA-256 (the server keeps 63 characters of an application_name: a long id would be cut).
 */
const worldKey = (worldId: string): string =>
  /^[A-Za-z0-9_.-]{1,32}$/.test(worldId) ? worldId : `#${createHash('sha256').update(worldId).digest('hex').slice(0, 16)}`;

/** The mark of a fenced write's transaction, in front of its `application_name`: `wtfence:<token>:<world>`. */
export const fenceMarker = (fence: Fence): string => `${PREFIX}${fence.token}:${worldKey(fence.worldId)}`;

/**
 * The statement opening a fenced write's transaction: {@link beginWithLockTimeout}, then the marker
 * put in front of the connection's own `application_name` for the transaction (one round trip; the
 * marker holds only `[A-Za-z0-9_.:#-]`, so it is a safe literal, and at most 57 characters, so the
 * server's cut at 63 only ever shortens the name behind it).
 */
export const beginFenced = (lockTimeoutMs: number, fence: Fence): string =>
  `${beginWithLockTimeout(lockTimeoutMs)}; SELECT set_config('application_name', '${fenceMarker(fence)} ' || current_setting('application_name'), true)`;

/** A backend {@link endFencedOutWriters} ended. */
export interface EndedWriter {
  pid: number;
  /** The fencing token its transaction wrote under. */
  token: number;
  /** Its state when it was ended (`active` with wait event `ClientRead`: paused mid-statement). */
  state: string;
  waitEvent: string | null;
}

/**
 * End the backends inside a fenced transaction of `worldId` under a token lower than `token`
 * (`pg_terminate_backend`; their transactions roll back, their locks go). Returns the ones ended.
 * The marker is checked again in the statement that ends a backend, so a session that finished
 * that transaction meanwhile is left alone. Needs the right to signal them (the same role, or
 * `pg_signal_backend`): without it the server's error is thrown.
 */
export const endFencedOutWriters = async (c: pg.PoolClient, worldId: string, token: number): Promise<EndedWriter[]> => {
  const key = worldKey(worldId);
  const r = await c.query(
    `SELECT pid, application_name AS name, state, wait_event FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE 'wtfence:%' AND pid <> pg_backend_pid()`,
  );
  const ended: EndedWriter[] = [];
  for (const row of r.rows as Array<{ pid: number; name: string; state: string | null; wait_event: string | null }>) {
    const m = /^(wtfence:(\d+):(\S+))(?: |$)/.exec(row.name);
    if (!m || m[3] !== key) continue;
    const theirs = Number(m[2]);
    if (fenceMarker({ worldId, token: theirs }) !== m[1]) continue;
    if (!(theirs < token)) continue;
    const t = await c.query('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE pid = $1 AND application_name = $2', [
      row.pid,
      row.name,
    ]);
    if (t.rows[0]?.ended === true) ended.push({ pid: row.pid, token: theirs, state: row.state ?? '', waitEvent: row.wait_event });
  }
  return ended;
};
