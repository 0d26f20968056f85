/**
 * A world paused or resumed by the operator comes back in that state, whichever of its checkpoint and
 * its record was written last (src/core/step.ts: pause and resume change `pauseSimulation`, part of the
 * scheduler config, so they bump `configVersion`; src/persist/restore.ts applyWorldRecord takes the
 * record's config only when it is newer). Before, a world never reconfigured (configVersion 0) took the
 * record's config whatever its age: a world paused and checkpointed, killed before its record caught
 * up (within 1 s), restarted running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseWorld, resumeWorld, stepWorld } from '../../../src/index.js';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { newIncarnation, worldRecordOf } from '../../../src/persist/world-record.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const data = tempDataDir('wt-pause-restore-');
const logger = createLogger('silent');
let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: data.dir });
});
afterAll(async () => {
  await store.close();
  data.remove();
});

describe('pause and resume across a restore', () => {
  it('pause and resume bump configVersion once per change', () => {
    const w = createSimWorld({ id: 'v', capacity: 10, seed: 1 });
    const v0 = w.configVersion;
    pauseWorld(w);
    expect([w.clock.paused, w.config.simulation.pauseSimulation, w.configVersion]).toEqual([true, true, v0 + 1]);
    pauseWorld(w); // already paused: no change
    expect(w.configVersion).toBe(v0 + 1);
    resumeWorld(w);
    expect([w.clock.paused, w.config.simulation.pauseSimulation, w.configVersion]).toEqual([false, false, v0 + 2]);
  });

  it('paused after its last record, checkpointed, killed: comes back paused', async () => {
    const world = createSimWorld({ id: 'p', capacity: 50, seed: 2 });
    const incarnation = newIncarnation();
    const running = worldRecordOf(world, { origin: 'admin', incarnation, npcs: 0 }); // the record before the pause
    pauseWorld(world);
    stepWorld(world, 3);
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
    ck.track(world, { origin: 'admin', npcs: 0, incarnation });
    await ck.persist('p'); // checkpoint (and record) of the paused world
    await store.putWorldConfig('p', running); // the record as it was when the process died: not caught up
    const p = await loadPersistedWorld(store, logger, 'p');
    expect(p?.checkpoint).not.toBeNull();
    expect(p?.world?.clock.step).toBe(3);
    expect(p?.world?.clock.paused).toBe(true);
  });

  it('resumed after its checkpoint, record written: comes back running', async () => {
    const world = createSimWorld({ id: 'r', capacity: 50, seed: 3 });
    pauseWorld(world);
    stepWorld(world, 2);
    const incarnation = newIncarnation();
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
    ck.track(world, { origin: 'admin', npcs: 0, incarnation });
    await ck.persist('r'); // checkpoint while paused
    resumeWorld(world);
    await store.putWorldConfig('r', worldRecordOf(world, { origin: 'admin', incarnation, npcs: 0 })); // the record after the resume
    const p = await loadPersistedWorld(store, logger, 'r');
    expect(p?.checkpoint).not.toBeNull();
    expect(p?.world?.clock.paused).toBe(false);
  });
});
