/**
 * Checkpoint statements of the PostgreSQL store (src/store/postgres-store.ts `saveCheckpoint`,
 * `loadCheckpoint`) that take a client; the store opens the transaction and applies the fence.
 */
import type pg from 'pg';
import { checkToken, toCheckpoint, toJsonText } from './rows.js';
import type { Checkpoint, CheckpointInput } from './types.js';

/** A checkpoint's config and meta as stored (checked before anything is sent: a bad one changes nothing). */
export interface CheckpointTexts {
  config: string;
  meta: Record<string, unknown>;
  metaText: string;
}

/** Check `cp`'s token and serialize its config and meta; throws the coded error of a bad one. */
export const checkpointTexts = (cp: CheckpointInput): CheckpointTexts => {
  checkToken(cp.fencingToken);
  const config = toJsonText(cp.config, 'checkpoint config');
  const meta = cp.meta ?? {};
  return { config, meta, metaText: toJsonText(meta, 'checkpoint meta') };
};

/** Insert `cp` and keep the world's newest `keep` checkpoints; returns it as stored. */
export const insertCheckpoint = async (c: pg.PoolClient, cp: CheckpointInput, t: CheckpointTexts, keep: number): Promise<Checkpoint> => {
  const createdAt = Date.now();
  const data = Buffer.from(cp.data.buffer, cp.data.byteOffset, cp.data.byteLength);
  const r = await c.query(
    `INSERT INTO checkpoints (world_id, step, world_time, config, fencing_token, meta, data, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [cp.worldId, cp.step, cp.worldTime, t.config, cp.fencingToken, t.metaText, data, createdAt],
  );
  await c.query(
    `DELETE FROM checkpoints WHERE world_id = $1 AND id NOT IN
     (SELECT id FROM checkpoints WHERE world_id = $1 ORDER BY id DESC LIMIT $2)`,
    [cp.worldId, keep],
  );
  return { ...cp, meta: t.meta, config: JSON.parse(t.config) as unknown, id: Number(r.rows[0].id), createdAt };
};

/** The world's newest checkpoint (older than id `before` when given). */
export const selectCheckpoint = async (c: pg.PoolClient, worldId: string, before?: number): Promise<Checkpoint | undefined> => {
  const r =
    before === undefined
      ? await c.query('SELECT * FROM checkpoints WHERE world_id = $1 ORDER BY id DESC LIMIT 1', [worldId])
      : await c.query('SELECT * FROM checkpoints WHERE world_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1', [worldId, before]);
  return r.rows.length ? toCheckpoint(r.rows[0] as Record<string, unknown>) : undefined;
};
