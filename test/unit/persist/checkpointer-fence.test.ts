/**
 * Fenced checkpoints (docs/DURABILITY.md, "Many instances"): the checkpointer's records and
 * checkpoints carry the fence its `fence` option gives — through the inline writer and through
 * the checkpoint writer thread — so a stale owner's write is refused by the store; with no proof
 * of ownership (`null`) nothing is written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { InlineCheckpointWriter, WorkerCheckpointWriter, type CheckpointWriter } from '../../../src/persist/checkpoint-writer.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Fence } from '../../../src/store/types.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { PassThrough } from 'node:stream';
import { collectJsonLines } from '../../helpers/log-lines.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const setup = (kind: 'inline' | 'worker') => {
  const d = tempDataDir('wt-ck-fence-');
  const store = new SqliteStore({ dataDir: d.dir });
  const writer: CheckpointWriter =
    kind === 'inline' ? new InlineCheckpointWriter(() => store) : new WorkerCheckpointWriter({ dataDir: d.dir });
  let fence: Fence | null | undefined = { worldId: 'w', token: 3 };
  const out = new PassThrough();
  const lines = collectJsonLines(out);
  const ck = new Checkpointer({
    store: () => store,
    logger: createLogger('info', out),
    intervalSeconds: 0,
    writer,
    fence: () => fence,
    owner: () => 'b',
  });
  const world = createSimWorld({ id: 'w', capacity: 200 });
  populateNpcs(world, { count: 100 });
  ck.track(world, { origin: 'admin', npcs: 100 });
  cleanups.push(async () => {
    await ck.stop();
    await writer.close();
    store.close();
    d.remove();
  });
  return { store, ck, lines, setFence: (f: Fence | null | undefined) => (fence = f) };
};

describe('checkpointer fencing', () => {
  for (const kind of ['inline', 'worker'] as const) {
    it(`${kind} writer: writes carry the owner's token; a stale owner's are refused; without proof nothing is written`, async () => {
      const { store, ck, lines, setFence } = setup(kind);
      await store.fence({ worldId: 'w', token: 3 });
      await ck.persist('w');
      const saved = await store.loadCheckpoint('w');
      expect(saved?.fencingToken).toBe(3);
      expect(ck.report('w')).toMatchObject({ saved: 1, failed: 0, recordsWritten: 1 });
      // A new owner announced token 4: this instance's token-3 writes are refused.
      await store.fence({ worldId: 'w', token: 4 });
      await ck.persist('w');
      expect(ck.report('w')).toMatchObject({ saved: 1, failed: 1, recordFailures: 1 });
      expect((await store.loadCheckpoint('w'))?.createdAt).toBe(saved?.createdAt);
      // The fencing working as designed: logged at warn (operators page on error), saying where the world went.
      await new Promise((r) => setImmediate(r));
      expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [40, 'world record write refused: world w moved to instance b (fencing token 3 < 4); dropped, as designed'],
        [40, 'checkpoint refused: world w moved to instance b (fencing token 3 < 4); dropped, as designed'],
      ]);
      // No proof of ownership: nothing written, counted.
      setFence(null);
      await ck.persist('w');
      expect(ck.report('w')).toMatchObject({ saved: 1, failed: 1, recordFailures: 1, skippedNotOwner: 2 });
    });
  }
});
