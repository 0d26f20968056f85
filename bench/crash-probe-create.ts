/** Probe: is a world created through the admin API (201) still there after a SIGKILL right after the answer? */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { admin, freePort, killServer, startServer, waitUp, writeServerConfig, type ServerSpec } from './crash-campaign-server.js';
import { createDatabase } from './crash-campaign-store.js';

const kind = process.argv[2] ?? 'postgres';
const dir = mkdtempSync(join(tmpdir(), 'wt-probe-'));
const pgs = kind === 'postgres' ? await startPostgres() : null;
if (pgs && 'skip' in pgs) throw new Error(pgs.skip);
const spec: ServerSpec = {
  dir,
  storeUrl: pgs ? await createDatabase(pgs.url, 'probe') : null,
  dataDir: join(dir, 'data'),
  npcs: 100,
  checkpointInterval: 2,
  port: await freePort(),
  adminPort: await freePort(),
};
writeServerConfig(spec);
let lost = 0;
const n = Number(process.argv[3] ?? 10);
for (let i = 0; i < n; i++) {
  const p = startServer(spec);
  await waitUp(spec, p);
  const r = await admin(spec.adminPort, 'POST', '/api/v1/worlds', { id: `w${i}`, npcs: 50 });
  await killServer(p);
  const q = startServer(spec);
  await waitUp(spec, q);
  const g = await admin(spec.adminPort, 'GET', `/api/v1/worlds/w${i}/stats`);
  if (r.status === 201 && g.status !== 200) lost++;
  console.log(JSON.stringify({ i, created: r.status, afterRestart: g.status }));
  await killServer(q);
}
console.log(JSON.stringify({ kind, n, lost }));
if (pgs && !('skip' in pgs)) await pgs.destroy();
process.exit();
