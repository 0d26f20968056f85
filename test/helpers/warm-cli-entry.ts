/**
 * What `src/cli/main.ts` runs (`runMain(lifeSimGame)`), as exports instead of a call: test/helpers/warm-main.ts
 * loads it ahead of its turn, bundled (test/helpers/child-js-setup.ts), and calls `runMain(lifeSimGame)` on
 * its go line, as src/cli/main.ts would. Keep the two in step if `npm start`'s program changes.
 */
export { lifeSimGame } from '../../examples/life-sim/game.js';
export { runMain } from '../../src/game/server.js';
