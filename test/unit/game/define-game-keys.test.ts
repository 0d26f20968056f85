/**
 * `defineGame` lists a key it does not know — at the top level, in `world` and in `hooks` — as a
 * problem, with the likely intended name. Before, a mistyped key was ignored: `hooks: {
 * onPlayerJoin }` compiled in plain JavaScript (or from a hooks object built apart, where TypeScript
 * checks no excess property) and the hook simply never ran.
 */
import { describe, expect, it } from 'vitest';
import { defineGame, ErrorCode } from '../../../src/index.js';

const problemsOf = (o: unknown): string[] => {
  try {
    defineGame(o as never);
  } catch (err) {
    expect(err).toMatchObject({ code: ErrorCode.OPTION_INVALID });
    return (err as { details: { problems: string[] } }).details.problems;
  }
  return [];
};

describe('defineGame: unknown keys', () => {
  it('lists each unknown key of the options, world and hooks, with a did-you-mean', () => {
    const hooks = { onPlayerJoin: () => {} };
    expect(problemsOf({ name: 'g', startingcoins: 5, world: { npc: 4 }, hooks, colour: 'red' })).toEqual([
      'startingcoins is not a game option (did you mean startingCoins?)',
      'colour is not a game option',
      'world.npc is not a world option (did you mean npcs?)',
      'hooks.onPlayerJoin is not a hook (did you mean onPlayerJoined?)',
    ]);
  });

  it('accepts every documented key', () => {
    expect(
      problemsOf({
        name: 'g',
        version: 1,
        migrate: () => {},
        modules: [],
        components: [],
        systems: [],
        messages: [],
        serverMessages: [],
        replicate: {},
        hooks: { populate() {}, onWorldCreated() {}, onWorldDeleted() {}, onPlayerJoined() {}, onPlayerLeft() {} },
        timers: [],
        facts: [],
        catalogue: [{ id: 'a', price: 1 }],
        startingCoins: 1,
        clientPurchases: true,
        world: { size: 10, npcs: 0, config: {}, physics: 'off' },
        net: {},
      }),
    ).toEqual([]);
  });
});
