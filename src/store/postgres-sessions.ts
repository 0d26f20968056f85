/**
 * Player and session statements of the PostgreSQL store (src/store/postgres-store.ts): the upserts
 * shared by its single-record methods and the session-write batch of `Store.writeSessions`, the
 * reads, and the bounded prune of expired sessions.
 */
import type pg from 'pg';
import { rowOr, toPlayer, toJsonText, toSession } from './rows.js';
import type { PlayerRecord, SessionRecord, SessionWrite } from './types.js';

/** Upsert of a player record (createdAt kept). */
export const PUT_PLAYER = `INSERT INTO players (id, name, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`;

/** Upsert of a session record. */
export const PUT_SESSION = `INSERT INTO sessions (token, player_id, world_id, expires_at, data) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (token) DO UPDATE SET player_id = EXCLUDED.player_id, world_id = EXCLUDED.world_id,
  expires_at = EXCLUDED.expires_at, data = EXCLUDED.data`;

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

/** Apply a batch of player upserts, session upserts and session deletions in order, on `c` (inside the caller's transaction). */
export const writeSessionOps = async (c: pg.PoolClient, ops: readonly SessionWrite[]): Promise<void> => {
  const now = Date.now();
  for (const o of ops)
    if (o.kind === 'player') await c.query(PUT_PLAYER, [o.id, o.name, toJsonText(o.data ?? {}, 'player data'), now]);
    else if (o.kind === 'session') await c.query(PUT_SESSION, sessionValues(o.record));
    else await c.query('DELETE FROM sessions WHERE token = $1', [o.token]);
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
