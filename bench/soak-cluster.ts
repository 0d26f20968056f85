/**
 * Suite `soak-cluster` (`npm run bench -- soak-cluster`, or `npx tsx bench/soak-cluster.ts`): does a
 * cluster run for days? Three instances of the real CLI (child processes, fixed ports) over a
 * throwaway PostgreSQL (one database, the shared store) and a redis-server without persistence;
 * worlds `1` (the default) and `w1`..`w3` (admin-created, one per instance); players buying over real
 * WebSocket clients (bench/crash-campaign-players.ts: one purchase in flight, retried with the same
 * key after every disconnect, and every 10th purchase an acknowledged key sent again), and
 * load-test bots in `w1` following every move (`--follow-moves --follow-lost`, docs/BOTS.md).
 * Meanwhile a driver (bench/soak-cluster-driver.ts) moves worlds all the time: migrations back and
 * forth, a drain + undrain now and then, a SIGKILL of instance `c` and its start on the same ports
 * every `SOAK_KILL_SECONDS`, a restart of Redis (empty) every `SOAK_REDIS_SECONDS`, a restart of
 * PostgreSQL (fast shutdown, started again on the same port and data) every `SOAK_PG_SECONDS`. Beside
 * it, unless `SOAK_CHURN_WORLDS=0`, a churn of short-lived worlds under new ids
 * (bench/soak-cluster-churn.ts): created, `SOAK_CHURN_PLAYERS` players buying in it for
 * `SOAK_CHURN_LIFE_MS`, half of them migrated once, deleted; the next one `SOAK_CHURN_GAP_MS` later.
 *
 *   SOAK_SECONDS=300 SOAK_SAMPLE_SECONDS=15 SOAK_PLAYERS=16 SOAK_BOTS=20 npx tsx bench/soak-cluster.ts
 *   SOAK_KILL_SECONDS=60 SOAK_REDIS_SECONDS=120 SOAK_MOVE_GAP_MS=1000 SOAK_WARMUP_SECONDS=45
 *   SOAK_QUIET_SECONDS=150 SOAK_SNAPSHOTS=1 SOAK_KEEP_SNAPSHOTS=/tmp/snaps SOAK_NPCS=200 SOAK_LEASE_TTL=2 SOAK_PG_SECONDS=180
 *   SOAK_CHURN_WORLDS=1 SOAK_CHURN_PLAYERS=3 SOAK_CHURN_LIFE_MS=2000 SOAK_CHURN_GAP_MS=500 SOAK_CHURN_NPCS=20
 *
 * Every `SOAK_SAMPLE_SECONDS`, per instance, from outside (bench/soak-cluster-probe.ts: the Node
 * inspector of each instance, `/proc`, Redis and PostgreSQL): heap after full GCs, rss, active
 * handles and timers by type, open fds, its TCP connections to Redis and to PostgreSQL, its
 * PostgreSQL sessions (by `application_name`), the size of its `/metrics` (bytes, series, series naming
 * a churn world) and its admin world list; and cluster-wide Redis clients and keys (fencing-token keys
 * apart). Every
 * `SOAK_QUIET_SECONDS` (and after the warm-up and at the end) a quiet sample: the driver paused, every
 * world moved back to its home instance (`1`, `w1` on a, `w2` on b, `w3` on c), then sampled — the same
 * placement each time and no churn world alive, so a difference is what the moves and churned worlds
 * left behind (the clearest leak signal).
 * Figures (bench/soak-cluster-figures.ts, soak-cluster-growth.ts), for `a` and `b`, which live the whole run (`c` restarts):
 * growth per hour and per 1,000 moves (least-squares lines) of the samples during the moves (second
 * half) and of the quiet samples, the quiet samples also per 1,000 churned worlds; the first and last quiet samples' difference; with
 * `SOAK_SNAPSHOTS=1`, heap snapshots of a and b at the first and last quiet sample (written by the
 * instance through its inspector; kept in `SOAK_KEEP_SNAPSHOTS=<dir>` when set) compared by class —
 * count, self and retained bytes, the top growers and what holds them, the soak's id strings always
 * (bench/soak-cluster-heap.ts, bench/heap-diff.ts; `heapDiff`); and the
 * exactly-once check of every purchase (ledger vs what clients were told, bench/crash-campaign-checks.ts),
 * churn players' purchases included; at the end, rows left in PostgreSQL by deleted worlds.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { findRedisServer } from '../test/helpers/redis-server.js';
import { checkLedger, snapshotAcks } from './crash-campaign-checks.js';
import { ackedCount, newPlayers, runPlayer, type LoadControl, type PlayerState } from './crash-campaign-players.js';
import { admin, freePort, killAllServers, sleep, writeServerConfig, type ServerSpec } from './crash-campaign-server.js';
import { createDatabase, viewPostgres } from './crash-campaign-store.js';
import { runSuite, type Suite } from './harness.js';
import { lossyRedis, newDriverCounts, runDriver, SoakCluster, type SoakInstance } from './soak-cluster-driver.js';
import { CHURN_PREFIX, deadWorldRows, familyDelta, metricsSize, newChurnCounts, newChurnPlayers, runChurn } from './soak-cluster-churn.js';
import { growthPer1000, type Point } from './soak-cluster-figures.js';
import { SOAK_STRING_CLASSES, soakHeapDiff } from './soak-cluster-heap.js';
import { type ClusterPoint, soakGrowth } from './soak-cluster-growth.js';
import { pgSessions, redisCounts, writeSnapshot } from './soak-cluster-probe.js';
import { botsFiguresOf, sampleInstance } from './soak-cluster-sample.js';
import { rng } from './soak-clients.js';
import { recordedSettings, soakClusterSettings } from './soak-cluster-settings.js';

const r2 = (n: number): number => Math.round(n * 100) / 100;
const ROOT = new URL('../', import.meta.url).pathname;
const WORLDS = ['1', 'w1', 'w2', 'w3'] as const;
/** Where each world is before the run and after it, for the like-for-like samples. */
const HOME: Record<string, string> = { '1': 'a', w1: 'a', w2: 'b', w3: 'c' };
/** Instances sampled over the whole run (never killed). */
const STEADY = ['a', 'b'] as const;

