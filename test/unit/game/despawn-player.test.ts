/**
 * `despawn` is for game entities. A player entity belongs to its session: despawning one from game
 * code left the session open on a dead id (its game messages silently dropped, no `onPlayerLeft`
 * when it closed, and the id free for the next `spawn`, which the session still pointed at). The
 * call is refused with a message saying what to do instead; nothing is removed.
 */
import { describe, expect, it } from 'vitest';
import { createGameWorld, defineGame, despawn, ErrorCode, hasComponent, spawn } from '../../../src/index.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';

const game = defineGame({ name: 'despawn-player' });

describe('despawn', () => {
  it('refuses a player entity (WT_ERR_OPTION_INVALID), which stays a live player', () => {
    const w = createGameWorld(game, { id: 'd', capacity: 8, config: { simulation: { pauseSimulation: true } } });
    const p = spawnPlayer(w, 1, 1);
    expect(() => despawn(w, p)).toThrowError(
      expect.objectContaining({ code: ErrorCode.OPTION_INVALID, message: expect.stringMatching(/is a player.*session/) }),
    );
    expect(hasComponent(w, p, w.stores.Player)).toBe(true);
    // A game entity is still despawned as before.
    const e = spawn(w, { kind: 1, x: 2, y: 2 });
    despawn(w, e);
    expect(hasComponent(w, e, w.stores.Npc)).toBe(false);
  });
});
