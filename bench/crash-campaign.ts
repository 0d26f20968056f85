/**
 * Randomized crash campaign (not a pass/fail test, not a `npm run bench` suite): the real server
 * (`src/cli/main.ts`) under purchase and reward load is killed with SIGKILL N times at seeded
 * random moments of a chosen window, restarted on the same store, and the durability invariants
 * are checked after every kill (bench/crash-campaign-checks.ts). docs/DURABILITY.md, "Crash campaign".
 *
 *   npx tsx bench/crash-campaign.ts --store sqlite|postgres --window <w> --iterations 30 --seed 7
 *
 * Windows: bench/crash-campaign-windows.ts `WINDOWS`. `--life-ms N`: each life lasts up to N ms more before
 * the window (so periodic checkpoints land on a fast machine too). `--anonymous N`, `--aged-anonymous M`,
 * `--prune-kills P`: anonymous players and the anonymous-player prune (bench/crash-campaign-anonymous.ts).
 * `--expired-sessions K`: a backlog for the session sweep (bench/crash-campaign-sessions.ts).
 * Output: one JSON line per iteration on stdout and a summary at `--out` (default
 * bench/results/crash-campaign-<store>-<window>.json). Exit code 1 if any invariant broke.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng, nextRange } from '../src/core/prng.js';
import { startPostgres, type PgServer } from '../test/helpers/postgres-server.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { loadAverage, violationsOf, writeSummary } from './crash-campaign-summary.js';
import {
  anonymousPlayers,
  anonymousSummary,
  checkAnonymous,
  killEarly,
  learnAnonymousIds,
  newAnonymousState,
  seedAged,
} from './crash-campaign-anonymous.js';
import { checkSessionSweep, newSessionSweepState, seedExpiredSessions, sessionSweepSummary } from './crash-campaign-sessions.js';
import { checkLedger, checkRestore, expectedRestoreStep } from './crash-campaign-checks.js';
import { runClusterCampaign } from './crash-campaign-cluster.js';
import { runCrossWorldCampaign as runCrossWorld } from './crash-campaign-cross-world.js';
import { finalCheck, type FinalCheck } from './crash-campaign-final.js';
import { checkRecordBatchRestart, killInRecordBatch, newRecordBatchState, seedWorlds } from './crash-campaign-record-batch.js';
import { runUpgradeCampaign, summaryViolations } from './crash-campaign-upgrade.js';
import {
  ackedCount,
  joinAll,
  newPlayers,
  runPlayer,
  runRewarder,
  waitLoad,
  type LoadControl,
  type RewarderState,
} from './crash-campaign-players.js';
import {
  admin,
  freePort,
  killAllServers,
  killServer,
  sleep,
  startServer,
  waitUp,
  writeServerConfig,
  type ServerProc,
  type ServerSpec,
} from './crash-campaign-server.js';
import { createDatabase, otherConnections, viewPostgres, viewSqlite, type StoreView } from './crash-campaign-store.js';
import { killInWindow, type Window, WINDOWS } from './crash-campaign-windows.js';
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
};
const storeKind = arg('store', 'sqlite') as 'sqlite' | 'postgres';
const window = arg('window', 'random') as Window;
const iterations = Number(arg('iterations', '20'));
const seed = Number(arg('seed', String(Date.now() & 0xffff)));
const maxMinutes = Number(arg('minutes', '30'));
const npcs = Number(arg('npcs', window === 'checkpoint' ? '20000' : '400'));
const playerCount = Number(arg('players', '6'));
const out = arg('out', join('bench', 'results', `crash-campaign-${storeKind}-${window}.json`));
if (!WINDOWS.includes(window)) throw new Error(`--window must be one of ${WINDOWS.join(', ')}`);
const lifeMs = Number(arg('life-ms', '0'));
const anonymousN = Number(arg('anonymous', '0'));
const agedN = Number(arg('aged-anonymous', '0'));
const pruneKills = Number(arg('prune-kills', '0'));
const expiredN = Number(arg('expired-sessions', '0')); // bench/crash-campaign-sessions.ts
if ((anonymousN || agedN || expiredN) && ['first-start', 'upgrade', 'cluster', 'cross-world'].includes(window))
  throw new Error('--anonymous / --aged-anonymous / --expired-sessions: not in the first-start, upgrade, cluster or cross-world windows');
if ((window === 'disk-full' || window === 'record-batch') && storeKind !== 'sqlite') throw new Error(`${window} is a SQLite window`);
if ((window === 'pg-crash' || window === 'pg-cut' || window === 'cluster') && storeKind !== 'postgres')
  throw new Error(`${window} is a PostgreSQL window`);

interface IterationResult {
  iteration: number;
  killAfterMs: number;
  note: string;
  acked: number;
  ledgerRows: number;
  expectedRestoreStep: number | null;
  restoredFromStep: number | null;
  resumes: { tried: number; refused: number };
  serverErrors: string[];
  violations: string[];
}
const rng = createPrng(seed);
const rand = (lo: number, hi: number): number => nextRange(rng, lo, hi);
const recordBatch = window === 'record-batch' ? newRecordBatchState(Number(arg('worlds', '40')), rand) : null;
const dir = mkdtempSync(join(tmpdir(), 'wt-crash-campaign-'));
const results: IterationResult[] = [];
const t0 = Date.now();
let pgServer: PgServer | null = null;
let proxy: TcpProxy | null = null;
let mounted: string | null = null;

const viewOf = (spec: ServerSpec): Promise<StoreView> =>
  spec.storeUrl ? viewPostgres(storeUrlDirect(spec.storeUrl)) : Promise.resolve(viewSqlite(spec.dataDir));
/** The server's store URL goes through the proxy in `pg-cut`; the campaign reads the database directly. */
const storeUrlDirect = (url: string): string => {
  if (!proxy || !pgServer) return url;
  const u = new URL(url);
  u.port = String(pgServer.port);
  return u.toString();
};

