/**
 * Serve the farm: `node --import tsx examples/farm/main.ts --port 7700 --admin-port 7701 --data-dir ./farm-data`
 * (every `npm start` option; `--time-scale 600` grows a 5-minute crop in half a wall second). The
 * FARM_* variables of game.ts set growth, the day, and the crows.
 */
import { runMain } from '../../src/index.js';
import { game } from './game.js';

void runMain(game);
