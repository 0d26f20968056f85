/**
 * A checkpoint written by a newer build (a higher snapshot schema, or a newer container format) is
 * refused with `WT_ERR_CHECKPOINT_TOO_NEW` before anything of it is applied, and the restore neither
 * falls back to the checkpoint kept before it nor rebuilds the world from its record
 * (src/persist/snapshot-checks.ts, snapshot-format.ts, restore.ts). Checkpoints are written by the
 * real checkpointer into a real SQLite file, then rewritten there as a newer build would have written
 * them (header edited, re-deflated, the row's CRC-32 and raw size updated so the checksum still holds:
 * it is the version check that fires). The rows are compared byte for byte afterwards.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld, loadPersistedWorlds } from '../../../src/persist/restore.js';
import { deflateSnapshot, inflateSnapshot, packSections, unpackSections } from '../../../src/persist/snapshot-format.js';
import { restoreWorld, WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, stepWorld } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { forgeCheckpoint, newerFormat, newerSchema, storedRows } from '../../helpers/forge-checkpoint.js';

const data = tempDataDir('wt-ck-too-new-');
const file = join(data.dir, 'worldtick.sqlite');
let store: Store;
const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }),
);

const code = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
};

const rows = (worldId: string): unknown => storedRows(file, worldId);
const forge = (worldId: string, edit: (packed: Uint8Array) => Uint8Array): Promise<void> => forgeCheckpoint(file, worldId, edit);

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
  await persistTwice('f', 'admin');
  await persistTwice('default', 'default');
  await persistTwice('ok', 'admin');
});
afterAll(async () => {
  await store.close();
  data.remove();
});

describe('a checkpoint written by a newer build', () => {
  it('a newer schema: refused before anything is applied; no fallback, no rebuild, nothing written; logged with both versions', async () => {
    await forge('w', newerSchema);
    const before = rows('w');
    lines.length = 0;
    const err = await loadPersistedWorld(store, logger, 'w').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'WT_ERR_CHECKPOINT_TOO_NEW',
      details: { what: 'schema', found: WORLD_SNAPSHOT_SCHEMA + 1, known: WORLD_SNAPSHOT_SCHEMA },
    });
    expect(rows('w')).toEqual(before);
    const line = lines.find((l) => l.world === 'w' && l.found === WORLD_SNAPSHOT_SCHEMA + 1);
    expect(line).toMatchObject({ level: 50, what: 'schema', known: WORLD_SNAPSHOT_SCHEMA, step: 20 });
    expect(String(line?.msg)).toContain('run a build that knows schema');
    // Neither the older checkpoint nor the record was used: no other line about it.
    expect(lines.filter((l) => l.world === 'w').map((l) => l.msg)).toHaveLength(1);
  });

  it('a newer container format: refused the same way (what: format)', async () => {
    await forge('f', newerFormat);
    const before = rows('f');
    expect(await code(loadPersistedWorld(store, logger, 'f'))).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    const err = await loadPersistedWorld(store, logger, 'f').catch((e: unknown) => e);
    expect(err).toMatchObject({ details: { what: 'format' } });
    expect(rows('f')).toEqual(before);
  });

  it('restoreWorld refuses the bytes with the code (a CRC that holds is not enough)', async () => {
    const row = await store.loadCheckpoint('w');
    const crc = Reflect.get(row!.meta, 'crc32') as number;
    expect(await code(restoreWorld(row!.data, { crc32: crc }))).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    // A schema that is not a positive integer is corrupt, not "too new".
    const { header, sections } = unpackSections<Record<string, unknown>>(await inflateSnapshot(row!.data));
    const { sections: _m, ...h } = header;
    const bad = packSections({ ...h, schema: 'six' }, [...sections].map(([name, arr]) => ({ name, data: arr })));
    expect(await code(restoreWorld(await deflateSnapshot(bad)))).toBe('WT_ERR_CHECKPOINT_CORRUPT');
  });

  it('at start: an admin world is not loaded (the others are); the default world throws: the runtime must not start on a fresh one', async () => {
    const before = { w: rows('w'), f: rows('f') };
    const found = await loadPersistedWorlds(store, logger, 'none');
    expect(found.map((p) => p.world?.id)).not.toContain('w');
    expect(found.map((p) => p.world?.id)).not.toContain('f');
    expect(found.find((p) => p.world?.id === 'ok')?.checkpoint?.step).toBe(20);
    expect({ w: rows('w'), f: rows('f') }).toEqual(before);
    // The default world, good: loaded. Then written by a newer build: start fails with the code.
    expect((await loadPersistedWorlds(store, logger, 'default')).find((p) => p.record.origin === 'default')?.checkpoint?.step).toBe(20);
    await forge('default', newerSchema);
    const d = rows('default');
    expect(await code(loadPersistedWorlds(store, logger, 'default'))).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    expect(rows('default')).toEqual(d);
  });
});
