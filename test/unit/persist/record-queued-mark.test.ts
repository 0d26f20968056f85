/**
 * A clock record asked for while the world's previous record is still being written (a SQLite record
 * waits up to 20 ms for its group commit, src/store/sqlite-record-batch.ts) is written right after it
 * and marked when queued, as a write is when it starts: `lastRecordStep` (GET /stats `checkpoint`) is
 * the step of the last record asked for, and the per-step hook asks once per N steps, not at every
 * step while a write waits. Before, a burst of 25 forced steps showed lastRecordStep 10 until the
 * step-10 record committed (fresh-clone CI: test/integration/durability/forced-step-record.test.ts).
 * Real SQLite store, with a long group-commit window so the first record is still waiting.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, stepWorld } from '../../../src/index.js';
import { fileTempDirs } from '../../helpers/data-dir.js';

const tempDir = fileTempDirs();

describe('a clock record queued behind the one in flight', () => {
  it('is marked when queued, and written after it with the clock of then', async () => {
    const store = new SqliteStore({ dataDir: tempDir('wt-ck-queued-'), recordBatchMs: 60_000 });
    afterAll(() => store.close());
    const ck = new Checkpointer({ store: () => store, logger: createLogger('silent'), intervalSeconds: 0, clockRecordSteps: 10 });
    const world = createSimWorld({ id: 'w', capacity: 16, seed: 1 });
    ck.track(world, { origin: 'admin' });
    pauseWorld(world);
    ck.start();
    for (let i = 0; i < 25; i++) {
      stepWorld(world, 1);
      ck.onStep(world);
    }
    const report = (): number => ck.report('w')?.lastRecordStep ?? -1;
    // The step-10 record waits for its group commit; step 20's is queued behind it and marked.
    expect(store.stats().transactions).toBe(0);
    expect(report()).toBeGreaterThan(world.clock.step - 10);
    // Any other store call commits the records waiting (the window is a minute): the first, then the queued one.
    const storedStep = async (): Promise<number | undefined> =>
      ((await store.getWorldConfig('w'))?.config as { clock?: { step?: number } } | undefined)?.clock?.step;
    const steps: Array<number | undefined> = [];
    for (let i = 0; i < 20 && steps.at(-1) !== world.clock.step; i++) {
      steps.push(await storedStep());
      await new Promise((r) => setImmediate(r));
    }
    expect(steps[0]).toBeLessThanOrEqual(10); // the first record, asked for in the first 10 steps
    expect(steps.at(-1)).toBe(world.clock.step);
    expect(report()).toBe(world.clock.step);
    await ck.stop();
  });
});
