/**
 * A game whose `populate` throws — a bug in a game's world setup. Run by `runMain`, as a game's main
 * is: `node --import tsx test/helpers/hook-throwing-game-main.ts [npm start options]`.
 */
import { defineGame, runMain } from '../../src/index.js';

void runMain(
  defineGame({
    name: 'hook-throwing',
    world: { npcs: 0, physics: 'off' },
    hooks: {
      populate: () => {
        throw new Error('the spawn table is empty');
      },
    },
  }),
);
