/**
 * A game's `populate` / `onWorldCreated` that throws while a world is built: the error says which
 * hook of which game threw for which world, with a code (`WT_ERR_GAME_HOOK_FAILED`) and the game's
 * error as its `cause` — not the bare error, which a server's start reported as `start failed` with
 * no code, and nothing on stderr.
 */
import { describe, expect, it } from 'vitest';
import { createGameWorld, defineGame, ErrorCode, isWorldtickError } from '../../../src/index.js';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('a throwing world hook', () => {
  it.each(['populate', 'onWorldCreated'] as const)('%s: WT_ERR_GAME_HOOK_FAILED naming the hook, the game and the world', (hook) => {
    const bug = new Error('hook broke');
    const game = defineGame({
      name: 'hooky',
      hooks: {
        [hook]: () => {
          throw bug;
        },
      },
    });
    const err = thrown(() => createGameWorld(game, { id: 'w7' }));
    expect(isWorldtickError(err, ErrorCode.GAME_HOOK_FAILED)).toBe(true);
    expect(err).toMatchObject({
      message: `game hooky's ${hook} hook threw for world w7: hook broke`,
      details: { game: 'hooky', hook, worldId: 'w7' },
      cause: bug,
    });
  });

  it('a throw that is not an Error is named too', () => {
    const game = defineGame({
      name: 'hooky',
      hooks: {
        populate: () => {
          throw 'oops';
        },
      },
    });
    expect(thrown(() => createGameWorld(game, { id: 'w8' }))).toMatchObject({
      code: ErrorCode.GAME_HOOK_FAILED,
      message: "game hooky's populate hook threw for world w8: oops",
      cause: 'oops',
    });
  });
});
