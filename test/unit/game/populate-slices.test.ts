/**
 * A game world built across event-loop turns (`createGameWorldInSlices`, src/game/world.ts): the same
 * world as `createGameWorld`, its sliceable modules' NPCs 5,000 per turn; a module that does not say
 * `populateInSlices` is called once.
 */
import { describe, expect, it } from 'vitest';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { createGameWorld, createGameWorldInSlices } from '../../../src/game/world.js';
import { hashWorldState } from '../../../src/game/hash.js';
import { defineGame, type GameModule } from '../../../src/index.js';
import { POPULATE_SLICE } from '../../../src/world/populate.js';

/** Event-loop turns taken while `p` settles (a setImmediate chain counts them). */
const turnsWhile = async <T>(p: Promise<T>): Promise<{ value: T; turns: number }> => {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const value = await p;
  done = true;
  return { value, turns };
};

describe('game worlds populated in slices', () => {
  it('life-sim: the same world (state hash) as one call, built over several event-loop turns', async () => {
    const npcs = 2 * POPULATE_SLICE + 1234;
    const opts = { id: 'w', capacity: npcs + 100, seed: 7, npcs };
    const whole = createGameWorld(lifeSimGame, opts);
    const { value: sliced, turns } = await turnsWhile(createGameWorldInSlices(lifeSimGame, opts));
    expect(hashWorldState(sliced)).toBe(hashWorldState(whole));
    expect(sliced.stores.Position.x.length).toBe(whole.stores.Position.x.length);
    // Three slices, event-loop turns between them (a build in one go settles before any turn).
    expect(turns).toBeGreaterThanOrEqual(1);
    expect((await turnsWhile(Promise.resolve(createGameWorld(lifeSimGame, opts)))).turns).toBe(0);
  });

  it('a module without populateInSlices gets one call with the whole count; the game hook once, after the modules', async () => {
    const calls: string[] = [];
    const mod: GameModule = { name: 'counter', populate: (_w, s) => void calls.push(`module ${s.npcs}`) };
    const sliced: GameModule = { name: 'sliced', populateInSlices: true, populate: (_w, s) => void calls.push(`sliced ${s.npcs}`) };
    const game = defineGame({
      name: 'slices',
      modules: [mod, sliced],
      hooks: { populate: (_w, s) => void calls.push(`hook ${s.npcs}`), onWorldCreated: () => void calls.push('created') },
    });
    await createGameWorldInSlices(game, { id: 'x', capacity: 20_000, npcs: 12_000 });
    expect(calls).toEqual(['module 12000', 'sliced 5000', 'sliced 5000', 'sliced 2000', 'hook 12000', 'created']);
    calls.length = 0;
    createGameWorld(game, { id: 'y', capacity: 20_000, npcs: 12_000 });
    expect(calls).toEqual(['module 12000', 'sliced 12000', 'hook 12000', 'created']);
  });

  it('populateInSlices must be a boolean', () => {
    expect(() => defineGame({ name: 'bad', modules: [{ name: 'm', populateInSlices: 'yes' as never }] })).toThrow(
      /modules\[0\]\.populateInSlices must be a boolean \(got string\)/,
    );
  });
});
