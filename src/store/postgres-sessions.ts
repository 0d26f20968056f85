/**
 * Player and session statements of the PostgreSQL store (src/store/postgres-store.ts): the upserts
 * shared by its single-record methods and the session-write batch of `Store.writeSessions`, the
 * reads, and the bounded prune of expired sessions.
 */
import type pg from 'pg';
import { rowOr, toPlayer, toJsonText, toSession } from './rows.js';
import type { PlayerRecord, SessionRecord, SessionWrite } from './types.js';

/** What an upsert of a player record sets on conflict (createdAt kept). */
const PLAYER_CONFLICT = 'ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, data = EXCLUDED.data, updated_at = EXCLUDED.updated_at';
/** What an upsert of a session record sets on conflict. */
const SESSION_CONFLICT = `ON CONFLICT (token) DO UPDATE SET player_id = EXCLUDED.player_id, world_id = EXCLUDED.world_id,
  expires_at = EXCLUDED.expires_at, data = EXCLUDED.data`;

/** Upsert of a player record. */
export const PUT_PLAYER = `INSERT INTO players (id, name, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ${PLAYER_CONFLICT}`;

/** Upsert of a session record. */
export const PUT_SESSION = `INSERT INTO sessions (token, player_id, world_id, expires_at, data) VALUES ($1, $2, $3, $4, $5) ${SESSION_CONFLICT}`;

/** Parameters of {@link PUT_SESSION} for a session record. */
export const sessionValues = (s: SessionRecord): unknown[] => [
  s.token,
  s.playerId,
  s.worldId,
  s.expiresAt,
  toJsonText(s.data, 'session data'),
];

/** Insert or replace one session record (`Store.putSession`). */
export const insertSession = async (c: pg.PoolClient, s: SessionRecord): Promise<void> => {
  await c.query(PUT_SESSION, sessionValues(s));
};

/** Upsert of many player records in one statement; ids distinct. */
const PUT_PLAYERS = `INSERT INTO players (id, name, data, created_at, updated_at)
  SELECT id, name, data, $4, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, name, data) ${PLAYER_CONFLICT}`;

/** Upsert of many session records in one statement; tokens distinct. */
const PUT_SESSIONS = `INSERT INTO sessions (token, player_id, world_id, expires_at, data)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) ${SESSION_CONFLICT}`;

/** Entries in key code-unit order: two batches lock the rows they share in the same order. */
const byKey = <V>(m: Map<string, V>): Array<[string, V]> => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The first `n` columns of `rows`, one array each: the parameters of an `unnest`. */
const columns = (rows: readonly unknown[][], n: number): unknown[][] => Array.from({ length: n }, (_, i) => rows.map((r) => r[i]));

/**
 * Apply a batch of player upserts, session upserts and session deletions (`Store.writeSessions`) on
 * `c`, inside the caller's transaction, in at most three statements instead of one round trip per
 * write (the periodic position save of 5,000 live players was 5,000 round trips, and the joins of
 * the next turn queued behind them). The result is that of applying the writes in order: the two
 * tables are independent (no keys between them, no triggers), and within a table a key ends as its
 * last write left it — the last upsert of a player; for a session token the last upsert, or absent
 * when a deletion came last. Every write's JSON is still serialized, so a batch holding one that
 * cannot be fails as it did when that write ran.
 */
export const writeSessionOps = async (c: pg.PoolClient, ops: readonly SessionWrite[]): Promise<void> => {
  // Each key's last write: its row's values, or null for a session deleted.
  const players = new Map<string, unknown[]>();
  const sessions = new Map<string, unknown[] | null>();
  for (const o of ops)
    if (o.kind === 'player') players.set(o.id, [o.id, o.name, toJsonText(o.data ?? {}, 'player data')]);
    else if (o.kind === 'session') sessions.set(o.record.token, sessionValues(o.record));
    else sessions.set(o.token, null);
  const playerRows = byKey(players).map(([, r]) => r);
  if (playerRows.length > 0) await c.query(PUT_PLAYERS, [...columns(playerRows, 3), Date.now()]);
  const entries = byKey(sessions);
  const drops = entries.filter(([, r]) => r === null).map(([token]) => token);
  if (drops.length > 0) await c.query('DELETE FROM sessions WHERE token = ANY($1::text[])', [drops]);
  const puts = entries.flatMap(([, r]) => (r === null ? [] : [r]));
  if (puts.length > 0) await c.query(PUT_SESSIONS, columns(puts, 5));
};

/** The player record `id`, or undefined (`Store.getPlayer`). */
export const selectPlayer = async (c: pg.PoolClient, id: string): Promise<PlayerRecord | undefined> => {
  return rowOr((await c.query('SELECT * FROM players WHERE id = $1', [id])).rows[0], toPlayer);
};

/** The session of `token` unless missing or expired at `nowMs` (`Store.getSession`). */
export const selectSession = async (c: pg.PoolClient, token: string, nowMs: number): Promise<SessionRecord | undefined> => {
  return rowOr((await c.query('SELECT * FROM sessions WHERE token = $1 AND expires_at > $2', [token, nowMs])).rows[0], toSession);
};

/**
 * Delete at most `limit` sessions expired at `nowMs`, oldest expiry first, through the index
 * `sessions_expires` (`Store.pruneSessions`); rows another instance's prune holds are skipped, not
 * waited for (`SKIP LOCKED`), so the sweeps of several instances share the work.
 */
export const pruneExpiredSessions = async (c: pg.PoolClient, nowMs: number, limit: number): Promise<number> => {
  const sql = `DELETE FROM sessions WHERE token = ANY(ARRAY(SELECT token FROM sessions WHERE expires_at <= $1
    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`;
  return (await c.query(sql, [nowMs, limit])).rowCount ?? 0;
};
