/**
 * Suite `soak-all` (`npm run bench -- soak-all [--minutes N] [--quick]`, or `npx tsx bench/soak-all.ts`):
 * does a server that runs a long time with everything happening at once stay bounded? The real CLI
 * (`npm start`: src/cli/main.ts, the life-sim game, embedded SQLite in a temporary data dir) in a child
 * process with its inspector on (`SOAK_STORE=postgres`: on a throwaway PostgreSQL server the bench
 * starts, `--store postgres://…`), driven at once by: agents that join, move, buy (3 purchases in 10
 * with a key they used before), drop and resume, and send hostile frames (bench/soak-clients.ts); the
 * bots CLI's `churn` scenario; short-lived worlds created and deleted through the admin API with two
 * agents in each; admin kicks; hostile sockets sending the fuzz generators' malformed frames; an admin
 * poller (API reads, `/metrics`, wrong tokens). Every `SOAK_SAMPLE_SECONDS` (10) a sample
 * (bench/soak-all-sample.ts): heap after full GCs, rss, fds, sessions, parked, worlds, ingest and other
 * queues, the store's size and its WAL's (bench/soak-all-store.ts), event-loop utilization.
 *
 * Phases: a warm-up (⅕ of the run, at most 2 minutes), the clients drained and an idle sample; the
 * measured run of `--minutes` (default 10; 1 with `--quick`), sampled; drained again and a second idle
 * sample (their difference: what no live client explains); then a clean restart (SIGTERM, started on
 * the same data dir) checking that the worlds are back and a purchase key used before is answered
 * `replayed`. `SOAK_SNAPSHOTS=1` writes heap snapshots at both idle samples (/tmp/soak-all-{before,after}.heapsnapshot;
 * compare them with bench/heap-diff.ts). Writes bench/results/soak-all.json (soak-all-postgres.json with `SOAK_STORE=postgres`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { admin, freePort, killServer, type ServerSpec, sleep, startServer, waitUp } from './crash-campaign-server.js';
import { runSuite, type Suite } from './harness.js';
import {
  buyOnce,
  newMixCounts,
  runHostile,
  runKicks,
  runWorldAgents,
  runWorldChurn,
  startBots,
  stopBots,
  type Target,
} from './soak-all-traffic.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { fdKinds, growthOf, type Point, sampler } from './soak-all-sample.js';
import { postgresProbe, sqliteProbe, type StoreProbe } from './soak-all-store.js';
import { newTraffic, runAdmin } from './soak-clients.js';
import { writeSnapshot } from './soak-cluster-probe.js';

const env = (name: string, d: number): number => (process.env[name] ? Number(process.env[name]) : d);

/** `--minutes N` or `--minutes=N` on the command line (null when absent). */
export const minutesArg = (argv: readonly string[]): number | null => {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const v = a === '--minutes' ? argv[i + 1] : a.startsWith('--minutes=') ? a.slice('--minutes='.length) : undefined;
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--minutes must be a number > 0, got ${v}`);
    return n;
  }
  return null;
};

export const soakAllSuite: Suite = {
  name: 'soak-all',
  // The PostgreSQL variant keeps its own file: bench/results/soak-all-postgres.json.
  resultName: () => (process.env.SOAK_STORE === 'postgres' ? 'soak-all-postgres' : 'soak-all'),
  async run(ctx) {
    const minutes = minutesArg(process.argv) ?? (ctx.quick ? 1 : 10);
    const runSeconds = Math.round(minutes * 60);
    const warmup = env('SOAK_WARMUP_SECONDS', Math.min(120, Math.round(runSeconds / 5)));
    const sampleEvery = env('SOAK_SAMPLE_SECONDS', ctx.quick ? 5 : 10);
    const agents = env('SOAK_AGENTS', ctx.quick ? 10 : 24);
    const pool = 3;
    const bots = env('SOAK_BOTS', ctx.quick ? 10 : 30);
    const churnRate = env('SOAK_BOTS_CHURN', ctx.quick ? 1 : 3);
    const hostile = env('SOAK_HOSTILE', 3);
    const graceSeconds = 5;
    const snapshots = process.env.SOAK_SNAPSHOTS === '1';
    const storeKind = process.env.SOAK_STORE ?? 'sqlite';
    if (storeKind !== 'sqlite' && storeKind !== 'postgres') throw new Error(`SOAK_STORE must be sqlite or postgres, got ${storeKind}`);

    const dir = mkdtempSync(join(tmpdir(), 'wt-soak-all-'));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    // PostgreSQL: a server of the bench's own (its files in <pgDir>/data; a folder of its own, which
    // startPostgres hands to the postgres user), stopped and deleted at the end.
    const pgDir = storeKind === 'postgres' ? mkdtempSync(join(tmpdir(), 'wt-pg-')) : '';
    const pgServer = pgDir ? await startPostgres({ dir: pgDir }) : null;
    if (pgServer && 'skip' in pgServer) throw new Error(`SOAK_STORE=postgres: ${pgServer.skip}`);
    const store: StoreProbe = pgServer ? await postgresProbe(pgServer.url, join(pgDir, 'data')) : sqliteProbe(dataDir);
    // The PostgreSQL server and the run's folder go also when the run fails.
    try {
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({ net: { resumeGraceSeconds: graceSeconds, maxConnectionsPerAddress: 0 } }), // loopback: one address for all
      );
      const inspectPort = await freePort();
      const spec: ServerSpec = {
        dir,
        storeUrl: pgServer ? pgServer.url : null,
        dataDir,
        npcs: 200,
        checkpointInterval: 5,
        port: await freePort(),
        adminPort: await freePort(),
        nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`],
      };
      let proc = startServer(spec);
      await waitUp(spec, proc);
      const pid = proc.child.pid ?? 0;
      const tg: Target = { url: `ws://127.0.0.1:${spec.port}`, adminPort: spec.adminPort, graceMs: graceSeconds * 1000 };
      const sample = sampler({ pid, inspectPort, adminPort: spec.adminPort, dataDir, store });
      const traffic = newTraffic();
      const mix = newMixCounts();
      const botsExits: Array<number | null> = [];
      const botsReports: unknown[] = [];

      // Before: a world that must survive the restart, and a purchase whose key is repeated after it.
      const keep = await admin(spec.adminPort, 'POST', '/api/v1/worlds', { id: 'soak-keep', npcs: 20 });
      const bought = await buyOnce(tg.url, 'soak-restart-buyer', 'soak-restart-key');

      /** Everything at once for `ms`; a sample every `sampleEvery` into `points` (t from the phase start). */
      const play = async (ms: number, points: Point[], phase: string): Promise<void> => {
        let stopped = false;
        const stop = () => stopped;
        const report = join(dir, `bots-${phase}.json`);
        const botsProc = startBots(tg, { clients: bots, churnRate, seconds: Math.ceil(ms / 1000) + 60, report });
        const runs = [
          ...runWorldAgents(tg, agents, pool, traffic, stop),
          runWorldChurn(tg, { npcs: 30, lifeMs: 4000, gapMs: 1000 }, traffic, mix, stop),
          runKicks(tg, agents, pool, 2000, mix, stop),
          ...Array.from({ length: hostile }, (_, k) => runHostile(tg, 4242 + k + points.length * 10, 4096, mix, stop)),
          runAdmin(`http://127.0.0.1:${spec.adminPort}`, 'crash-campaign-admin-token', traffic, stop),
        ];
        const t0 = performance.now();
        const until = Date.now() + ms;
        while (Date.now() < until) {
          await sleep(Math.min(sampleEvery * 1000, until - Date.now()));
          const p = await sample((performance.now() - t0) / 1000);
          points.push(p);
          ctx.log(
            `  ${phase} t=${p.t}s heap ${p.heapMiB} rss ${p.rssMiB} MiB fds ${p.fds} (sockets ${p.fdSockets}, files ${p.fdFiles}) sessions ${p.sessions} parked ${p.parked} worlds ${p.worlds} ingest ${p.ingestPending} wal ${p.walMiB} store ${p.storeMiB} MiB elu ${p.elu} load ${os.loadavg()[0]?.toFixed(1)}`,
          );
        }
        stopped = true;
        botsExits.push(await stopBots(botsProc));
        await Promise.all(runs);
        try {
          botsReports.push(pick(JSON.parse(readFileSync(report, 'utf8'))));
        } catch {
          botsReports.push(null);
        }
      };
      /** Wait until no session, parked player or queued join is left (at most 60 s), then sample. */
      const drained = async (): Promise<Point> => {
        let p = await sample(0);
        for (let i = 0; i < 60 && p.sessions + p.parked + p.joinsWaiting > 0; i++) {
          await sleep(1000);
          p = await sample(0);
        }
        return p;
      };

      ctx.log(
        `soak-all: ${minutes} min measured after a ${warmup} s warm-up; ${agents} agents, ${bots} churn bots (${churnRate}/s), ${hostile} hostile sockets, world churn, kicks; a sample every ${sampleEvery} s`,
      );
      /** The idle state once the clients drained: sample, store rows, descriptors by kind (and a heap snapshot named `when`). */
      const idleState = async (when: 'before' | 'after') => {
        const idle = await drained();
        const rows = await store.rows();
        const fds = fdKinds(pid);
        if (snapshots) await writeSnapshot(inspectPort, join(tmpdir(), `soak-all-${when}.heapsnapshot`));
        return { idle, rows, fds };
      };
      const warm: Point[] = [];
      await play(warmup * 1000, warm, 'warmup');
      const { idle: idleBefore, rows: rowsBefore, fds: fdsBefore } = await idleState('before');
      const points: Point[] = [];
      await play(runSeconds * 1000, points, 'run');
      const { idle: idleAfter, rows: rowsAfter, fds: fdsAfter } = await idleState('after');
      const growth = growthOf(points);
      const growing = Object.entries(growth)
        .filter(([, g]) => g.growing)
        .map(([k]) => k);

      // Restart: a clean stop, the same data dir; the worlds back, the repeated key answered `replayed`.
      const worldIds = async (): Promise<string[]> =>
        ((await admin(spec.adminPort, 'GET', '/api/v1/worlds')).json?.worlds ?? []).map((w: { id: string }) => w.id).sort();
      const before = await worldIds();
      const firstErrors = proc.errors.slice(0, 20);
      const stopExit = await new Promise<number | null>((r) => {
        proc.child.once('exit', (code) => r(code));
        proc.child.kill('SIGTERM');
      });
      proc = startServer({ ...spec, nodeArgs: [] });
      await waitUp(spec, proc);
      const after = await worldIds();
      const repeated = await buyOnce(tg.url, 'soak-restart-buyer', 'soak-restart-key');
      await killServer(proc);

      ctx.record('settings', {
        minutes,
        warmupSeconds: warmup,
        sampleEvery,
        agents,
        identitiesPerAgent: pool,
        bots,
        botsChurnPerSecond: churnRate,
        hostileSockets: hostile,
        resumeGraceSeconds: graceSeconds,
        store: storeKind,
        server: `src/cli/main.ts (life-sim), ${pgServer ? 'PostgreSQL (a throwaway server)' : 'SQLite'}, 200 NPCs, --time-scale 20000, --checkpoint-interval 5`,
      });
      ctx.record('growing', growing);
      ctx.record('growth', growth);
      ctx.record('idleBefore', idleBefore);
      ctx.record('idleAfter', idleAfter);
      ctx.record('idleDelta', {
        heapMiB: round2(idleAfter.heapMiB - idleBefore.heapMiB),
        codeMiB: round2(idleAfter.codeMiB - idleBefore.codeMiB),
        rssMiB: round2(idleAfter.rssMiB - idleBefore.rssMiB),
        fds: idleAfter.fds - idleBefore.fds,
        resources: idleAfter.resources - idleBefore.resources,
        metricsSeries: idleAfter.metricsSeries - idleBefore.metricsSeries,
        worlds: idleAfter.worlds - idleBefore.worlds,
      });
      ctx.record('idleFds', { before: fdsBefore, after: fdsAfter });
      ctx.record('storeRows', {
        before: rowsBefore,
        after: rowsAfter,
        perMinute: Object.fromEntries(Object.entries(rowsAfter).map(([k, n]) => [k, round2((n - (rowsBefore[k] ?? 0)) / minutes)])),
      });
      ctx.record('traffic', traffic);
      ctx.record('mix', mix);
      ctx.record('bots', { exits: botsExits, reports: botsReports });
      ctx.record('restart', {
        keepCreated: keep.status,
        stopExit,
        worldsBefore: before,
        worldsAfter: after,
        worldsSurvived: before.length > 0 && before.join() === after.join(),
        purchaseBefore: bought,
        purchaseRepeatedAfter: repeated,
        serverErrors: firstErrors,
        restartedServerErrors: proc.errors.slice(0, 20),
      });
      ctx.record('warmupSamples', warm);
      ctx.record('samples', points);
      ctx.log(
        `soak-all: growing ${growing.length ? growing.join(', ') : 'none'}; restart: worlds ${before.join(',')} → ${after.join(',')}`,
      );
    } finally {
      await store.close();
      await pgServer?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The bots report's counts worth keeping (not its histograms). */
const pick = (r: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const k of [
    'partial',
    'connected',
    'disconnects',
    'disconnectsByCode',
    'joinFailuresByReason',
    'churnLeaves',
    'churnJoins',
    'cancelledJoins',
  ])
    if (k in r) out[k] = r[k];
  return out;
};

export default soakAllSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(soakAllSuite, process.argv.includes('--quick'));
  process.exit(0);
}
