/**
 * `startServer` options of the game-API integration tests: a fresh data dir, 127.0.0.1 on free
 * ports, admin token `tok`, silent logs and no stats lines.
 */
import type { ServerOptions } from '../../src/cli/options.js';
import { tempDataDir } from './data-dir.js';

/** The options (a new temporary data dir each call; `prefix` names it). */
export const testServerOptions = (prefix?: string): Partial<ServerOptions> => ({
  dataDir: tempDataDir(prefix).dir,
  host: '127.0.0.1',
  port: 0,
  adminPort: 0,
  adminToken: 'tok',
  logLevel: 'silent',
  statsIntervalSeconds: 0,
});
