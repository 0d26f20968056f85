/**
 * Player data on PostgreSQL (table `player_data`, schema 4): the body of
 * `PostgresStore.applyPlayerData`, run inside its transaction. First a transaction-scoped advisory
 * lock per player written — per player touched, reads too, in a batch that is recorded — taken in
 * one order, so two instances' batches cannot deadlock on them: writers of one player are
 * serialized across instances, so the version read before a write is still the stored one when the
 * write lands, and the per-player limits cannot be passed by two writers at once; and a recorded
 * load cannot race a forget of its player (a forget finds every record holding the player's values
 * committed, or the load reads the forget's tombstone).
 */
import type pg from 'pg';
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
import { isKeyOp, postgresKeyOps } from './postgres-player-data-keys.js';
import type { PlayerDataBatchOutcome } from './sqlite-player-data.js';
import {
  isPlayerDataWrite,
  type PlayerDataApplyOptions,
  type PlayerDataLimits,
  type PlayerDataKeyOp,
  type PlayerDataOp,
  type PlayerDataOpResult,
} from './types.js';

/** First key of the two-key advisory locks of player data (the second is hashtext(player id)). */
const PLAYER_LOCK_CLASS = 770_702;

const OTHERS = OTHER_ROWS_SELECT.replace('{1}', '$1').replace('{2}', '$2');
const LIST = LIST_ROWS_SELECT.replace('{1}', '$1');
const LIVE = LIVE_KEYS_SELECT.replace('{1}', '$1');
const VERSIONS = PLAYER_VERSIONS_SELECT.replace('{1}', '$1');
const READS = PLAYER_READS_SELECT.replace('{1}', '$1');

type Recorder = ReturnType<typeof batchRecorder>;

/** After a forget: the player's loaded values out of every record (stored, and the batch's own so far). */
const eraseRecorded = async (c: pg.PoolClient, playerId: string, recorder: Recorder | undefined): Promise<void> => {
  const after = versionsOf((await c.query(VERSIONS, [playerId])).rows as Array<Record<string, unknown>>);
  recorder?.forget(playerId, after);
  for (const [batchId, reads] of readsByBatch((await c.query(READS, [playerId])).rows as Array<Record<string, unknown>>)) {
    // FOR UPDATE: a forget of another player rewriting the same record meanwhile is waited for and its text read (no lost erasure).
    const found = (await c.query('SELECT results FROM player_data_batches WHERE batch_id = $1 FOR UPDATE', [batchId])).rows[0] as
      | Record<string, unknown>
      | undefined;
    if (found)
      await c.query('UPDATE player_data_batches SET results = $2 WHERE batch_id = $1', [
        batchId,
        eraseReads(String(found.results), reads, after),
      ]);
  }
  await c.query('DELETE FROM player_data_batch_reads WHERE player_id = $1', [playerId]);
};

const one = async (c: pg.PoolClient, o: PlayerDataOp, limits: PlayerDataLimits, recorder?: Recorder): Promise<PlayerDataOpResult> => {
  if (o.op === 'list') return { status: 'listed', keys: (await c.query(LIST, [o.playerId])).rows.map(keyInfoOf) };
  if (o.op === 'forget') {
    const rows = (await c.query(LIVE, [o.playerId])).rows as Array<Record<string, unknown>>;
    if (rows.length)
      await c.query(
        'UPDATE player_data SET value = NULL, version = version + 1, size = 0, updated_at = $2 WHERE player_id = $1 AND value IS NOT NULL',
        [o.playerId, Date.now()],
      );
    await eraseRecorded(c, o.playerId, recorder);
    return forgottenOf(rows);
  }
  const r = await c.query('SELECT value, version FROM player_data WHERE player_id = $1 AND data_key = $2', [o.playerId, o.key]);
  const d = decidePlayerDataOp(o, r.rows[0] as StoredRow);
  if ('answer' in d) return d.answer;
  const now = Date.now();
  if (d.write === 'delete') {
    // A tombstone (value NULL, size 0) with the next version: a writer holding an older version stays refused.
    await c.query(
      'UPDATE player_data SET value = NULL, version = version + 1, size = 0, updated_at = $3 WHERE player_id = $1 AND data_key = $2',
      [o.playerId, o.key, now],
    );
    return { status: 'ok', version: d.version + 1 };
  }
  const size = Buffer.byteLength(d.text);
  const refused = playerDataQuota(d.exists, size, (await c.query(OTHERS, [o.playerId, o.key])).rows[0] as Record<string, unknown>, limits);
  if (refused) return refused;
  if (d.exists)
    await c.query(
      'UPDATE player_data SET value = $3, version = version + 1, size = $4, updated_at = $5 WHERE player_id = $1 AND data_key = $2',
      [o.playerId, o.key, d.text, size, now],
    );
  else
    await c.query('INSERT INTO player_data (player_id, data_key, value, version, size, updated_at) VALUES ($1, $2, $3, 1, $4, $5)', [
      o.playerId,
      o.key,
      d.text,
      size,
      now,
    ]);
  return { status: 'ok', version: d.version + 1 };
};

