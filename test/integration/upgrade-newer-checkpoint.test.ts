/**
 * Upgrades from this build onward, seen from this build as the OLD one: the default world's newest
 * checkpoint was written by a newer build (checkpoint schema above `WORLD_SNAPSHOT_SCHEMA`, in the
 * row's meta and the header, as that build writes it; the checksum valid). A real server process
 * started on it refuses to start — exit 2, `WT_ERR_CHECKPOINT_TOO_NEW` naming the world and both
 * versions — instead of reading the part it knows, falling back to the checkpoint before it, or
 * building the default world afresh and checkpointing that over the newer one; the world's rows
 * are as they were (docs/DURABILITY.md "Upgrading (operators)").
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Checkpointer } from '../../src/persist/checkpointer.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../src/persist/world-snapshot.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { populateNpcs } from '../../src/world/populate.js';
import { createSimWorld } from '../../src/world/sim-world.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { forgeCheckpoint, newerSchema, storedRows } from '../helpers/forge-checkpoint.js';
import { startToExit } from '../helpers/refused-start.js';

const NEWER = WORLD_SNAPSHOT_SCHEMA + 1;

describe('upgrade: the default world checkpointed by a newer build', () => {
  const data = tempDataDir('wt-upgrade-newer-ck-');
  afterAll(() => data.remove());
  const file = join(data.dir, 'worldtick.sqlite');

  it('is refused at start: exit 2, a coded message naming the world and both versions, its rows unchanged', async () => {
    // The default world as a server leaves it: a record and two checkpoints; the newest then as a newer build writes it.
    const store = new SqliteStore({ dataDir: data.dir });
    const world = createSimWorld({ id: '1', capacity: 64, seed: 1 });
    populateNpcs(world, { count: 10 });
    const ck = new Checkpointer({ store: () => store, logger: createLogger('silent'), intervalSeconds: 0 });
    ck.track(world, { origin: 'default', npcs: 10 });
    await ck.persist('1');
    await ck.persist('1');
    await store.close();
    await forgeCheckpoint(file, '1', newerSchema, { schema: NEWER });
    const before = storedRows(file, '1');

    const { code, out, err, lines } = await startToExit(data.dir);
    expect(code).toBe(2);
    expect(err).toContain(
      `world "1": checkpoint written by a newer build: snapshot schema ${NEWER}, this build knows up to ${WORLD_SNAPSHOT_SCHEMA}`,
    );
    expect(lines.find((l) => l.level === 60)?.code).toBe('WT_ERR_CHECKPOINT_TOO_NEW');
    expect(lines.find((l) => l.level === 50 && l.world === '1')).toMatchObject({ found: NEWER, known: WORLD_SNAPSHOT_SCHEMA });
    expect(out).not.toContain('"world restored"');
    expect(out).not.toContain('"server ready"');
    expect(storedRows(file, '1')).toEqual(before);
  }, 30_000);
});
