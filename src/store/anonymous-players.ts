/**
 * Pruning of anonymous players' records (`Store.pruneAnonymousPlayers`; docs/DURABILITY.md
 * "Anonymous players"). A `g:` player id is generated for a hello that names nobody (an empty or
 * class-only token) and is reachable only through its session records (a resume): once none is left
 * and its player record has not been written since `beforeMs`, nobody can be that player again, and
 * its `players` row and `player_data` rows are deleted — in one transaction, oldest first, at most
 * `limit` players. Its ledger entries and ledger summary are kept: the ledger is append-only.
 *
 * Both dialects select on schema 10's partial index `players_anonymous (updated_at) WHERE
 * substr(id, 1, 2) = 'g:'` (the same expression: the index holds anonymous players only, so a
 * pass reads no named player) and look for a session through schema 2's `sessions_player`.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { pruneRefusal } from './bounded-prune.js';

/** The refusal of bad arguments (`WT_ERR_OPTION_INVALID`, before any store work), or null (src/store/bounded-prune.ts). */
export const anonymousPruneRefusal = (beforeMs: number, limit: number): Error | null =>
  pruneRefusal('pruneAnonymousPlayers', 'beforeMs', beforeMs, limit);

const CANDIDATES = `SELECT id FROM players WHERE substr(id, 1, 2) = 'g:' AND updated_at < ?
  AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.player_id = players.id) ORDER BY updated_at LIMIT ?`;

/** The SQLite body (run inside the store's IMMEDIATE transaction): prepared once per connection. */
export const sqliteAnonymousPrune = (db: Database.Database): ((beforeMs: number, limit: number) => number) => {
  const select = db.prepare(CANDIDATES).pluck();
  const data = db.prepare('DELETE FROM player_data WHERE player_id = ?');
  const player = db.prepare('DELETE FROM players WHERE id = ?');
  return (beforeMs, limit) => {
    const ids = select.all(beforeMs, limit) as string[];
    for (const id of ids) {
      data.run(id);
      player.run(id);
    }
    return ids.length;
  };
};

/**
 * The PostgreSQL statement (one, in the store's transaction): rows another instance's pass holds are
 * skipped, not waited for (`SKIP LOCKED`), so passes of several instances share the work.
 */
export const pgAnonymousPrune = async (c: pg.PoolClient, beforeMs: number, limit: number): Promise<number> => {
  const sql = `WITH gone AS (DELETE FROM players WHERE id IN (SELECT id FROM players
      WHERE substr(id, 1, 2) = 'g:' AND updated_at < $1
      AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.player_id = players.id)
      ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id),
    data AS (DELETE FROM player_data WHERE player_id IN (SELECT id FROM gone))
    SELECT count(*)::int AS n FROM gone`;
  return Number((await c.query(sql, [beforeMs, limit])).rows[0].n);
};
