/**
 * Rewrite a stored checkpoint as a newer build would have written it, in a real SQLite file:
 * the packed bytes edited, re-deflated, and the row's CRC-32 and raw size updated, so the checksum
 * still holds and it is the version check of the reader that fires (test/unit/persist/checkpoint-too-new.test.ts).
 */
import Database from 'better-sqlite3';
import {
  deflateSnapshot,
  inflateSnapshot,
  packSections,
  type SectionIn,
  snapshotChecksum,
  unpackSections,
} from '../../src/persist/snapshot-format.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../src/persist/world-snapshot.js';

/**
 * Rewrite the newest checkpoint of `worldId` in the SQLite `file`: `edit` gets and gives the packed
 * (inflated) bytes; `meta` fields are then set in the row's meta (undefined: removed).
 */
export const forgeCheckpoint = async (
  file: string,
  worldId: string,
  edit: (packed: Uint8Array) => Uint8Array,
  meta: Record<string, unknown> = {},
): Promise<void> => {
  const db = new Database(file);
  try {
    const row = db.prepare('SELECT id, meta, data FROM checkpoints WHERE world_id = ? ORDER BY id DESC LIMIT 1').get(worldId) as
      | { id: number; meta: string; data: Buffer }
      | undefined;
    if (!row) throw new Error(`no checkpoint of ${worldId}`);
    const packed = edit(await inflateSnapshot(new Uint8Array(row.data)));
    const m = JSON.parse(row.meta) as Record<string, unknown>;
    if (typeof m.crc32 !== 'number') throw new Error('the row carries no checksum');
    m.crc32 = snapshotChecksum(packed);
    m.rawBytes = packed.byteLength;
    for (const [k, v] of Object.entries(meta)) {
      if (v === undefined) delete m[k];
      else m[k] = v;
    }
    db.prepare('UPDATE checkpoints SET meta = ?, data = ? WHERE id = ?').run(
      JSON.stringify(m),
      Buffer.from(await deflateSnapshot(packed)),
      row.id,
    );
  } finally {
    db.close();
  }
};

/** Repack packed checkpoint bytes after `edit` changed their header and sections (in place). */
export const editPacked = (packed: Uint8Array, edit: (h: Record<string, any>, s: Map<string, SectionIn['data']>) => void): Uint8Array => {
  const { header, sections } = unpackSections<Record<string, any>>(packed);
  edit(header, sections);
  const { sections: _metas, ...rest } = header;
  return packSections(
    rest,
    [...sections].map(([name, data]) => ({ name, data })),
  );
};

/** A stored (deflated) checkpoint rewritten by {@link editPacked}. */
export const rewriteCheckpoint = async (
  stored: Uint8Array,
  edit: (h: Record<string, any>, s: Map<string, SectionIn['data']>) => void,
): Promise<Uint8Array> => deflateSnapshot(editPacked(await inflateSnapshot(stored), edit));

/** A newer schema: the header says this build's schema + 1 and holds a field and a section this build does not know. */
export const newerSchema = (packed: Uint8Array): Uint8Array =>
  editPacked(packed, (h, s) => {
    h.schema = WORLD_SNAPSHOT_SCHEMA + 1;
    h.futureThings = { count: 3 };
    s.set('future.waiting', new Float64Array([1, 2, 3]));
  });

/** A newer container format: the version word after the magic is bumped. */
export const newerFormat = (packed: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(packed);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, dv.getUint32(4, true) + 1, true);
  return out;
};

/** Every row of a world in the SQLite `file` (checkpoints and record), to compare before and after. */
export const storedRows = (file: string, worldId: string): unknown => {
  const db = new Database(file, { readonly: true });
  try {
    return {
      checkpoints: db.prepare('SELECT * FROM checkpoints WHERE world_id = ? ORDER BY id').all(worldId),
      record: db.prepare('SELECT * FROM world_configs WHERE world_id = ?').all(worldId),
    };
  } finally {
    db.close();
  }
};