/**
 * The batch's operations in order: each run of consecutive loads, saves and deletes in two
 * statements (postgres-player-data-keys.ts; a run reads its rows when it starts, so it sees what the
 * operations before it wrote), each listing or forget on its own (with a `recorder`: recorded,
 * stopping where it says).
 */
const inRuns = async (
  c: pg.PoolClient,
  ops: readonly PlayerDataOp[],
  limits: PlayerDataLimits,
  recorder: Recorder | undefined,
): Promise<PlayerDataOpResult[]> => {
  const results: PlayerDataOpResult[] = [];
  let i = 0;
  while (i < ops.length && !recorder?.stopped()) {
    let j = i;
    while (j < ops.length && isKeyOp(ops[j] as PlayerDataOp)) j++;
    if (j > i) {
      results.push(...(await postgresKeyOps(c, ops.slice(i, j) as PlayerDataKeyOp[], limits, recorder)));
      i = j;
      continue;
    }
    const o = ops[i++] as PlayerDataOp;
    const r = await one(c, o, limits, recorder);
    results.push(r);
    recorder?.add(o, r);
  }
  return results;
};

/**
 * Apply a batch on `c` (a client inside a transaction): lock the players written (a recorded batch:
 * every player it touches), then — a retry with a batch id — answer from the batch's record if its
 * COMMIT landed before (looked up after the locks: an earlier attempt still committing holds them, so
 * its record is seen once they are granted), else run the operations in order — loads, saves and
 * deletes in runs of two statements (postgres-player-data-keys.ts), a listing or a forget on its own
 * between them — and write the record (every answer, reads too; the batch stops once
 * its reads' answers pass `maxReadBytes`) with its loads that answered a value, by player. A forget
 * erases its player's loaded values from every record (`eraseRecorded`).
 */
export const postgresPlayerData = async (
  c: pg.PoolClient,
  ops: readonly PlayerDataOp[],
  limits: PlayerDataLimits,
  options?: PlayerDataApplyOptions,
): Promise<PlayerDataBatchOutcome> => {
  const id = options?.batchId;
  const record = recordsBatch(ops, id);
  const locked = [...new Set((record ? ops : ops.filter(isPlayerDataWrite)).map((o) => o.playerId))];
  if (locked.length) {
    // Sorted by the lock key itself (hash collisions just share a lock): one global order, no deadlock.
    await c.query(
      `SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(p) AS h FROM unnest($2::text[]) AS p ORDER BY h) AS s`,
      [PLAYER_LOCK_CLASS, locked],
    );
  }
  if (options?.pruneBefore !== undefined) {
    await c.query('DELETE FROM player_data_batches WHERE created_at < $1', [options.pruneBefore]);
    await c.query('DELETE FROM player_data_batch_reads WHERE created_at < $1', [options.pruneBefore]);
  }
  if (record && options?.retry) {
    const found = (await c.query('SELECT results FROM player_data_batches WHERE batch_id = $1', [id])).rows[0] as
      | Record<string, unknown>
      | undefined;
    if (found) {
      const recorded = recordedResults(ops, String(found.results));
      const results: PlayerDataOpResult[] = [];
      for (let i = 0; i < recorded.length; i++) results.push(recorded[i] ?? (await one(c, ops[i] as PlayerDataOp, limits)));
      return { results, replayed: true };
    }
  }
  const recorder = record ? batchRecorder(options?.maxReadBytes) : undefined;
  const results = await inRuns(c, ops, limits, recorder);
  if (!record || !recorder) return { results, replayed: false };
  const now = Date.now();
  await c.query('INSERT INTO player_data_batches (batch_id, results, created_at) VALUES ($1, $2, $3)', [id, recorder.text(), now]);
  const reads = recorder.reads();
  if (reads.length)
    await c.query(
      `INSERT INTO player_data_batch_reads (player_id, batch_id, position, data_key, created_at)
       SELECT p, $1, n, k, $2 FROM unnest($3::text[], $4::int[], $5::text[]) AS r(p, n, k)`,
      [id, now, reads.map((r) => r.playerId), reads.map((r) => r.position), reads.map((r) => r.key)],
    );
  return { results, replayed: false };
};
