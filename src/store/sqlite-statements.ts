/**
 * The SQLite store's prepared statements (src/store/sqlite-store.ts), prepared once per connection
 * after the migrations ran. Player data has its own (sqlite-player-data.ts).
 */
import type Database from 'better-sqlite3';
import { LEDGER_COLUMNS, LEDGER_SUMS_SQL, sqliteSums } from './rows.js';

/** Upsert of a player record (createdAt kept). */
const UPSERT_PLAYER = `INSERT INTO players (id, name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, updated_at = excluded.updated_at`;

/** Prepare every statement of the store on `db`. */
export const prepareStatements = (db: Database.Database): Record<string, Database.Statement> => {
  const p = (sql: string): Database.Statement => db.prepare(sql);
  const placeholders = LEDGER_COLUMNS.map(() => '?').join(', ');
  return {
    fence: p(`INSERT INTO fences (world_id, token) VALUES (?, ?)
      ON CONFLICT (world_id) DO UPDATE SET token = CASE WHEN typeof(token) = 'integer' THEN max(token, excluded.token) ELSE excluded.token END
      RETURNING token`),
    currentFence: p('SELECT token FROM fences WHERE world_id = ?'),
    insertLedger: p(`INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${placeholders})
      ON CONFLICT (player_id, idem_key) DO NOTHING RETURNING seq`),
    findLedger: p('SELECT * FROM ledger WHERE player_id = ? AND idem_key = ?'),
    ledgerBalance: p('SELECT coins, items, last_seq FROM ledger_balances WHERE player_id = ?'),
    ledgerTotals: p(sqliteSums(LEDGER_SUMS_SQL.totals.replace('{1}', '?'))),
    ledgerItems: p(sqliteSums(LEDGER_SUMS_SQL.items.replace('{1}', '?'))),
    rewriteBalance: p('UPDATE ledger_balances SET coins = ?, items = ?, last_seq = ? WHERE player_id = ?'),
    pruneRefusals: p(
      "DELETE FROM ledger WHERE seq IN (SELECT seq FROM ledger WHERE status = 'rejected' AND created_at < ? ORDER BY created_at LIMIT ?)",
    ),
    // A refusal whose time is text or a blob (a hand edit, a damaged file) reads as made at 0 (rows.ts `storedInt`):
    // past every retention (deleted after the expired ones), and no part of a day's budget (`refusalTimes`). Such
    // values sort after every number, so both through the same index (an OR in one statement scanned it whole).
    pruneDamagedRefusals: p(
      "DELETE FROM ledger WHERE seq IN (SELECT seq FROM ledger WHERE status = 'rejected' AND created_at >= '' LIMIT ?)",
    ),
    refusalTimes: p(`SELECT created_at FROM ledger WHERE player_id = ? AND world_id = ? AND status = 'rejected'
      AND created_at >= ? AND created_at < '' ORDER BY created_at DESC LIMIT ?`),
    insertCheckpoint: p(`INSERT INTO checkpoints (world_id, step, world_time, config, fencing_token, meta, data, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
    pruneCheckpoints: p(`DELETE FROM checkpoints WHERE world_id = ? AND id NOT IN
      (SELECT id FROM checkpoints WHERE world_id = ? ORDER BY id DESC LIMIT ?)`),
    loadCheckpoint: p('SELECT * FROM checkpoints WHERE world_id = ? ORDER BY id DESC LIMIT 1'),
    loadCheckpointBefore: p('SELECT * FROM checkpoints WHERE world_id = ? AND id < ? ORDER BY id DESC LIMIT 1'),
    putPlayer: p(`${UPSERT_PLAYER} RETURNING *`),
    // Without RETURNING for writeSessions' batches (nothing reads the row back): RETURNING * with
    // .get() cost 8-11 µs a row against 4.5-5 µs (5,000-row transactions).
    putPlayerRow: p(UPSERT_PLAYER),
    getPlayer: p('SELECT * FROM players WHERE id = ?'),
    putSession: p(`INSERT INTO sessions (token, player_id, world_id, expires_at, data) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (token) DO UPDATE SET player_id = excluded.player_id, world_id = excluded.world_id,
      expires_at = excluded.expires_at, data = excluded.data`),
    getSession: p('SELECT * FROM sessions WHERE token = ? AND expires_at > ?'),
    deleteSession: p('DELETE FROM sessions WHERE token = ?'),
    // At most `limit` expired records, oldest expiry first, through the index sessions_expires (Store.pruneSessions).
    pruneSessions: p('DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)'),
    // Rows whose expiry is text or a blob (a hand edit, a damaged file: INTEGER columns take any value), read as
    // expired (rows.ts); they sort after every number, so through the same index.
    pruneDamagedSessions: p("DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at >= '' LIMIT ?)"),
    deleteWorldSessions: p('DELETE FROM sessions WHERE world_id = ?'),
    putWorldConfig: p(`INSERT INTO world_configs (world_id, config, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (world_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at RETURNING *`),
    getWorldConfig: p('SELECT * FROM world_configs WHERE world_id = ?'),
    hasWorldConfig: p('SELECT 1 AS one FROM world_configs WHERE world_id = ?'),
    listWorldConfigs: p('SELECT * FROM world_configs ORDER BY world_id'),
    deleteWorldConfig: p(`DELETE FROM world_configs WHERE world_id = ?
      AND (? IS NULL OR (json_valid(config) AND json_extract(config, '$.incarnation') = ?))`),
    deleteWorldCheckpoints: p(`DELETE FROM checkpoints WHERE world_id = ?
      AND (? IS NULL OR (json_valid(meta) AND json_extract(meta, '$.incarnation') = ?))`),
    putOperatorState: p(`INSERT INTO operator_state (scope, state, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`),
    getOperatorState: p('SELECT * FROM operator_state WHERE scope = ?'),
    deleteOperatorState: p('DELETE FROM operator_state WHERE scope = ?'),
    schemaVersion: p('SELECT coalesce(max(version), 0) AS v FROM schema_migrations'),
  };
};
