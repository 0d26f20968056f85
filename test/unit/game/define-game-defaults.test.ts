/**
 * `defineGame` checks the game's own server defaults — `net` (game-server settings) and
 * `world.config` (a scheduler patch) — with its other problems. Before, a bad value there passed
 * `defineGame` and was refused only when a server started, as `invalid options: net.bogus …`, which
 * reads like the operator's config file; and `createGameWorld` in a unit test met it later still.
 */
import { describe, expect, it } from 'vitest';
import { defineGame, ErrorCode, isWorldtickError } from '../../../src/index.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect(isWorldtickError(err, ErrorCode.OPTION_INVALID)).toBe(true);
    return (err as { details: { problems: string[] } }).details.problems;
  }
  return [];
};

describe('defineGame: the game net and world.config defaults', () => {
  it('lists a bad net field and a bad world.config value with the other problems', () => {
    expect(
      problemsOf(() =>
        defineGame({
          name: 'bad defaults',
          net: { interestRadius: -1, bogus: 2 } as never,
          world: { config: { simulation: { timeScale: 'x' } } },
        }),
      ),
    ).toEqual([
      'game name must be 1-64 characters of A-Z a-z 0-9 _ . : -',
      'net.bogus is not a known option',
      'net.interestRadius must be a number between 0 and 10000000 (got number -1)',
      expect.stringMatching(/^world\.config\.simulation\.timeScale must be a number/),
    ]);
  });

  it('takes good ones, and leaves relations between net fields to the server (a config file may complete them)', () => {
    expect(
      problemsOf(() =>
        defineGame({
          name: 'ok',
          net: { interestRadius: 300, skipBufferedBytes: 1e9 },
          world: { config: { simulation: { timeScale: 5 } } },
        }),
      ),
    ).toEqual([]);
  });
});
