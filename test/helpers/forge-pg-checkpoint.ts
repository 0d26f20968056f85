/**
 * The PostgreSQL side of test/helpers/forge-checkpoint.ts: rewrite a world's newest stored checkpoint
 * as a newer build would have written it (bytes edited, re-deflated, checksum and raw size kept valid),
 * put saved rows back, and read a world's rows to compare before and after.
 */
import { deflateSnapshot, inflateSnapshot, snapshotChecksum } from '../../src/persist/snapshot-format.js';
import { withPgClient } from './shared-postgres.js';

const withClient = withPgClient;

/** A checkpoint row as stored (the columns the forge touches). */
export interface PgCheckpointRow {
  id: string;
  meta: string;
  data: Buffer;
}

/**
 * Rewrite the newest checkpoint of `worldId` in the database at `url` (`edit` gets and gives the packed
 * bytes; `meta` fields set in the row's meta). Resolves the row as it was before.
 */
export const forgePgCheckpoint = async (
  url: string,
  worldId: string,
  edit: (packed: Uint8Array) => Uint8Array,
  meta: Record<string, unknown> = {},
): Promise<PgCheckpointRow> =>
  withClient(url, async (c) => {
    const r = await c.query('SELECT id, meta, data FROM checkpoints WHERE world_id = $1 ORDER BY id DESC LIMIT 1', [worldId]);
    const row = r.rows[0] as PgCheckpointRow | undefined;
    if (!row) throw new Error(`no checkpoint of ${worldId}`);
    const packed = edit(await inflateSnapshot(new Uint8Array(row.data)));
    const m = JSON.parse(row.meta) as Record<string, unknown>;
    m.crc32 = snapshotChecksum(packed);
    m.rawBytes = packed.byteLength;
    Object.assign(m, meta);
    await c.query('UPDATE checkpoints SET meta = $1, data = $2 WHERE id = $3', [
      JSON.stringify(m),
      Buffer.from(await deflateSnapshot(packed)),
      row.id,
    ]);
    return row;
  });

/**
 * Put a checkpoint row saved by {@link forgePgCheckpoint} back as it was and touch the world's record
 * (`updated_at` + 1), as an instance of a build that reads it writes both when it runs the world.
 */
export const restorePgCheckpoint = (url: string, worldId: string, row: PgCheckpointRow): Promise<void> =>
  withClient(url, async (c) => {
    await c.query('UPDATE checkpoints SET meta = $1, data = $2 WHERE id = $3', [row.meta, row.data, row.id]);
    await c.query('UPDATE world_configs SET updated_at = updated_at + 1 WHERE world_id = $1', [worldId]);
  });

/** Every row of a world (checkpoints and record), to compare before and after. */
export const pgRows = (url: string, worldId: string): Promise<unknown> =>
  withClient(url, async (c) => ({
    checkpoints: (await c.query('SELECT * FROM checkpoints WHERE world_id = $1 ORDER BY id', [worldId])).rows,
    record: (await c.query('SELECT * FROM world_configs WHERE world_id = $1', [worldId])).rows,
  }));
