/**
 * Player data on PostgreSQL (table `player_data`, schema 4): the body of
 * `PostgresStore.applyPlayerData`, run inside its transaction. First a transaction-scoped advisory
 * lock per player written (taken in one order, so two instances' batches cannot deadlock on them):
 * writers of one player are serialized across instances, so the version read before a write is
 * still the stored one when the write lands, and the per-player limits cannot be passed by two
 * writers at once.
 */
import type pg from 'pg';
import { maxRowsOf, type PlayerDataLimits, type PlayerDataOp, type PlayerDataOpResult } from './types.js';

/** First key of the two-key advisory locks of player data (the second is hashtext(player id)). */
const PLAYER_LOCK_CLASS = 770_702;

type Row = Record<string, unknown>;

const one = async (c: pg.PoolClient | pg.Pool, o: PlayerDataOp, limits: PlayerDataLimits): Promise<PlayerDataOpResult> => {
  const r = await c.query('SELECT value, version FROM player_data WHERE player_id = $1 AND data_key = $2', [o.playerId, o.key]);
  const cur = r.rows[0] as Row | undefined;
  const version = cur ? Number(cur.version) : 0;
  const live = cur !== undefined && cur.value !== null;
  if (o.op === 'get') return live ? { status: 'ok', version, value: JSON.parse(String(cur.value)) } : { status: 'ok', version };
  if (o.expectedVersion !== null && o.expectedVersion !== version) return { status: 'stale', version };
  if (o.op === 'delete') {
    if (!live) return { status: 'ok', version };
    // A tombstone (value NULL, size 0) with the next version: a writer holding an older version stays refused.
    await c.query(
      'UPDATE player_data SET value = NULL, version = version + 1, size = 0, updated_at = $3 WHERE player_id = $1 AND data_key = $2',
      [o.playerId, o.key, Date.now()],
    );
    return { status: 'ok', version: version + 1 };
  }
  const size = Buffer.byteLength(o.value);
  const rest = (
    await c.query(
      `SELECT coalesce(sum(size), 0) AS bytes, coalesce(sum(CASE WHEN value IS NULL THEN 0 ELSE 1 END), 0) AS n, count(*) AS total
       FROM player_data WHERE player_id = $1 AND data_key <> $2`,
      [o.playerId, o.key],
    )
  ).rows[0] as Row;
  const bytes = Number(rest.bytes) + size;
  const keys = Number(rest.n) + 1;
  if (bytes > limits.maxBytesPerPlayer || keys > limits.maxKeysPerPlayer) return { status: 'quota', bytes, keys };
  // A new key also needs room among all the player's rows: tombstones are kept, so create-and-delete cannot grow them without bound.
  if (!cur && Number(rest.total) >= maxRowsOf(limits)) return { status: 'quota', bytes, keys };
  if (cur)
    await c.query(
      'UPDATE player_data SET value = $3, version = version + 1, size = $4, updated_at = $5 WHERE player_id = $1 AND data_key = $2',
      [o.playerId, o.key, o.value, size, Date.now()],
    );
  else
    await c.query('INSERT INTO player_data (player_id, data_key, value, version, size, updated_at) VALUES ($1, $2, $3, 1, $4, $5)', [
      o.playerId,
      o.key,
      o.value,
      size,
      Date.now(),
    ]);
  return { status: 'ok', version: version + 1 };
};

/** Apply a batch on `c` (a client inside a transaction): lock the players written, then each operation in order. */
export const postgresPlayerData = async (
  c: pg.PoolClient | pg.Pool,
  ops: readonly PlayerDataOp[],
  limits: PlayerDataLimits,
): Promise<PlayerDataOpResult[]> => {
  const written = [...new Set(ops.filter((o) => o.op !== 'get').map((o) => o.playerId))];
  if (written.length) {
    // Sorted by the lock key itself (hash collisions just share a lock): one global order, no deadlock.
    await c.query(
      `SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(p) AS h FROM unnest($2::text[]) AS p ORDER BY h) AS s`,
      [PLAYER_LOCK_CLASS, written],
    );
  }
  const out: PlayerDataOpResult[] = [];
  for (const o of ops) out.push(await one(c, o, limits));
  return out;
};
