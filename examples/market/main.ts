/**
 * Serve the market: `node --import tsx examples/market/main.ts --port 7700 --admin-port 7701 --data-dir ./market-data`
 * (every `npm start` option; `MARKET_RESTOCK_SECONDS` sets the restock period). The ledger's
 * catalogue and the starting coins are the game's own (`defineGame({ catalogue, startingCoins })`
 * in game.ts); a `--config` file's `ledger.catalogue` or `startingCoins`, or `--starting-coins`, win.
 * `--record <file>` records the world's input log; `npm run replay -- <file> --game examples/market/game.ts#game`
 * replays it (the ledger's answers are in the log as `settle` facts).
 */
import { runMain } from '../../src/index.js';
import { game } from './game.js';

void runMain(game);
