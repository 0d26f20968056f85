/**
 * Probe: Redis restarted without its data (SIGKILL, no persistence) under a running instance whose
 * world's fencing token in the store is above what the fresh Redis counter hands out. Does the world
 * step again (docs/CLUSTER.md: "the migration phase will seed it on acquire")?
 *   npx tsx bench/crash-probe-redis-loss.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { admin, freePort, killServer, sleep, startServer, waitUp, writeServerConfig, type ServerSpec } from './crash-campaign-server.js';
import { createDatabase } from './crash-campaign-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-probe-redis-'));
const pgs = await startPostgres();
if ('skip' in pgs) throw new Error(pgs.skip);
const redisPort = await freePort();
const startRedis = (): ChildProcess =>
  spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
let redis = startRedis();
await sleep(500);
const spec: ServerSpec = {
  dir,
  storeUrl: await createDatabase(pgs.url, 'probe'),
  dataDir: join(dir, 'data'),
  npcs: 100,
  checkpointInterval: 1,
  port: await freePort(),
  adminPort: await freePort(),
  extraArgs: ['--redis', `redis://127.0.0.1:${redisPort}`, '--instance-id', 'a', '--lease-ttl', '2'],
};
writeServerConfig(spec);
const lease = async (): Promise<string> => {
  const r = await admin(spec.adminPort, 'GET', '/api/v1/cluster').catch(() => null);
  const s = await admin(spec.adminPort, 'GET', '/api/v1/worlds/1/stats').catch(() => null);
  const l = (r?.json?.leases ?? []).find((x: { worldId: string }) => x.worldId === '1');
  return `lease ${l ? `${l.instanceId}:${l.fencingToken}` : 'none'}, step ${s?.json?.step}, fenceRefusals ${r?.json?.counters?.fenceRefusals}`;
};
let p = startServer(spec);
await waitUp(spec, p);
await sleep(3000);
console.log('first start:', await lease());
await killServer(p);
await sleep(3000); // the lease expires: the next grant is a new token
p = startServer(spec);
await waitUp(spec, p);
await sleep(3000);
console.log('after a restart past the TTL:', await lease());
redis.kill('SIGKILL');
await sleep(300);
redis = startRedis();
for (let i = 0; i < 6; i++) {
  await sleep(2500);
  console.log(`${(i + 1) * 2.5} s after Redis lost its data:`, await lease());
}
await killServer(p);
redis.kill('SIGKILL');
await pgs.destroy();
process.exit();
