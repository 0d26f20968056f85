/**
 * A PostgreSQL player-data batch of key operations only (get, put, delete — no list, no forget) in
 * two statements, whatever its length: one read of the rows of every player the batch touches (their
 * versions and sizes; the values only of the keys it loads), the operations run in order on that copy
 * with the rules both stores share (player-data-rules.ts: a later operation sees an earlier one's
 * write, quotas count the batch's own writes), then one upsert of the rows written, each with its
 * final value and version. Run one statement per operation (3–4 round trips each), a batch of 64
 * saves took ≈ 80 ms (`bench/results/player-data.json`).
 *
 * The caller (postgres-player-data.ts) holds the advisory lock of every player the batch writes, so
 * no other batch writes their rows between the read and the upsert: the versions read are still the
 * stored ones, and writing the final version is what the per-operation path's `version + 1` steps add
 * up to. Answers are the per-operation path's, operation for operation (test/unit/store/
 * player-data-equivalence.test.ts runs random batches on both stores and compares).
 */
import type pg from 'pg';
import { type batchRecorder, decidePlayerDataOp, playerDataQuota } from './player-data-rules.js';
import type { PlayerDataKeyOp, PlayerDataLimits, PlayerDataOp, PlayerDataOpResult } from './types.js';

/** A row as the batch sees it: `live` false is a tombstone; `text` the JSON text when loaded (a key the batch loads) or written here, else null. */
interface KeyRow {
  version: number;
  size: number;
  live: boolean;
  text: string | null;
}

/** A player's rows by key, with the sums a quota check reads (bytes, live keys, all rows). */
interface PlayerRows {
  rows: Map<string, KeyRow>;
  bytes: number;
  n: number;
  total: number;
}

const READ = `SELECT d.player_id, d.data_key, d.version, d.size, d.value IS NOT NULL AS live,
    CASE WHEN g.p IS NULL THEN NULL ELSE d.value END AS value
  FROM player_data d
  LEFT JOIN (SELECT DISTINCT p, k FROM unnest($2::text[], $3::text[]) AS t(p, k)) g ON g.p = d.player_id AND g.k = d.data_key
  WHERE d.player_id = ANY($1::text[])`;

const WRITE = `INSERT INTO player_data (player_id, data_key, value, version, size, updated_at)
  SELECT p, k, v, n, s, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[]) AS t(p, k, v, n, s)
  ON CONFLICT (player_id, data_key) DO UPDATE
  SET value = EXCLUDED.value, version = EXCLUDED.version, size = EXCLUDED.size, updated_at = EXCLUDED.updated_at`;

/** Is `o` a key operation (the ones this path runs)? */
export const isKeyOp = (o: PlayerDataOp): o is PlayerDataKeyOp => o.op === 'get' || o.op === 'put' || o.op === 'delete';

/** Replace (or add) a row, keeping the player's sums. */
const setRow = (p: PlayerRows, key: string, row: KeyRow): void => {
  const old = p.rows.get(key);
  if (old) {
    p.bytes -= old.size;
    p.n -= old.live ? 1 : 0;
  } else p.total++;
  p.rows.set(key, row);
  p.bytes += row.size;
  p.n += row.live ? 1 : 0;
};

const readRows = async (c: pg.PoolClient, ops: readonly PlayerDataKeyOp[]): Promise<Map<string, PlayerRows>> => {
  const players = [...new Set(ops.map((o) => o.playerId))];
  const loads = ops.filter((o) => o.op === 'get');
  const res = await c.query(READ, [players, loads.map((o) => o.playerId), loads.map((o) => o.key)]);
  const out = new Map<string, PlayerRows>(players.map((p) => [p, { rows: new Map(), bytes: 0, n: 0, total: 0 }]));
  for (const r of res.rows as Array<Record<string, unknown>>) {
    const p = out.get(String(r.player_id)) as PlayerRows;
    setRow(p, String(r.data_key), {
      version: Number(r.version),
      size: Number(r.size),
      live: r.live === true,
      text: r.value as string | null,
    });
  }
  return out;
};

/** One operation on the batch's copy: its answer, and the row written (if any) in `p`. */
const runOp = (o: PlayerDataKeyOp, p: PlayerRows, limits: PlayerDataLimits): { result: PlayerDataOpResult; wrote: boolean } => {
  const cur = p.rows.get(o.key);
  // A live row's text is read only for the keys the batch loads; a save or delete needs only that it is live ('' stands in).
  const d = decidePlayerDataOp(o, cur && { version: cur.version, value: cur.live ? (cur.text ?? '') : null });
  if ('answer' in d) return { result: d.answer, wrote: false };
  if (d.write === 'delete') {
    setRow(p, o.key, { version: d.version + 1, size: 0, live: false, text: null });
    return { result: { status: 'ok', version: d.version + 1 }, wrote: true };
  }
  const size = Buffer.byteLength(d.text);
  const rest = { bytes: p.bytes - (cur?.size ?? 0), n: p.n - (cur?.live ? 1 : 0), total: p.total - (cur ? 1 : 0) };
  const refused = playerDataQuota(d.exists, size, rest, limits);
  if (refused) return { result: refused, wrote: false };
  setRow(p, o.key, { version: d.version + 1, size, live: true, text: d.text });
  return { result: { status: 'ok', version: d.version + 1 }, wrote: true };
};

/**
 * Run `ops` in order (with a `recorder`: each answer recorded, stopping where it says) and write their
 * final rows; the answers of the operations run.
 */
export const postgresKeyOps = async (
  c: pg.PoolClient,
  ops: readonly PlayerDataKeyOp[],
  limits: PlayerDataLimits,
  recorder?: ReturnType<typeof batchRecorder>,
): Promise<PlayerDataOpResult[]> => {
  if (!ops.length) return [];
  const players = await readRows(c, ops);
  const results: PlayerDataOpResult[] = [];
  const written = new Map<string, Map<string, KeyRow>>(); // player → key → final row
  for (const o of ops) {
    const p = players.get(o.playerId) as PlayerRows;
    const { result, wrote } = runOp(o, p, limits);
    results.push(result);
    if (wrote) {
      let keys = written.get(o.playerId);
      if (!keys) written.set(o.playerId, (keys = new Map()));
      keys.set(o.key, p.rows.get(o.key) as KeyRow);
    }
    if (recorder?.add(o, result)) break; // the reads' answers passed the budget: the rest go to the next batch
  }
  if (written.size) {
    const cols: [string[], string[], Array<string | null>, number[], number[]] = [[], [], [], [], []];
    // In (player, key) order: row locks are taken in one order whatever the batch's.
    for (const player of [...written.keys()].sort()) {
      const keys = written.get(player) as Map<string, KeyRow>;
      for (const key of [...keys.keys()].sort()) {
        const row = keys.get(key) as KeyRow;
        cols[0].push(player);
        cols[1].push(key);
        cols[2].push(row.live ? row.text : null);
        cols[3].push(row.version);
        cols[4].push(row.size);
      }
    }
    await c.query(WRITE, [...cols, Date.now()]);
  }
  return results;
};
