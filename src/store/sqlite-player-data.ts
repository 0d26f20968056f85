/**
 * Player data on SQLite (table `player_data`, schema 4): the body of `SqliteStore.applyPlayerData`,
 * run inside its IMMEDIATE transaction. SQLite has one writer at a time, so a read of the stored
 * version followed by the write cannot interleave with another writer.
 */
import type Database from 'better-sqlite3';
import { maxRowsOf, type PlayerDataLimits, type PlayerDataOp, type PlayerDataOpResult } from './types.js';

type Row = Record<string, unknown>;

/** Statements prepared once per connection; returns the function that applies a batch (call it inside a write transaction). */
export const sqlitePlayerData = (
  db: Database.Database,
): ((ops: readonly PlayerDataOp[], limits: PlayerDataLimits) => PlayerDataOpResult[]) => {
  const get = db.prepare('SELECT value, version FROM player_data WHERE player_id = ? AND data_key = ?');
  // Tombstones (deleted keys: value NULL, size 0) count neither bytes nor keys.
  const others = db.prepare(
    `SELECT coalesce(sum(size), 0) AS bytes, coalesce(sum(CASE WHEN value IS NULL THEN 0 ELSE 1 END), 0) AS n, count(*) AS total
     FROM player_data WHERE player_id = ? AND data_key <> ?`,
  );
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
    const cur = get.get(o.playerId, o.key) as Row | undefined;
    const version = cur ? Number(cur.version) : 0;
    const live = cur !== undefined && cur.value !== null;
    if (o.op === 'get') return live ? { status: 'ok', version, value: JSON.parse(String(cur.value)) } : { status: 'ok', version };
    if (o.expectedVersion !== null && o.expectedVersion !== version) return { status: 'stale', version };
    if (o.op === 'delete') {
      if (!live) return { status: 'ok', version };
      remove.run(Date.now(), o.playerId, o.key);
      return { status: 'ok', version: version + 1 };
    }
    const size = Buffer.byteLength(o.value);
    const rest = others.get(o.playerId, o.key) as Row;
    const bytes = Number(rest.bytes) + size;
    const keys = Number(rest.n) + 1;
    if (bytes > limits.maxBytesPerPlayer || keys > limits.maxKeysPerPlayer) return { status: 'quota', bytes, keys };
    // A new key also needs room among all the player's rows: tombstones are kept, so create-and-delete cannot grow them without bound.
    if (!cur && Number(rest.total) >= maxRowsOf(limits)) return { status: 'quota', bytes, keys };
    if (cur) update.run(o.value, size, Date.now(), o.playerId, o.key);
    else insert.run(o.playerId, o.key, o.value, size, Date.now());
    return { status: 'ok', version: version + 1 };
  };
  return (ops, limits) => ops.map((o) => one(o, limits));
};
