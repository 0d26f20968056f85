/**
 * Run the arena: `node --import tsx examples/arena/main.ts [--port N --admin-port N ...]`
 * (every `npm start` option applies). Logs `server ready` with the bound ports as a JSON line.
 */
import { runMain } from '../../src/index.js';
import { arena } from './game.js';

void runMain(arena);