/** Has the server created its store yet (SQLite file; PostgreSQL migrations table)? */
const storeExists = async (spec: ServerSpec): Promise<boolean> => {
  if (!spec.storeUrl) return existsSync(join(spec.dataDir, 'worldtick.sqlite'));
  return (await otherConnections(storeUrlDirect(spec.storeUrl)).catch(() => 0)) > 0;
};

/** One store, one server life cycle per iteration; `fresh` = a new store each iteration (first-start). */
const run = async (): Promise<void> => {
  let base: string | null = null;
  if (storeKind === 'postgres') {
    const pg = await startPostgres();
    if ('skip' in pg) throw new Error(pg.skip);
    pgServer = pg;
    if (window === 'pg-cut') proxy = await startTcpProxy(pg.port);
    base = pg.url;
  }
  const port = await freePort();
  const adminPort = await freePort();
  const dataRoot = join(dir, 'data');
  mkdirSync(dataRoot, { recursive: true });
  if (window === 'disk-full') {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${arg('tmpfs-mb', '32')}m`, 'tmpfs', dataRoot]);
    mounted = dataRoot;
  }
  const fresh = window === 'first-start';
  const makeSpec = async (i: number): Promise<ServerSpec> => {
    const dataDir = fresh ? join(dataRoot, `s${i}`) : join(dataRoot, 's');
    let storeUrl: string | null = null;
    if (base) {
      storeUrl = fresh ? await createDatabase(base, `campaign_${i}`) : i === 0 ? await createDatabase(base, 'campaign') : null;
      if (storeUrl && proxy) {
        const u = new URL(storeUrl);
        u.port = String(proxy.port);
        storeUrl = u.toString();
      }
    }
    const checkpointInterval = window === 'checkpoint' || recordBatch ? 1 : 2;
    const extraArgs = recordBatch ? ['--max-worlds', '256'] : [];
    return { dir, storeUrl, dataDir, npcs, checkpointInterval, port, adminPort, extraArgs };
  };
  let spec = await makeSpec(0);
  writeServerConfig(spec);
  let players = [...newPlayers(playerCount), ...anonymousPlayers(newPlayers(anonymousN, '', playerCount))];
  const anon = newAnonymousState();
  const sweep = newSessionSweepState();
  let rewarder: RewarderState = { acked: new Map(), pending: null, next: 0, violations: [], extraIds: anon.agedIds };
  const rawWhere = (): string => (spec.storeUrl ? storeUrlDirect(spec.storeUrl) : spec.dataDir);
  let ctl: LoadControl = {
    port,
    adminPort,
    draining: false,
    abandon: false,
    iteration: 0,
    joinedSince: new Set(),
    resumeOutcome: new Map(),
  };
  let load: Promise<unknown> | null = null;
  const startLoad = (): void => {
    load = Promise.all([...players.map((p) => runPlayer(p, ctl)), runRewarder(rewarder, players, ctl)]);
  };
  let proc: ServerProc | null = null;
  let lastView: StoreView | null = null;
  for (let i = 0; i < iterations && Date.now() - t0 < maxMinutes * 60_000; i++) {
    const violations: string[] = [];
    let restoredFromStep: number | null = null;
    let firstKill = '';
    if (fresh) {
      // A new store; kill somewhere in the first start, then start again and run as usual.
      if (load) {
        ctl.abandon = true;
        await load;
      }
      spec = { ...spec, ...(await makeSpec(i)) };
      const p = startServer(spec);
      // Half the kills at any moment of the start, half within ms of the store being created (mid-migration).
      let ms = rand(0, 3500);
      if (rand(0, 1) < 0.5) {
        const began = Date.now();
        while (!(await storeExists(spec)) && Date.now() - began < 20_000) await sleep(1);
        ms = Date.now() - began + rand(0, 25);
        await sleep(ms - (Date.now() - began));
      } else await sleep(ms);
      await killServer(p);
      violations.push(...p.errors.map((e) => `first start: ${e}`));
      const v = await viewOf(spec);
      firstKill = `first start killed after ${Math.round(ms)} ms (schema v${v.schemaVersion}, tables ${v.tables.length}, record ${v.record ? 'yes' : 'no'}, checkpoints ${v.checkpoints.length}); `;
      lastView = v;
      players = newPlayers(playerCount);
      rewarder = { acked: new Map(), pending: null, next: 0, violations: [] };
      ctl = { port, adminPort, draining: false, abandon: false, iteration: i, joinedSince: new Set(), resumeOutcome: new Map() };
    }
    ctl.iteration = i;
    ctl.joinedSince = new Set();
    ctl.resumeOutcome = new Map();
    if (lastView?.tables.includes('players')) await seedAged(storeKind, rawWhere(), anon, agedN, i);
    if (lastView?.tables.includes('sessions')) await seedExpiredSessions(storeKind, rawWhere(), sweep, expiredN, i);
    proc = startServer(spec);
    let stats: any = null;
    try {
      stats = await waitUp(spec, proc);
    } catch (err) {
      violations.push(`restart failed: ${(err as Error).message}`);
    }
    if (stats && lastView) {
      restoredFromStep = stats.checkpoint?.restored?.fromStep ?? null;
      violations.push(...checkRestore(lastView, stats));
    }
    if (stats && recordBatch)
      violations.push(...(i === 0 ? await seedWorlds(recordBatch, adminPort) : await checkRecordBatchRestart(recordBatch, adminPort)));
    if (!load || fresh) startLoad();
    // --prune-kills: that share of the lives is killed within 0-800 ms of the server answering (its first prune pass).
    const early = (agedN > 0 || expiredN > 0) && pruneKills > 0 && rand(0, 1) < pruneKills;
    if (!early) {
      await waitLoad(ctl, players, 15);
      if (ctl.joinedSince.size < players.length) violations.push(`only ${ctl.joinedSince.size} of ${players.length} players rejoined`);
      // Live wallets against the ledger once everyone is back (applied exactly once after the restore).
      // 60 s: with 20k NPCs the ledger grows by thousands of chain rewards per life; at load 8-14 verify took over 10 s.
      const verify = await admin(adminPort, 'GET', '/api/v1/ledger/verify', undefined, 60_000).catch((e: Error) => ({
        status: 0,
        json: { error: e.message },
      }));
      if (verify.status !== 200 || (verify.json?.mismatches?.length ?? 0) > 0)
        violations.push(`verify: ${verify.status} ${JSON.stringify(verify.json?.mismatches ?? verify.json).slice(0, 400)}`);
      if (lifeMs > 0) await sleep(rand(0, lifeMs));
    }
    const kill: { ms: number; note: string; violations?: string[] } = early
      ? await killEarly(proc, rand)
      : recordBatch
        ? await killInRecordBatch(recordBatch, spec, proc)
        : await killInWindow({ window, rand, pg: () => pgServer, proxy: () => proxy, mounted: () => mounted }, spec, proc);
    violations.push(...(kill.violations ?? []).map((v) => `after the kill: ${v}`));
    await sleep(rand(0, 100));
    const view = await viewOf(spec);
    violations.push(...learnAnonymousIds(view.ledger, players), ...checkLedger(view, players, rewarder));
    const anonCheck = anonymousN || agedN ? await checkAnonymous(storeKind, rawWhere(), anon, players) : { violations: [], note: '' };
    const sweepCheck = await checkSessionSweep(storeKind, rawWhere(), sweep, players);
    violations.push(...anonCheck.violations, ...sweepCheck.violations);
    // Every player's ledger summary = the sum of its entries, as the kill left them (no server: no race).
    const summary = view.tables.includes('ledger_balances') ? await summaryViolations(storeKind, rawWhere()) : [];
    violations.push(...summary.map((x) => `after the kill: ${x}`));
    // The server must only ever die by our SIGKILL.
    violations.push(...proc.errors.filter((e) => e.startsWith('exited')).map((e) => `server died by itself: ${e.slice(0, 600)}`));
    for (const p of players) violations.push(...p.violations.splice(0));
    violations.push(...rewarder.violations.splice(0));
    const refused = [...ctl.resumeOutcome.values()].filter((r) => !r).length;
    if (refused)
      violations.push(
        `${refused} resume(s) refused: ${JSON.stringify(players.flatMap((p) => p.refusals.filter((r) => r.iteration === i)))}`,
      );
    const res: IterationResult = {
      iteration: i,
      killAfterMs: Math.round(kill.ms),
      note: firstKill + kill.note + anonCheck.note + sweepCheck.note,
      acked: ackedCount(players),
      ledgerRows: view.ledger.length,
      expectedRestoreStep: lastView ? expectedRestoreStep(lastView) : null,
      restoredFromStep,
      resumes: { tried: ctl.resumeOutcome.size, refused },
      serverErrors: proc.errors.slice(0, 10),
      violations,
    };
    results.push(res);
    console.log(JSON.stringify(res));
    lastView = view;
  }
  // Drain: one more start, every pending key answered, every player's live wallet against the ledger.
  if (lastView?.tables.includes('players')) await seedAged(storeKind, rawWhere(), anon, agedN, iterations);
  if (lastView?.tables.includes('sessions')) await seedExpiredSessions(storeKind, rawWhere(), sweep, expiredN, iterations);
  proc = startServer(spec);
  const final: string[] = [];
  let check: FinalCheck | null = null;
  try {
    const stats = await waitUp(spec, proc);
    if (lastView) final.push(...checkRestore(lastView, stats));
    if (recordBatch) final.push(...(await checkRecordBatchRestart(recordBatch, adminPort)));
    ctl.draining = true;
    await Promise.race([load, sleep(30_000)]);
    if (players.some((p) => p.pending !== null)) final.push('pending keys not answered within 30 s of the drain');
    const clients = await joinAll(port, players);
    check = await finalCheck(adminPort, players, Number(arg('probe-ms', '5000')));
    final.push(...check.violations);
    for (const c of clients) c.close();
  } catch (err) {
    final.push(`final start failed: ${(err as Error).message}`);
  }
  await killServer(proc);
  const view = await viewOf(spec);
  final.push(...learnAnonymousIds(view.ledger, players), ...checkLedger(view, players, rewarder));
  if (anonymousN || agedN) final.push(...(await checkAnonymous(storeKind, rawWhere(), anon, players)).violations);
  final.push(...(await checkSessionSweep(storeKind, rawWhere(), sweep, players)).violations);
  const summary = {
    store: storeKind,
    window,
    seed,
    npcs,
    players: playerCount,
    iterations: results.length,
    violations: violationsOf(results) + final.length,
    finalViolations: final,
    finalFirstRead: check?.firstRead ?? null,
    finalProbe: check?.probe ?? null,
    finalLargestBatches: check?.largestBatches ?? null,
    ...(recordBatch ? { recordBatch: { worlds: recordBatch.worlds, live: recordBatch.live.size, ...recordBatch.figures } } : {}),
    ...(lifeMs > 0 ? { lifeMs } : {}),
    ...(anonymousN || agedN ? { anonymous: anonymousSummary(anon, rewarder, anonymousN, agedN) } : {}),
    ...(expiredN ? { sessionSweep: sessionSweepSummary(sweep, expiredN) } : {}),
    acked: ackedCount(players),
    rewardsAcked: rewarder.acked.size,
    ledgerRows: view.ledger.length,
    minutes: Math.round((Date.now() - t0) / 600) / 100,
    loadAverage: loadAverage(),
    results,
  };
  writeSummary(out, summary);
};

/** The cluster window: its own loop (two instances), the same summary. */
const runCluster = async (): Promise<void> => {
  const r = await runClusterCampaign({
    dir,
    iterations,
    maxMs: maxMinutes * 60_000,
    npcs,
    players: playerCount,
    rand,
    onIteration: (res) => {
      results.push(res as unknown as IterationResult);
      console.log(JSON.stringify(res));
    },
  });
  const summary = {
    store: storeKind,
    window,
    seed,
    npcs,
    players: playerCount,
    iterations: results.length,
    violations: violationsOf(results) + r.final.length,
    finalViolations: r.final,
    acked: r.acked,
    rewardsAcked: r.rewards,
    minutes: Math.round((Date.now() - t0) / 600) / 100,
    loadAverage: loadAverage(),
    results,
  };
  writeSummary(out, summary);
};

/** The upgrade window: its own loop (a schema-8 store of `--entries` entries over `--ledger-players` players). */
const runUpgrade = async (): Promise<void> => {
  const [port, adminPort] = [await freePort(), await freePort()];
  const [entries, players] = [Number(arg('entries', '200000')), Number(arg('ledger-players', '5000'))];
  const onIteration = (res: { violations: string[] }): void => {
    results.push(res as unknown as IterationResult);
    console.log(JSON.stringify(res));
  };
  const o = { store: storeKind, dir, port, adminPort, iterations, maxMs: maxMinutes * 60_000, entries, players, rand, onIteration };
  const r = await runUpgradeCampaign(o);
  const minutes = Math.round((Date.now() - t0) / 600) / 100;
  const summary = { store: storeKind, window, seed, entries, ledgerPlayers: players, ...r, iterations: results.length };
  writeSummary(out, { ...summary, violations: violationsOf(results), minutes, loadAverage: loadAverage(), results });
};

try {
  if (window === 'cluster') await runCluster();
  else if (window === 'upgrade') await runUpgrade();
  else if (window === 'cross-world')
    writeSummary(out, await runCrossWorld({ store: storeKind, dir, iterations, maxMs: maxMinutes * 60_000, seed, rand, arg }));
  else await run();
} finally {
  await killAllServers();
  const held = { proxy: proxy as TcpProxy | null, pg: pgServer as PgServer | null };
  await held.proxy?.close();
  await held.pg?.destroy();
  if (mounted) spawnSync('umount', ['-l', mounted]); // no throw: the tmpfs may be gone already
  rmSync(dir, { recursive: true, force: true });
}
process.exit();
