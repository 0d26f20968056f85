/**
 * Player data on SQLite (table `player_data`, schema 4): the body of `SqliteStore.applyPlayerData`,
 * run inside its IMMEDIATE transaction. SQLite has one writer at a time, so a read of the stored
 * version followed by the write cannot interleave with another writer.
 */
import type Database from 'better-sqlite3';
import { decidePlayerDataOp, OTHER_ROWS_SELECT, playerDataQuota, type StoredRow } from './player-data-rules.js';
import type { PlayerDataLimits, PlayerDataOp, PlayerDataOpResult } from './types.js';

/** Statements prepared once per connection; returns the function that applies a batch (call it inside a write transaction). */
export const sqlitePlayerData = (
  db: Database.Database,
): ((ops: readonly PlayerDataOp[], limits: PlayerDataLimits) => PlayerDataOpResult[]) => {
  const get = db.prepare('SELECT value, version FROM player_data WHERE player_id = ? AND data_key = ?');
  // Tombstones (deleted keys: value NULL, size 0) count neither bytes nor keys.
  const others = db.prepare(OTHER_ROWS_SELECT.replace('{1}', '?').replace('{2}', '?'));
  const insert = db.prepare('INSERT INTO player_data (player_id, data_key, value, version, size, updated_at) VALUES (?, ?, ?, 1, ?, ?)');
  const update = db.prepare(
    'UPDATE player_data SET value = ?, version = version + 1, size = ?, updated_at = ? WHERE player_id = ? AND data_key = ?',
  );
  // A delete keeps the row as a tombstone (value NULL, size 0) with the next version, so a writer
  // still holding a version from before the delete is refused instead of overwriting a re-created value.
  const remove = db.prepare(
    'UPDATE player_data SET value = NULL, version = version + 1, size = 0, updated_at = ? WHERE player_id = ? AND data_key = ?',
  );
  const one = (o: PlayerDataOp, limits: PlayerDataLimits): PlayerDataOpResult => {
    const cur = get.get(o.playerId, o.key) as StoredRow;
    const d = decidePlayerDataOp(o, cur);
    if ('answer' in d) return d.answer;
    if (d.write === 'delete') remove.run(Date.now(), o.playerId, o.key);
    else {
      const size = Buffer.byteLength(d.text);
      const refused = playerDataQuota(d.exists, size, others.get(o.playerId, o.key) as Record<string, unknown>, limits);
      if (refused) return refused;
      if (d.exists) update.run(d.text, size, Date.now(), o.playerId, o.key);
      else insert.run(o.playerId, o.key, d.text, size, Date.now());
    }
    return { status: 'ok', version: d.version + 1 };
  };
  return (ops, limits) => ops.map((o) => one(o, limits));
};
