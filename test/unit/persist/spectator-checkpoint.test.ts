/**
 * A world checkpoint keeps the `Spectator` tag (checkpoint schema 6, `members.Spectator`): the
 * restored world's spectator is still a camera — no physics body — so
 * the original and the restored world, stepped on with the same inputs, keep the same state hash
 * (a restored spectator that became a body again would collide and diverge).
 */
import { addComponent, hasComponent } from 'bitecs';
import { describe, expect, it } from 'vitest';
import { captureWorld, encodeCapture, restoreWorld, WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';

const build = (): { w: SimWorld; player: number; spectator: number } => {
  const w = createSimWorld({
    id: 'spck',
    seed: 4,
    capacity: 64,
    size: 300,
    physics: { shards: 0, mode: 'inline' },
    config: { controller: { enabled: false } },
  });
  const spectator = spawnPlayer(w, 52, 50);
  addComponent(w, spectator, w.stores.Spectator);
  const player = spawnPlayer(w, 46, 50); // 6 units west of the spectator, on its line
  return { w, player, spectator };
};

/** The player walks east through the spectator's point; the spectator drifts slowly. */
const drive = (w: SimWorld, player: number, spectator: number, step: number): void => {
  w.stores.Velocity.x[player] = 4;
  w.stores.Velocity.y[player] = 0;
  w.stores.Velocity.x[spectator] = (step % 2) * 0.1;
  w.stores.Velocity.y[spectator] = 0.05;
};

describe('checkpoint of a world with a spectator', () => {
  it('restores the tag; both worlds step on to the same hash', async () => {
    expect(WORLD_SNAPSHOT_SCHEMA).toBeGreaterThanOrEqual(6);
    const { w, player, spectator } = build();
    for (let s = 0; s < 2; s++) {
      drive(w, player, spectator, s);
      runStep(w);
    }
    const r = await restoreWorld(await encodeCapture(captureWorld(w)));
    expect(hasComponent(r, spectator, r.stores.Spectator)).toBe(true);
    expect(hasComponent(r, player, r.stores.Spectator)).toBe(false);
    // The player walks through where the spectator is: with the tag lost, they would collide.
    for (let s = 2; s < 80; s++) {
      drive(w, player, spectator, s);
      drive(r, player, spectator, s);
      runStep(w);
      runStep(r);
    }
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    expect(r.stores.Position.x[player]).toBeGreaterThan(r.stores.Position.x[spectator] + 2); // walked through
    expect(r.stores.Position.y[player]).toBe(50); // never pushed aside
  });
});
