/**
 * `npm start` with a continuation after `runMain` (test/integration/cli/run-main-promise.test.ts):
 * prints one JSON line `{"msg":"runMain resolved"}` to stdout if the promise resolves.
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { runMain } from '../../src/index.js';

void runMain(lifeSimGame).then(() => process.stdout.write(`${JSON.stringify({ msg: 'runMain resolved' })}\n`));
