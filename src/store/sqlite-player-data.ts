/**
 * Player data on SQLite (table `player_data`, schema 4; batch records `player_data_batches`,
 * schema 5, and their loaded values by player `player_data_batch_reads`, schema 8): the body of
 * `SqliteStore.applyPlayerData`, run inside its IMMEDIATE transaction.
 * SQLite has one writer at a time, so a read of the stored version followed by the write cannot
 * interleave with another writer.
 */
import type Database from 'better-sqlite3';
import {
  batchRecorder,
  decidePlayerDataOp,
  eraseReads,
  forgottenOf,
  keyInfoOf,
  LIST_ROWS_SELECT,
  LIVE_KEYS_SELECT,
  OTHER_ROWS_SELECT,
  PLAYER_READS_SELECT,
  PLAYER_VERSIONS_SELECT,
  playerDataQuota,
  readsByBatch,
  recordedResults,
  recordsBatch,
  type StoredRow,
  versionsOf,
} from './player-data-rules.js';
import type { PlayerDataApplyOptions, PlayerDataLimits, PlayerDataOp, PlayerDataOpResult } from './types.js';
import { sqliteSums } from './rows.js';

type Row = Record<string, unknown>;
type Recorder = ReturnType<typeof batchRecorder>;

/**
 * What one batch gave: its results, in order — fewer than its operations when a recorded batch
 * stopped at its read budget (the rest were not run) — and whether they were a recorded batch's
 * (nothing applied again).
 */
export interface PlayerDataBatchOutcome {
  results: PlayerDataOpResult[];
  replayed: boolean;
}

/** Statements prepared once per connection; returns the function that applies a batch (call it inside a write transaction). */
export const sqlitePlayerData = (
  db: Database.Database,
): ((ops: readonly PlayerDataOp[], limits: PlayerDataLimits, options?: PlayerDataApplyOptions) => PlayerDataBatchOutcome) => {
  const get = db.prepare('SELECT value, version FROM player_data WHERE player_id = ? AND data_key = ?');
  // Tombstones (deleted keys: value NULL, size 0) count neither bytes nor keys.
  const others = db.prepare(sqliteSums(OTHER_ROWS_SELECT.replace('{1}', '?').replace('{2}', '?')));
  const insert = db.prepare('INSERT INTO player_data (player_id, data_key, value, version, size, updated_at) VALUES (?, ?, ?, 1, ?, ?)');
  const update = db.prepare('UPDATE player_data SET value = ?, version = ?, size = ?, updated_at = ? WHERE player_id = ? AND data_key = ?');
  // A delete keeps the row as a tombstone (value NULL, size 0) with the next version, so a writer
  // still holding a version from before the delete is refused instead of overwriting a re-created value.
  // Versions are written as decided (not `version + 1`): a version column a hand edit or a damaged file made
  // text reads as 0 (rows.ts `storedInt`), and the answer and the row must agree.
  const remove = db.prepare(
    'UPDATE player_data SET value = NULL, version = ?, size = 0, updated_at = ? WHERE player_id = ? AND data_key = ?',
  );
  const list = db.prepare(LIST_ROWS_SELECT.replace('{1}', '?'));
  const live = db.prepare(LIVE_KEYS_SELECT.replace('{1}', '?'));
  const findBatch = db.prepare('SELECT results FROM player_data_batches WHERE batch_id = ?');
  const recordBatch = db.prepare('INSERT INTO player_data_batches (batch_id, results, created_at) VALUES (?, ?, ?)');
  const prune = db.prepare('DELETE FROM player_data_batches WHERE created_at < ?');
  const pruneReads = db.prepare('DELETE FROM player_data_batch_reads WHERE created_at < ?');
  const recordRead = db.prepare(
    'INSERT INTO player_data_batch_reads (player_id, batch_id, position, data_key, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const versions = db.prepare(PLAYER_VERSIONS_SELECT.replace('{1}', '?'));
  const readsOf = db.prepare(PLAYER_READS_SELECT.replace('{1}', '?'));
  const rewrite = db.prepare('UPDATE player_data_batches SET results = ? WHERE batch_id = ?');
  const dropReads = db.prepare('DELETE FROM player_data_batch_reads WHERE player_id = ?');

  /** After a forget: the player's loaded values out of every record (stored, and the batch's own so far). */
  const eraseRecorded = (playerId: string, recorder: Recorder | undefined): void => {
    const after = versionsOf(versions.all(playerId) as Row[]);
    recorder?.forget(playerId, after);
    for (const [batchId, reads] of readsByBatch(readsOf.all(playerId) as Row[])) {
      const found = findBatch.get(batchId) as Row | undefined;
      if (found) rewrite.run(eraseReads(String(found.results), reads, after), batchId);
    }
    dropReads.run(playerId);
  };

  const one = (o: PlayerDataOp, limits: PlayerDataLimits, recorder?: Recorder): PlayerDataOpResult => {
    if (o.op === 'list') return { status: 'listed', keys: (list.all(o.playerId) as Row[]).map(keyInfoOf) };
    if (o.op === 'forget') {
      const rows = live.all(o.playerId) as Row[];
      const answer = forgottenOf(rows);
      if (answer.status === 'forgotten') for (const k of answer.keys) remove.run(k.version, Date.now(), o.playerId, k.key);
      eraseRecorded(o.playerId, recorder);
      return answer;
    }
    const cur = get.get(o.playerId, o.key) as StoredRow;
    const d = decidePlayerDataOp(o, cur);
    if ('answer' in d) return d.answer;
    if (d.write === 'delete') remove.run(d.version + 1, Date.now(), o.playerId, o.key);
    else {
      const size = Buffer.byteLength(d.text);
      const refused = playerDataQuota(d.exists, size, others.get(o.playerId, o.key) as Row, limits);
      if (refused) return refused;
      if (d.exists) update.run(d.text, d.version + 1, size, Date.now(), o.playerId, o.key);
      else insert.run(o.playerId, o.key, d.text, size, Date.now());
    }
    return { status: 'ok', version: d.version + 1 };
  };

  return (ops, limits, options) => {
    if (options?.pruneBefore !== undefined) {
      prune.run(options.pruneBefore);
      pruneReads.run(options.pruneBefore);
    }
    const id = options?.batchId;
    if (!recordsBatch(ops, id)) return { results: ops.map((o) => one(o, limits)), replayed: false };
    if (options?.retry) {
      const found = findBatch.get(id) as Row | undefined;
      if (found) {
        const recorded = recordedResults(ops, String(found.results));
        return { results: recorded.map((r, i) => r ?? one(ops[i] as PlayerDataOp, limits)), replayed: true };
      }
    }
    const record = batchRecorder(options?.maxReadBytes);
    const results: PlayerDataOpResult[] = [];
    for (const o of ops) {
      const r = one(o, limits, record);
      results.push(r);
      if (record.add(o, r)) break; // the reads' answers passed the budget: the rest go to the next batch
    }
    const now = Date.now();
    recordBatch.run(id, record.text(), now);
    for (const r of record.reads()) recordRead.run(r.playerId, id, r.position, r.key, now);
    return { results, replayed: false };
  };
};