export const soakClusterSuite: Suite = {
  name: 'soak-cluster',
  async run(ctx) {
    const settings = soakClusterSettings(ctx.quick);
    const { seconds, sampleEvery, warmup, playersN, botsN, killEvery, redisEvery, gapMs, npcs, leaseTtl, quietEvery } = settings;
    const { snapshotsOn, keepSnapshots, churnOn, pgEvery, churnGapMs, churnLifeMs, churnNpcs, churnPlayersN } = settings;
    if (!findRedisServer()) throw new Error('redis-server is not installed');
    const pgs = await startPostgres({ maxConnections: 200 });
    if ('skip' in pgs) throw new Error(pgs.skip);
    const dir = mkdtempSync(join(tmpdir(), 'wt-soak-cluster-'));
    const redis = lossyRedis(await freePort(), dir);
    await redis.start();
    const db = await createDatabase(pgs.url, 'soak');
    const instances: SoakInstance[] = [];
    for (const id of ['a', 'b', 'c']) {
      const inspectPort = await freePort();
      const spec: ServerSpec = {
        dir,
        storeUrl: `${db}?application_name=soak-${id}`,
        dataDir: join(dir, id),
        npcs,
        checkpointInterval: 2,
        port: await freePort(),
        adminPort: await freePort(),
        extraArgs: ['--redis', redis.url, '--instance-id', id, '--lease-ttl', String(leaseTtl), '--balance-interval', '0'],
        nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`],
      };
      instances.push({ id, spec, inspectPort, proc: null, starts: 0 });
    }
    const [ia] = instances;
    if (!ia) throw new Error('no instances');
    writeServerConfig(ia.spec);
    const cluster = new SoakCluster(instances);
    let bots: ReturnType<typeof spawn> | null = null;
    try {
      await cluster.start('a');
      await cluster.settled(['1']);
      await cluster.start('b');
      await cluster.start('c');
      for (const [w, id] of [
        ['w1', 'a'],
        ['w2', 'b'],
        ['w3', 'c'],
      ] as const) {
        const r = await admin(cluster.get(id).spec.adminPort, 'POST', '/api/v1/worlds?placement=local', { id: w, npcs });
        if (r.status !== 201) throw new Error(`create ${w} on ${id}: ${r.status} ${JSON.stringify(r.json)}`);
      }
      await cluster.settled(WORLDS);

      // Load: players in every world (any instance; redirected to the owner), bots in w1.
      const players: PlayerState[] = newPlayers(playersN, 'soak-player-').map((p, i) => ({
        ...p,
        worldId: WORLDS[i % WORLDS.length] ?? '1',
        repeats: 0,
      }));
      const ctl: LoadControl = {
        port: ia.spec.port,
        adminPort: ia.spec.adminPort,
        ports: instances.map((i) => i.spec.port),
        adminPorts: instances.map((i) => i.spec.adminPort),
        draining: false,
        abandon: false,
        iteration: 0,
        joinedSince: new Set(),
        resumeOutcome: new Map(),
        repeatEvery: 10,
        pauseMs: 150,
      };
      const load = Promise.all(players.map((p) => runPlayer(p, ctl)));
      // The churn's players: the same bookkeeping, their world changes with every churn world.
      const churnPlayers = newChurnPlayers(churnOn ? churnPlayersN : 0, playersN);

      const botsReport = join(dir, 'bots.json');
      bots = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/bots/main.ts',
          ...['--url', `ws://127.0.0.1:${ia.spec.port}`, '--world', 'w1', '--clients', String(botsN), '--follow-lost'],
          ...['--warmup', '1', '--duration', String(seconds + 40), '--no-progress', '--report', botsReport],
        ],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const botsExited = new Promise<number | null>((r) => bots?.once('exit', r));
      // The bots join before anything moves (a join racing a migration: see docs/CLUSTER.md "Soak").
      for (let i = 0; i < 300; i++) {
        const r = await admin(ia.spec.adminPort, 'GET', '/api/v1/worlds/w1').catch(() => null);
        if (Number(r?.json?.sessions) >= botsN + playersN / WORLDS.length) break;
        await sleep(200);
      }

      // Driver and sampling.
      const counts = newDriverCounts();
      const churn = newChurnCounts();
      const schedule = {};
      let driving = true;
      const driver = (): Promise<void> =>
        runDriver({
          cluster,
          redis,
          worlds: WORLDS,
          victim: 'c',
          gapMs,
          killEverySeconds: killEvery,
          redisEverySeconds: redisEvery,
          pgEverySeconds: pgEvery,
          restartPg: async () => {
            await pgs.stop();
            await sleep(500);
            await pgs.start();
          },
          schedule,
          rand: rng(42),
          stop: () => !driving,
          counts,
          log: ctx.log,
        }).then(
          () =>
            // The churn runs beside the driver; both stop for a quiet sample.
            churning,
        );
      const churnRand = rng(7);
      let churning: Promise<void> = Promise.resolve();
      const startChurn = (): void => {
        if (!churnOn) return;
        churning = runChurn({
          cluster,
          players: churnPlayers,
          lifeMs: churnLifeMs,
          gapMs: churnGapMs,
          npcs: churnNpcs,
          rand: churnRand,
          stop: () => !driving,
          counts: churn,
          log: ctx.log,
        });
      };
      const sampleOne = (i: SoakInstance, t: number, pgByName: Record<string, number>): Promise<Point | null> =>
        sampleInstance(i, { t, moves: counts.moves, churns: churn.creates }, { redis: redis.port, pg: pgs.port }, pgByName).catch(
          (err: Error) => {
            ctx.log(`  sample of ${i.id} failed: ${err.message}`);
            return null;
          },
        );
      const series: Record<string, Point[]> = { a: [], b: [], c: [] };
      const cluster0: ClusterPoint[] = [];
      const sampleAll = async (t: number): Promise<Record<string, Point | null>> => {
        const byName = await pgSessions(db).catch(() => ({}) as Record<string, number>);
        const rc = await redisCounts(redis.port);
        const out: Record<string, Point | null> = {};
        for (const i of instances) out[i.id] = await sampleOne(i, t, byName);
        if (rc)
          cluster0.push({
            t,
            moves: counts.moves,
            churns: churn.creates,
            redisClients: rc.clients,
            redisKeys: rc.keys,
            redisFenceKeys: rc.fenceKeys,
            pgSessions: Object.values(byName).reduce((a, b) => a + b, 0),
          });
        return out;
      };
      /** The like-for-like sample: driver stopped, every world at its home, a few control ticks. */
      const quiet: Array<Record<string, Point | null>> = [];
      /** `/metrics` series per family at each quiet sample, to name what a difference is made of. */
      const quietFamilies: Record<string, Array<Record<string, number>>> = {};
      /** Heap snapshot files by `<instance>-before` / `<instance>-after` (compared at the end, bench/heap-diff.ts). */
      const snapshots: Record<string, string> = {};
      const quietSample = async (t: number, snapshot: string | null): Promise<void> => {
        driving = false;
        await run;
        for (const i of instances) if (!i.proc) await cluster.start(i.id);
        await cluster.place(HOME, WORLDS);
        await sleep(3000);
        const s = await sampleAll(t);
        quiet.push(s);
        for (const id of STEADY) {
          const f = (await metricsSize(cluster.get(id).spec.adminPort).catch(() => null))?.families;
          if (f) (quietFamilies[id] ??= []).push(f);
        }
        ctx.log(
          `  quiet t=${t}s moves ${counts.moves} churns ${churn.creates}: ${STEADY.map((id) => `${id} heap ${s[id]?.heapMiB} MiB (code ${s[id]?.codeMiB}) timers ${s[id]?.timers} fds ${s[id]?.fds} series ${s[id]?.metricsSeries} (churn ${s[id]?.churnSeries})`).join('; ')}`,
        );
        if (snapshot)
          for (const id of STEADY) {
            const file = join(dir, `${id}-${snapshot}.heapsnapshot`);
            await writeSnapshot(cluster.get(id).inspectPort, file);
            snapshots[`${id}-${snapshot}`] = file;
            if (keepSnapshots) copyFileSync(file, join(keepSnapshots, `${id}-${snapshot}.heapsnapshot`));
          }
        driving = true;
        startChurn();
        run = driver();
      };

      ctx.log(`soak-cluster: 3 instances, worlds ${WORLDS.join(', ')} (${npcs} NPCs), ${playersN} players, ${botsN} bots, ${seconds} s`);
      startChurn();
      let run = driver();
      await sleep(warmup * 1000);
      await quietSample(0, snapshotsOn ? 'before' : null);
      const movesAtStart = counts.moves;
      const churnsAtStart = churn.creates;
      const t0 = performance.now();
      let lastQuiet = t0;
      const runMs = (seconds - warmup) * 1000;
      while (performance.now() - t0 < runMs) {
        await sleep(Math.min(sampleEvery * 1000, runMs - (performance.now() - t0)));
        const t = r2((performance.now() - t0) / 1000);
        if (performance.now() - lastQuiet >= quietEvery * 1000 && performance.now() - t0 < runMs - 10_000) {
          await quietSample(t, null);
          lastQuiet = performance.now();
          continue;
        }
        const s = await sampleAll(t);
        for (const [id, p] of Object.entries(s)) if (p) series[id]?.push(p);
        const a = s.a;
        ctx.log(
          `  t=${t}s moves ${counts.moves} a: heap ${a?.heapMiB} MiB res ${a?.resources} timers ${a?.timers} fds ${a?.fds} redis ${a?.redisConns} pg ${a?.pgConns}; b: heap ${s.b?.heapMiB} res ${s.b?.resources} fds ${s.b?.fds}`,
        );
      }
      const runSeconds = (performance.now() - t0) / 1000;
      await quietSample(r2(runSeconds), snapshotsOn ? 'after' : null);
      driving = false;
      await run;

      // Figures (bench/soak-cluster-growth.ts): growth during the moves and between quiet samples.
      const { growth, quietGrowth, clusterGrowth, quietDelta } = soakGrowth(
        {
          series,
          quiet,
          cluster: cluster0,
          runSeconds,
          moves: counts.moves - movesAtStart,
          churns: churn.creates - churnsAtStart,
        },
        STEADY,
      );

      // Exactly once: let every pending key be answered, then the ledger against the acks.
      ctl.draining = true;
      await Promise.race([load, sleep(30_000)]);
      const violations: string[] = [];
      if (churnPlayers.some((p) => p.pending !== null)) violations.push('churn players: pending keys left');
      if (players.some((p) => p.pending !== null)) violations.push('pending keys not answered within 30 s of the end');
      violations.push(
        ...checkLedger(await viewPostgres(db), [...players, ...churnPlayers], null, snapshotAcks([...players, ...churnPlayers], null)),
      );
      for (const p of [...players, ...churnPlayers]) violations.push(...p.violations);
      // Rows of deleted worlds: only the live worlds' rows may remain (all churn worlds are deleted by now).
      const deadRows = await deadWorldRows(db, WORLDS);
      const owners = await cluster.owners();
      for (const i of new Set(Object.values(owners))) {
        const v = await admin(cluster.get(i).spec.adminPort, 'GET', '/api/v1/ledger/verify').catch(() => null);
        const mismatches = v?.json?.mismatches?.length ?? -1;
        if (mismatches !== 0) violations.push(`ledger verify on ${i}: ${v?.status} ${mismatches} mismatches`);
      }
      // The bots run past the end (their window is 40 s longer than the soak): wait for their report.
      const botsCode = await Promise.race([botsExited, sleep(90_000).then(() => 'timeout')]);
      const botsFigures = botsFiguresOf(botsReport, botsCode);
      ctx.record('settings', recordedSettings(settings, WORLDS));
      ctx.record('churn', {
        ...churn,
        measured: churn.creates - churnsAtStart,
        churnPurchasesAcked: ackedCount(churnPlayers),
        clusterPer1000Churns: growthPer1000(cluster0, 'churns', ['redisKeys', 'redisFenceKeys', 'redisClients', 'pgSessions'] as const),
        metricsFamiliesFirstToLastQuiet: Object.fromEntries(
          STEADY.map((id) => {
            const fs = quietFamilies[id] ?? [];
            return [id, familyDelta(fs[0] ?? {}, fs[fs.length - 1] ?? {})];
          }),
        ),
        deadWorldRows: deadRows,
        prefix: CHURN_PREFIX,
      });
      ctx.record('driver', { ...counts, movesMeasured: counts.moves - movesAtStart, runSeconds: r2(runSeconds) });
      ctx.record('purchases', {
        acked: ackedCount(players),
        repeatedKeysAnswered: players.reduce((n, p) => n + (p.repeats ?? 0), 0),
        joins: players.reduce((n, p) => n + p.joins, 0),
        resumed: players.reduce((n, p) => n + p.resumed, 0),
        resumesRefused: players.reduce((n, p) => n + p.refusals.length, 0),
      });
      ctx.record('exactlyOnce', { violations: violations.slice(0, 50), count: violations.length });
      ctx.record('bots', botsFigures);
      ctx.record('growth', growth);
      ctx.record('quietGrowth', quietGrowth);
      ctx.record('clusterGrowth', clusterGrowth);
      ctx.record('quietDelta', quietDelta);
      ctx.record('quiet', quiet);
      if (snapshotsOn) ctx.record('heapDiff', soakHeapDiff(snapshots, STEADY, SOAK_STRING_CLASSES, ctx.log));
      ctx.record('instanceStarts', Object.fromEntries(instances.map((i) => [i.id, i.starts])));
      ctx.record('errorLines', Object.fromEntries(instances.map((i) => [i.id, i.proc?.errors.slice(0, 10) ?? []])));
      ctx.record('samples', { ...series, cluster: cluster0 });
    } finally {
      if (bots && bots.exitCode === null) bots.kill('SIGKILL');
      await killAllServers();
      await redis.kill();
      await pgs.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default soakClusterSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(soakClusterSuite, process.argv.includes('--quick'));
  process.exit(0);
}
