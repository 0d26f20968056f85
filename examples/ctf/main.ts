/**
 * Run capture the flag: `node --import tsx examples/ctf/main.ts [--port N --admin-port N ...]`
 * (every `npm start` option applies; `--data-dir` keeps the ledger and checkpoints;
 * `CTF_ROUND_SECONDS` sets the round length in world seconds, default 90). Logs `server ready`
 * with the bound ports as a JSON line. Play it with `examples/ctf/bot.ts`.
 */
import { runMain } from '../../src/index.js';
import { ctf } from './game.js';

const env = process.env.CTF_ROUND_SECONDS;
if (env !== undefined && !(Number(env) > 0)) {
  process.stderr.write('ctf: CTF_ROUND_SECONDS must be a number > 0\n');
  process.exit(2);
}
void runMain(ctf);
