/**
 * `GAME_KEY_PATTERN` (docs/GAME-API.md `purchaseForPlayer`): the key rule of rewards and purchases as
 * a TypeBox `pattern`, so a game checks a client's transaction id in its message schema — where a bad
 * one is a `BAD_FIELD` answered to the client — instead of `purchaseForPlayer` throwing inside the
 * handler (the message is discarded and the client hears nothing). Schema and call agree on every key.
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { createGameWorld, defineGame, GAME_KEY_PATTERN, grantPlayerReward, purchaseForPlayer, Type } from '../../../src/index.js';

const keys = ['a', 'round:3', 'x'.repeat(48), 'x'.repeat(49), '', 'has space', 'a@b', 'tab\t', 'é', '~!?[]{}', 'A-Z_0.9'];

describe('GAME_KEY_PATTERN', () => {
  it('accepts exactly the keys purchaseForPlayer and grantPlayerReward accept', () => {
    const schema = Type.String({ pattern: GAME_KEY_PATTERN });
    const world = createGameWorld(defineGame({ name: 'keys' }), { id: 'k' });
    const callAccepts = (f: () => unknown): boolean => {
      try {
        f();
        return true;
      } catch {
        return false;
      }
    };
    for (const key of keys) {
      const bySchema = Value.Check(schema, key);
      expect([key, callAccepts(() => purchaseForPlayer(world, 'p1', { key, item: 'potion', quantity: 1, expectedPrice: 10 }))]).toEqual([
        key,
        bySchema,
      ]);
      expect([key, callAccepts(() => grantPlayerReward(world, 'p1', { key, coins: 1 }))]).toEqual([key, bySchema]);
    }
    expect(keys.filter((k) => Value.Check(schema, k))).toEqual(['a', 'round:3', 'x'.repeat(48), '~!?[]{}', 'A-Z_0.9']);
  });
});
