/**
 * Serve the market: `node --import tsx examples/market/main.ts --port 7700 --admin-port 7701 --data-dir ./market-data`
 * (every `npm start` option; `MARKET_RESTOCK_SECONDS` sets the restock period). The ledger's
 * catalogue and the starting coins come from market.config.json (a game cannot declare its
 * catalogue in `defineGame`); a `--config` of your own given after it wins.
 */
import { fileURLToPath } from 'node:url';
import { runMain } from '../../src/index.js';
import { game } from './game.js';

const config = fileURLToPath(new URL('./market.config.json', import.meta.url));
void runMain(game, ['--config', config, ...process.argv.slice(2)]);
