/**
 * A deleted world's checkpoint that is only queued for the checkpoint writer thread (not handed to it
 * yet) is dropped, not written: the delete waits only for one in flight (docs/DURABILITY.md "Off the
 * loop"). Real SQLite store, real writer thread (one write at a time on SQLite).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { openCheckpointStack, type CheckpointStack } from '../../helpers/checkpoint-stack.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real SQLite store in a temp dir, its checkpoint-writer thread and a checkpointer on them (closed after the test). */
const open = (): CheckpointStack => {
  const stack = openCheckpointStack('wt-ck-drop-');
  cleanups.push(() => stack.close());
  return stack;
};

describe('deleting a world whose checkpoint is queued', () => {
  it('drops the queued checkpoint (answered untracked, never written); nothing of the world is left in the store', async () => {
    const { store, ck } = open();
    const ids = ['b0', 'b1', 'b2', 'b3', 'b4', 'a'];
    for (const id of ids) {
      const world = createSimWorld({ id, capacity: 2000 });
      populateNpcs(world, { count: 1000 });
      ck.track(world, { origin: 'admin', npcs: 1000 });
      await ck.record(id);
    }
    expect(await store.hasWorldConfig('a')).toBe(true);
    // Five other worlds' checkpoints first, then a's: a's waits behind them for the one writer thread.
    const others = ids.slice(0, 5).map((id) => ck.checkpoint(id));
    const queued = ck.checkpoint('a');
    const deleted = await ck.untrack('a', { forget: true });
    expect(deleted).toBe(true);
    expect(await queued).toEqual({ status: 'untracked' });
    for (const o of await Promise.all(others)) expect(o.status).toBe('saved');
    await ck.stop();
    expect(await store.loadCheckpoint('a')).toBeUndefined();
    expect(await store.hasWorldConfig('a')).toBe(false);
    for (const id of ids.slice(0, 5)) expect((await store.loadCheckpoint(id))?.worldId).toBe(id);
  });

  it('a checkpoint asked for while one of the world is in flight is not written after the delete', async () => {
    const { store, ck, writer } = open();
    const world = createSimWorld({ id: 'a', capacity: 2000 });
    populateNpcs(world, { count: 1000 });
    ck.track(world, { origin: 'admin', npcs: 1000 });
    await ck.record('a');
    const first = ck.checkpoint('a');
    const second = ck.checkpoint('a'); // waits in the checkpointer for the first
    expect(await ck.untrack('a', { forget: true })).toBe(true);
    const outcomes = await Promise.all([first, second]);
    expect(outcomes[1]).toEqual({ status: 'untracked' });
    await ck.stop();
    await writer.close();
    expect(await store.loadCheckpoint('a')).toBeUndefined();
    expect(await store.hasWorldConfig('a')).toBe(false);
  });
});
