/**
 * Deleting a world's record on PostgreSQL (`PostgresStore.deleteWorldConfig`) so that a write of it
 * still in flight cannot land after the delete (a failed admin create undone while its COMMIT, given
 * up by its client, still runs: docs/ADMIN.md "A create answered 503").
 */
import type pg from 'pg';
import { storeFenced } from '../errors.js';
import type { PgRecordWrite } from './postgres-record-batch.js';
import { mapPgError } from './postgres-tx.js';
import { toWorldConfig } from './rows.js';
import type { WorldConfigRecord } from './types.js';

/** Upsert one world's record on `c` (a write alone: `PostgresStore.putWorldConfig` without its group commit), its fence applied first by the caller. */
export const putWorldConfigRow = async (c: pg.PoolClient, w: PgRecordWrite): Promise<WorldConfigRecord> => {
  const r = await c.query(
    `INSERT INTO world_configs (world_id, config, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (world_id) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at RETURNING *`,
    [w.worldId, w.text, Date.now()],
  );
  return toWorldConfig(r.rows[0] as Record<string, unknown>);
};

/**
 * Longest wait (ms) for a write of the record still in flight (pg's per-query `query_timeout`, a
 * runtime option @types/pg lists for clients only).
 */
const WRITE_WAIT_MS = 60_000;

/**
 * Inside a transaction on `c`: wait for any write of `worldId`'s record in flight, then delete the
 * record and the world's checkpoints (only those of `incarnation` when given). True when a record
 * was deleted. With `token` (the deleting owner's fencing token): refused with `WT_ERR_STORE_FENCED`,
 * nothing deleted, when the world's fence row holds a higher token — another instance took the world over
 * (its lease lapsed while the delete waited) and writes its record: deleting it would only make the record
 * come back with the world still stepping there (docs/CLUSTER.md "Deleting a world").
 */
export const deleteWorldConfigAfterWrites = async (
  c: pg.PoolClient,
  worldId: string,
  incarnation: string | null,
  token: number | null = null,
): Promise<boolean> => {
  // A write of this record whose COMMIT is still running (its client may have given up: query_timeout)
  // holds the world's fence row (a fenced write) or its key (an insert); a DELETE alone would not see
  // the uncommitted row and the write would land after it. Wait for both first: the fence row stays
  // locked until this transaction ends, so a new owner announcing its token waits for the delete too.
  // The waits outlast the pool's query_timeout: a wait given up would leave the late write free to land.
  const wait = (text: string): Promise<unknown> => c.query({ text, values: [worldId], query_timeout: WRITE_WAIT_MS } as pg.QueryConfig);
  const fenced = (await wait('SELECT token FROM fences WHERE world_id = $1 FOR UPDATE')) as pg.QueryResult<{ token: string | number }>;
  const current = fenced.rows.length ? Number(fenced.rows[0]?.token) : 0;
  if (token !== null && current > token) throw storeFenced(worldId, token, current);
  await c.query('SAVEPOINT wait_insert');
  try {
    await wait(`INSERT INTO world_configs (world_id, config, updated_at) VALUES ($1, '', 0) ON CONFLICT (world_id) DO NOTHING`);
  } catch (err) {
    // The database refuses this record (a trigger, a constraint): a write of it cannot land either.
    if (mapPgError(err) !== err || typeof Reflect.get(Object(err), 'code') !== 'string') throw err;
  }
  await c.query('ROLLBACK TO SAVEPOINT wait_insert');
  const r = await c.query(
    `DELETE FROM world_configs WHERE world_id = $1
     AND ($2::text IS NULL OR CASE WHEN config LIKE '{%' THEN config::jsonb ->> 'incarnation' END = $2::text)`,
    [worldId, incarnation],
  );
  // The world's checkpoints go with it (of that incarnation: a newer world of the same id keeps its own).
  await c.query(
    `DELETE FROM checkpoints WHERE world_id = $1
     AND ($2::text IS NULL OR CASE WHEN meta LIKE '{%' THEN meta::jsonb ->> 'incarnation' END = $2::text)`,
    [worldId, incarnation],
  );
  return (r.rowCount ?? 0) > 0;
};
