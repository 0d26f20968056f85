/**
 * Run the player-stats example: `node --import tsx examples/player-stats/main.ts [--port N
 * --admin-port N --data-dir DIR ...]` (every `npm start` option applies).
 */
import { runMain } from '../../src/index.js';
import { playerStats } from './game.js';

void runMain(playerStats);
