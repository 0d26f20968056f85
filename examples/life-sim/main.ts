/**
 * Run the life-sim: `node --import tsx examples/life-sim/main.ts [options]` — the same as
 * `npm start` (src/cli/main.ts runs this game as its default world).
 */
import { runMain } from '../../src/index.js';
import { lifeSimGame } from './game.js';

void runMain(lifeSimGame);
