/**
 * Checkpoints of a world with physics where bodies touch: a player moved onto an NPC between steps
 * (before the checkpoint and after the restore), two NPCs overlapping, bodies resting in contact.
 * The original and the restored world, stepped on with the same inputs, keep the same state hash
 * step by step (docs/DURABILITY.md).
 */
import { describe, expect, it } from 'vitest';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { createSimWorld, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';

const build = (): { w: SimWorld; player: number; npcs: number[] } => {
  const w = createSimWorld({
    id: 'pcc',
    seed: 9,
    capacity: 64,
    size: 200,
    physics: { shards: 0, mode: 'inline' },
    config: { controller: { enabled: false } },
  });
  const player = spawnPlayer(w, 40, 40);
  const npcs: number[] = [];
  for (let i = 0; i < 8; i++) npcs.push(spawnNpc(w, 60 + 7 * i, 50 + 3 * (i % 3)));
  return { w, player, npcs };
};

const restore = async (w: SimWorld): Promise<SimWorld> => restoreWorld(await encodeCapture(captureWorld(w)));

/** Step both `n` times, comparing the hashes after each step; `before` runs on each world first. */
const stepBoth = (w: SimWorld, r: SimWorld, n: number, before?: (x: SimWorld, k: number) => void): void => {
  for (let k = 0; k < n; k++) {
    before?.(w, k);
    before?.(r, k);
    runStep(w);
    runStep(r);
    expect({ step: k, hash: hashWorldState(r) }).toEqual({ step: k, hash: hashWorldState(w) });
  }
};

const moveOnto = (x: SimWorld, mover: number, target: number, dx = 0.3): void => {
  x.stores.Position.x[mover] = (x.stores.Position.x[target] ?? 0) + dx;
  x.stores.Position.y[mover] = x.stores.Position.y[target] ?? 0;
};

describe('checkpoint of a world with physics, bodies in contact', () => {
  it('a player moved onto an NPC between steps after the restore', async () => {
    const { w, player, npcs } = build();
    for (let k = 0; k < 3; k++) runStep(w);
    const r = await restore(w);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    const npc = npcs[2] ?? 0;
    stepBoth(w, r, 1, (x) => moveOnto(x, player, npc));
    stepBoth(w, r, 30);
  });

  it('a player overlapping an NPC at the moment of the checkpoint', async () => {
    const { w, player, npcs } = build();
    for (let k = 0; k < 3; k++) runStep(w);
    moveOnto(w, player, npcs[4] ?? 0);
    const r = await restore(w);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    stepBoth(w, r, 30);
  });

  it('two NPCs overlapping at the checkpoint', async () => {
    const { w, npcs } = build();
    for (let k = 0; k < 3; k++) runStep(w);
    moveOnto(w, npcs[1] ?? 0, npcs[5] ?? 0, 0.2);
    const r = await restore(w);
    stepBoth(w, r, 30);
  });

  it('bodies resting in contact before the checkpoint', async () => {
    const { w, player, npcs } = build();
    moveOnto(w, player, npcs[0] ?? 0, 0.5);
    moveOnto(w, npcs[3] ?? 0, npcs[6] ?? 0, 0.4);
    for (let k = 0; k < 20; k++) runStep(w);
    const r = await restore(w);
    stepBoth(w, r, 30);
  });
});
