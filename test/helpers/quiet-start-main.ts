/**
 * A process embedding a server (as a studio's own process or a test does): `node --import tsx
 * test/helpers/quiet-start-main.ts <dataDir> [print]` (or its compiled copy: test/helpers/child-node.ts). Starts a tiny game with `startServer` at
 * `logLevel: 'silent'` and no admin token (one is generated), passing `printAdminUrl: true` when
 * `print` is given; writes one JSON line `{ adminToken, adminPort }` to stdout, stops and exits.
 */
import { defineGame, startServer } from '../../src/index.js';

const [dataDir = '', print] = process.argv.slice(2);
const server = await startServer(defineGame({ name: 'quiet' }), {
  options: { dataDir, host: '127.0.0.1', port: 0, adminPort: 0, adminToken: '', logLevel: 'silent', statsIntervalSeconds: 0 },
  ...(print === 'print' ? { printAdminUrl: true } : {}),
});
process.stdout.write(`${JSON.stringify({ adminToken: server.adminToken, adminPort: server.adminPort })}\n`);
await server.stop();
process.exit(0);
