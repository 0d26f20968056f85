/**
 * A real runtime in a child process for the admin fuzz test (a native crash shows up as an exit
 * of this process, not of the test runner). Prints one JSON line `{ admin, game, routes }` with the
 * bound ports and the admin routes (`METHOD /pattern`) once started; answers each `stats` line on stdin with a JSON line of the admin
 * server's counters; stops on `stop` or stdin end.
 */
import { createInterface } from 'node:readline';
import { parseOptions } from '../../src/cli/options.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/server/runtime.js';
import { tempDataDir } from '../helpers/data-dir.js';

const token = process.env.WT_FUZZ_ADMIN_TOKEN ?? 'fuzz-token';
const rt = createRuntime(
  parseOptions(
    [
      '--npcs',
      '200',
      '--world-size',
      '400',
      '--tick-interval',
      '0.02',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--stats-interval',
      '0',
      '--admin-token',
      token,
      '--data-dir',
      tempDataDir('wt-fuzz-admin-').dir,
    ],
    {},
  ),
  createLogger('silent'),
);
await rt.start();
process.stdout.write(
  `${JSON.stringify({ admin: rt.admin.port, game: rt.gameServer.port, routes: rt.admin.routes.map((r) => `${r.method} ${r.pattern}`) })}\n`,
);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'stats')
    process.stdout.write(`${JSON.stringify({ counters: rt.admin.counters, worlds: rt.runner.worlds().map((w) => w.id) })}\n`);
  if (line === 'stop') void rt.stop().then(() => process.exit(0));
});
rl.on('close', () => void rt.stop().then(() => process.exit(0)));
