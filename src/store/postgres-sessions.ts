/**
 * Player and session writes of the PostgreSQL store (src/store/postgres-store.ts): the upserts
 * shared by its single-record methods and the session-write batch of `Store.writeSessions`.
 */
import type pg from 'pg';
import { toJsonText } from './rows.js';
import type { SessionRecord, SessionWrite } from './types.js';

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

/** Apply a batch of player upserts, session upserts and session deletions in order, on `c` (inside the caller's transaction). */
export const writeSessionOps = async (c: pg.PoolClient, ops: readonly SessionWrite[]): Promise<void> => {
  const now = Date.now();
  for (const o of ops)
    if (o.kind === 'player') await c.query(PUT_PLAYER, [o.id, o.name, toJsonText(o.data ?? {}, 'player data'), now]);
    else if (o.kind === 'session') await c.query(PUT_SESSION, sessionValues(o.record));
    else await c.query('DELETE FROM sessions WHERE token = $1', [o.token]);
};
