/**
 * The checkpointer writes nothing from steps before its start (docs/DURABILITY.md "A refused start
 * writes nothing": the runtime starts it once its start is committed, while the loop may already step
 * a world): the per-step hook records no clock before `start`, and does after. Real SQLite store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { openStore } from '../../../src/store/open-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, stepWorld } from '../../../src/index.js';
import { fileTempDirs } from '../../helpers/data-dir.js';

const tempDir = fileTempDirs();

describe('Checkpointer.onStep before start', () => {
  it('records no clock before start, and does after', async () => {
    const store = await openStore({ dataDir: tempDir('wt-ck-before-start-') });
    afterAll(() => store.close());
    const ck = new Checkpointer({ store: () => store, logger: createLogger('silent'), intervalSeconds: 0, clockRecordSteps: 5 });
    const world = createSimWorld({ id: 'w', capacity: 16, seed: 1 });
    ck.track(world, { origin: 'admin' });
    pauseWorld(world);
    stepWorld(world, 10);
    ck.onStep(world);
    await ck.stop(); // waits for writes in flight
    expect(await store.getWorldConfig('w')).toBeUndefined();
    ck.start();
    ck.onStep(world);
    await ck.stop();
    expect((await store.getWorldConfig('w'))?.config).toBeDefined();
  });
});
