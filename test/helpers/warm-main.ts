/**
 * `npm start` (src/cli/main.ts: `runMain(lifeSimGame)`, the same two imports and the same call) in a
 * process started AHEAD of its turn: it loads every module first, then waits for one line on stdin
 * and only then runs `runMain` with its own arguments (opening the data directory, binding ports).
 * Run it with `childNodeArgs('test/helpers/warm-main.ts')` (test/helpers/child-node.ts).
 *
 * Why: a child's start is mostly loading modules (~0.7 of ~0.9 s to "server ready" on a quiet
 * machine, compiled). A crash test that restarts a server many times (tx/crash-restart.test.ts)
 * starts the next process while the current one still runs, and SIGKILLs the current one before it
 * says go: the new server touches nothing of the old one's before the kill, as a cold start after it.
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { runMain } from '../../src/game/server.js';

process.stdin.once('data', () => {
  process.stdin.destroy(); // nothing more to read; the pipe must not keep the process alive
  void runMain(lifeSimGame);
});
