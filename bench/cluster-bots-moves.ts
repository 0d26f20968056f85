/**
 * What players feel when their world moves, measured with the load-test bots (docs/BOTS.md "Moves"):
 * two instances (child processes) on a real redis-server and a throwaway PostgreSQL, one world of
 * `--npcs` NPCs on `a`, `--clients` bots (the bots CLI, one process, given b's URL: redirected to a at
 * their join). In the bots' window: the world is migrated a → b (admin API), then its owner (b) is
 * drained (the world goes back to a). Lease TTL: the default 6 s. Every bot follows both moves (closed 4014 after a `redirect`, reconnects,
 * resumes); the bots report the gap each saw (last snapshot before the close → first after the
 * reconnect) over the 2 × clients moves.
 *
 *   npx tsx bench/cluster-bots-moves.ts [--clients 200] [--npcs 2000] [--seconds 24]
 *
 * Prints and writes bench/results/cluster-bots-moves.json (with the load average around the run).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BotsReport } from '../src/bots/report.js';
import { ownersFrom, startInstance, until, type TestInstance } from '../test/helpers/cluster-instances.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { findRedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import { sharedStoreArgs } from '../test/helpers/shared-cluster.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const CLIENTS = arg('clients', 200);
const NPCS = arg('npcs', 2000);
const SECONDS = arg('seconds', 24);
const W = 'mv';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = new URL('../', import.meta.url).pathname;

const sessionsOn = async (i: TestInstance): Promise<number> => {
  const r = await i.api('GET', `/api/v1/worlds/${W}`);
  return r.status === 200 && typeof r.json.sessions === 'number' ? r.json.sessions : -1;
};

const bin = findRedisServer();
const pg = bin ? await startPostgres() : { skip: 'redis-server missing' };
if (!bin || 'skip' in pg) {
  console.error(`skipped: ${'skip' in pg ? pg.skip : 'redis-server missing'}`);
  process.exit(0);
}
const redis = await startRedisServer(bin);
const args = [...sharedStoreArgs(redis, pg), '--npcs', '0', '--balance-interval', '0'];
const inst: TestInstance[] = [];
try {
  inst.push(await startInstance('a', args), await startInstance('b', args));
  const [a, b] = inst as [TestInstance, TestInstance];
  await until('2 instances', async () => (await a.api('GET', '/api/v1/cluster')).json.instances.length === 2, 30_000);
  await a.api('POST', '/api/v1/worlds?placement=local', { id: W, npcs: NPCS, capacity: NPCS + CLIENTS + 100 });
  await until(`b sees a owning ${W}`, async () => (await ownersFrom(b))[W] === 'a', 30_000);

  const file = join(mkdtempSync(join(tmpdir(), 'wt-bots-moves-')), 'report.json');
  const botsArgs = ['--url', b.gameUrl, '--world', W, '--clients', String(CLIENTS), '--full-every', '10', '--concurrency', '50'];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/bots/main.ts', ...botsArgs, '--warmup', '1', '--duration', String(SECONDS), '--no-progress', '--report', file],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const load0 = loadavg();
  await until(`${CLIENTS} bots on a`, async () => (await sessionsOn(a)) === CLIENTS, 120_000, 200);
  await sleep(4000);
  const mig = await a.api('POST', `/api/v1/worlds/${W}/migrate`, { to: 'b' });
  if (mig.status !== 200) throw new Error(`migration failed: ${mig.text}`);
  await until(`${CLIENTS} bots on b`, async () => (await sessionsOn(b)) === CLIENTS, 60_000, 200);
  await sleep(4000);
  // The owner now (b, unless a lease changed hands meanwhile under load) is drained: the world goes to the other.
  const owner = (await ownersFrom(a))[W] === 'a' ? a : b;
  const drain = await owner.api('POST', '/api/v1/cluster/drain');
  const moved = (drain.json.moved as Array<{ worldId: string; pauseMs: number; sessions: number }>).find((m) => m.worldId === W);
  if (!moved) throw new Error(`drain did not move ${W}: ${drain.text}`);
  const code = await exited;
  const load1 = loadavg();
  if (code !== 0) throw new Error(`bots exited ${code}`);
  const r = JSON.parse(readFileSync(file, 'utf8')) as BotsReport;
  const result = {
    at: new Date().toISOString(),
    machine: 'shared 2-core machine (two instances, redis-server, PostgreSQL and the bots on the same cores)',
    loadAverage1m: { before: +load0[0].toFixed(2), after: +load1[0].toFixed(2) },
    clients: CLIENTS,
    npcs: NPCS,
    events: [
      { kind: 'migration a -> b', pauseMs: mig.json.pauseMs, sessions: mig.json.sessions },
      { kind: `drain of ${owner.id}`, pauseMs: moved.pauseMs, sessions: moved.sessions },
    ],
    bots: {
      connected: r.connected,
      disconnects: r.disconnects,
      disconnectsByCode: r.disconnectsByCode,
      movesFollowed: r.movesFollowed,
      moveFailures: r.moveFailures,
      movesResumed: r.movesResumed,
      movesNotResumed: r.movesNotResumed,
      moveGapMs: r.moveGapMs,
      updateLatencyMs: r.updateLatencyMs,
      botsCpuPercent: r.botsCpuPercent,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  const dirOut = new URL('./results/', import.meta.url);
  mkdirSync(dirOut, { recursive: true });
  writeFileSync(new URL('cluster-bots-moves.json', dirOut), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all(inst.map((i) => i.stop()));
  await redis.stop();
  await pg.destroy();
}
