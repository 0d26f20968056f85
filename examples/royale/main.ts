/**
 * Run royale: `node --import tsx examples/royale/main.ts [--port N --admin-port N ...]` (every
 * `npm start` option applies; `--data-dir` keeps the ledger and checkpoints). Phase lengths in world
 * seconds from `ROYALE_COUNTDOWN_SECONDS` (5), `ROYALE_PLAY_SECONDS` (60), `ROYALE_RESULT_SECONDS`
 * (5); `ROYALE_MIN_PLAYERS` (2) starts a countdown. Logs `server ready` with the bound ports.
 */
import { runMain } from '../../src/index.js';
import { royale } from './game.js';

for (const name of ['ROYALE_MIN_PLAYERS', 'ROYALE_COUNTDOWN_SECONDS', 'ROYALE_PLAY_SECONDS', 'ROYALE_RESULT_SECONDS']) {
  const v = process.env[name];
  if (v !== undefined && !(Number(v) > 0)) {
    process.stderr.write(`royale: ${name} must be a number > 0\n`);
    process.exit(2);
  }
}
void runMain(royale);
