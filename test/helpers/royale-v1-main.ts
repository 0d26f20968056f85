/**
 * Serve version 1 of royale (test/helpers/royale-v1.ts) as examples/royale/main.ts served it then:
 * `node --import tsx test/helpers/royale-v1-main.ts [npm start options]`, `ROYALE_*` as there.
 */
import { runMain } from '../../src/index.js';
import { royaleV1 } from './royale-v1.js';

void runMain(royaleV1);
