/**
 * Checkpoints of a world with physics where bodies touch: a player moved onto an NPC between steps
 * (before the checkpoint and after the restore), two NPCs overlapping, bodies resting in contact.
 * The original and the restored world, stepped on with the same inputs, keep the same state hash
 * step by step (docs/DURABILITY.md). The restore is given no `physics` option, as a caller that
 * only has the checkpoint: before checkpoint schema 7 such a restore silently built the world
 * without physics (the `movement` system), identical until two bodies touched, then diverged.
 */
import { describe, expect, it } from 'vitest';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { rewriteCheckpoint } from '../../helpers/forge-checkpoint.js';
import { createSimWorld, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';

const physics = {
  shards: 0,
  mode: 'inline',
  obstacles: [{ minX: 120, minY: 0, maxX: 126, maxY: 90, kind: 3 }],
  tuning: { cellSize: 3, npcRadius: 0.6 },
  navigation: { speed: 2.5 },
};

const build = (): { w: SimWorld; player: number; npcs: number[] } => {
  const w = createSimWorld({
    id: 'pcc',
    seed: 9,
    capacity: 64,
    size: 200,
    physics,
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
    // The checkpoint's physics block: tuning, navigation and obstacles as the original's.
    expect(r.physics?.config.tuning).toEqual(w.physics?.config.tuning);
    expect(r.physics?.config.navigation).toEqual(w.physics?.config.navigation);
    expect(r.physics?.config.obstacles).toEqual(w.physics?.config.obstacles);
    expect(r.physics?.config.obstacles).toEqual([{ minX: 120, minY: 0, maxX: 126, maxY: 90, kind: 3 }]);
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

  it('a crowd with tiers and level of detail: the player dropped onto NPCs between steps', async () => {
    const w = createSimWorld({ id: 'pcl', seed: 3, capacity: 1200, size: 240, physics, config: { controller: { enabled: false } } });
    const player = spawnPlayer(w, 30, 30);
    const npcs = populateNpcs(w, { count: 600, movingFraction: 0.8, maxSpeed: 3 });
    w.npcSim.coarseMoveMinNpcs = 300; // a code default, not saved: set on both
    for (let k = 0; k < 12; k++) runStep(w);
    moveOnto(w, player, npcs[10] ?? 0, 0.1);
    const r = await restore(w);
    r.npcSim.coarseMoveMinNpcs = 300;
    expect(w.physics?.lod.on).toBe(true); // dormant NPCs outside the step
    expect(r.physics?.lod.on).toBe(true);
    stepBoth(w, r, 30, (x, k) => {
      if (k % 10 === 5) moveOnto(x, player, npcs[(k * 37) % npcs.length] ?? 0, 0.2);
    });
  }, 20_000);

  it('a physics option given to the restore wins over the checkpoint', async () => {
    const { w } = build();
    runStep(w);
    const bytes = await encodeCapture(captureWorld(w));
    expect((await restoreWorld(bytes, { physics: false })).physics).toBeNull();
    const other = await restoreWorld(bytes, { physics: { shards: 0, tuning: { cellSize: 5 } } });
    expect(other.physics?.config.tuning.cellSize).toBe(5);
    expect(other.physics?.config.obstacles).toEqual([]);
  });

  it('a world without physics comes back without; a schema-6 checkpoint (no physics block) as before', async () => {
    const plain = createSimWorld({ id: 'pcn', seed: 1, capacity: 16, size: 100, config: { controller: { enabled: false } } });
    runStep(plain);
    expect((await restore(plain)).physics).toBeNull();
    const { w } = build();
    runStep(w);
    const schema6 = await rewriteCheckpoint(await encodeCapture(captureWorld(w)), (h, s) => {
      h.schema = 6;
      delete h.physics.config;
      s.delete('physics.obstacles');
    });
    expect((await restoreWorld(schema6)).physics).toBeNull();
    // A header's block is validated like any other, and a map file named in it is never read.
    const forged = async (edit: (c: Record<string, unknown>) => void): Promise<SimWorld> =>
      restoreWorld(await rewriteCheckpoint(await encodeCapture(captureWorld(w)), (h) => edit(h.physics.config)));
    await expect(forged((c) => Object.assign(c, { tuning: { cellSize: -1 } }))).rejects.toMatchObject({ code: 'WT_ERR_CONFIG_INVALID' });
    const mapped = await forged((c) => Object.assign(c, { map: '/nonexistent/map.json' }));
    expect(mapped.physics?.config.map).toBe('');
    expect(mapped.physics?.config.obstacles.length).toBe(1);
    expect((await restoreWorld(schema6, { physics })).physics?.config.obstacles.length).toBe(1);
  });
});
