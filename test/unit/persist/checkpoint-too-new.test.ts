/**
 * A checkpoint written by a newer build (a higher snapshot schema, or a newer container format) is
 * refused with `WT_ERR_CHECKPOINT_TOO_NEW` before anything of it is applied, and the restore neither
 * falls back to the checkpoint kept before it nor rebuilds the world from its record
 * (src/persist/snapshot-checks.ts, snapshot-format.ts, restore.ts). Checkpoints are written by the
 * real checkpointer into a real SQLite file, then rewritten there as a newer build would have written
 * them (header and row meta edited, re-deflated, the row's CRC-32 and raw size updated so the
 * checksum still holds: it is the version check that fires). The rows are compared byte for byte
 * afterwards. A newer version in bytes no checksum verifies is damage, not a newer build: it falls back.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld, loadPersistedWorlds } from '../../../src/persist/restore.js';
import {
  deflateSnapshot,
  inflateSnapshot,
  packSections,
  SNAPSHOT_FORMAT_VERSION,
  snapshotChecksum,
  unpackSections,
} from '../../../src/persist/snapshot-format.js';
import { restoreWorld, WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, stepWorld } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { forgeCheckpoint, newerFormat, newerSchema, storedRows } from '../../helpers/forge-checkpoint.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

const data = tempDataDir('wt-ck-too-new-');
const file = join(data.dir, 'worldtick.sqlite');
let store: Store;
const { lines, logger } = jsonLogSink('info');

const code = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
};

const rows = (worldId: string): unknown => storedRows(file, worldId);
const forge = (worldId: string, edit: (packed: Uint8Array) => Uint8Array, meta?: Record<string, unknown>): Promise<void> =>
  forgeCheckpoint(file, worldId, edit, meta);
const NEWER = WORLD_SNAPSHOT_SCHEMA + 1;

/** Persist world `id` twice (steps 10 and 20), so a fallback to the one kept before the newest would be possible. */
const persistTwice = async (id: string, origin: 'admin' | 'default'): Promise<void> => {
  const world = createSimWorld({ id, capacity: 400, seed: 7 });
  populateNpcs(world, { count: 100 });
  pauseWorld(world);
  const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
  ck.track(world, { origin, npcs: 100 });
  stepWorld(world, 10);
  await ck.persist(id);
  stepWorld(world, 10);
  await ck.persist(id);
};

beforeAll(async () => {
  store = await openStore({ dataDir: data.dir });
  await persistTwice('w', 'admin');
  for (const id of ['h', 'f', 'm', 'u']) await persistTwice(id, 'admin');
  await persistTwice('default', 'default');
  await persistTwice('ok', 'admin');
});
afterAll(async () => {
  await store.close();
  data.remove();
});

describe('a checkpoint written by a newer build', () => {
  it('as a newer build writes it (header and row meta): refused; no fallback, no rebuild, nothing written; logged with both versions', async () => {
    await forge('w', newerSchema, { schema: NEWER });
    const before = rows('w');
    lines.length = 0;
    const err = await loadPersistedWorld(store, logger, 'w').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'WT_ERR_CHECKPOINT_TOO_NEW',
      details: { what: 'schema', found: NEWER, known: WORLD_SNAPSHOT_SCHEMA },
    });
    expect(rows('w')).toEqual(before);
    const line = lines.find((l) => l.world === 'w' && l.found === NEWER);
    expect(line).toMatchObject({ level: 50, what: 'schema', known: WORLD_SNAPSHOT_SCHEMA, step: 20 });
    expect(String(line?.msg)).toContain(`run a build that knows schema ${NEWER}`);
    // Neither the older checkpoint nor the record was tried: no other line about the world.
    expect(lines.filter((l) => l.world === 'w')).toHaveLength(1);
  });

  it('the header alone says a newer schema, its checksum holds: refused the same way (the header check)', async () => {
    await forge('h', newerSchema);
    const before = rows('h');
    const err = await loadPersistedWorld(store, logger, 'h').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_TOO_NEW', details: { what: 'schema', found: NEWER } });
    expect(rows('h')).toEqual(before);
  });

  it('a newer container format in the bytes (checksum holds), or in the row meta (bytes never inflated): refused', async () => {
    await forge('f', newerFormat);
    const before = rows('f');
    const err = await loadPersistedWorld(store, logger, 'f').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_TOO_NEW', details: { what: 'format', known: SNAPSHOT_FORMAT_VERSION } });
    expect(rows('f')).toEqual(before);
    // A newer build that changed the compression itself: its row meta says so; the bytes are not read.
    await forge('m', (b) => b, { format: SNAPSHOT_FORMAT_VERSION + 1 });
    const db = new Database(file);
    db.prepare("UPDATE checkpoints SET data = ? WHERE id = (SELECT max(id) FROM checkpoints WHERE world_id = 'm')").run(
      Buffer.from('not deflate'),
    );
    db.close();
    const m = await loadPersistedWorld(store, logger, 'm').catch((e: unknown) => e);
    expect(m).toMatchObject({ code: 'WT_ERR_CHECKPOINT_TOO_NEW', details: { what: 'format', found: SNAPSHOT_FORMAT_VERSION + 1 } });
  });

  it('a newer schema in bytes no checksum verifies (the row has none): taken as damage, the checkpoint before it is used', async () => {
    await forge('u', newerSchema, { crc32: undefined });
    const p = await loadPersistedWorld(store, logger, 'u');
    expect(p?.checkpoint?.step).toBe(10);
    const row = await store.loadCheckpoint('u');
    expect(await code(restoreWorld(row!.data))).toBe('WT_ERR_CHECKPOINT_CORRUPT');
  });

  it('restoreWorld refuses verified bytes of a newer schema with the code; a schema that is not a positive integer is corrupt', async () => {
    const row = await store.loadCheckpoint('h');
    const crc = Reflect.get(row!.meta, 'crc32') as number;
    expect(await code(restoreWorld(row!.data, { crc32: crc }))).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    const { header, sections } = unpackSections<Record<string, unknown>>(await inflateSnapshot(row!.data));
    const { sections: _m, ...h } = header;
    const bad = packSections(
      { ...h, schema: 'six' },
      [...sections].map(([name, arr]) => ({ name, data: arr })),
    );
    expect(await code(restoreWorld(await deflateSnapshot(bad), { crc32: snapshotChecksum(bad)! }))).toBe('WT_ERR_CHECKPOINT_CORRUPT');
  });

  it('at start: an admin world is not loaded (the others are); the default world throws: the runtime must not start on a fresh one', async () => {
    const before = { w: rows('w'), f: rows('f') };
    const found = await loadPersistedWorlds(store, logger, 'none');
    const ids = found.map((p) => p.world?.id);
    expect(ids).not.toContain('w');
    expect(ids).not.toContain('f');
    expect(found.find((p) => p.world?.id === 'ok')?.checkpoint?.step).toBe(20);
    expect({ w: rows('w'), f: rows('f') }).toEqual(before);
    // The default world, good: loaded. Then written by a newer build: start fails with the code.
    expect((await loadPersistedWorlds(store, logger, 'default')).find((p) => p.record.origin === 'default')?.checkpoint?.step).toBe(20);
    await forge('default', newerSchema, { schema: NEWER });
    const d = rows('default');
    expect(await code(loadPersistedWorlds(store, logger, 'default'))).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    expect(rows('default')).toEqual(d);
  });
});
