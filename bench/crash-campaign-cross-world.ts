/**
 * The crash campaign's `cross-world` window (bench/crash-campaign.ts): one server child process
 * with two worlds (`1` and the admin-created `w2`), `--identities` tokens each live in BOTH worlds at
 * once and buying in both as fast as answers come (bench/crash-campaign-cross-world-bots.ts; one
 * ledger per identity, decided by two world ledger services), admin rewards to the identities
 * through both worlds' reward routes, and the server SIGKILLed at a seeded random moment, then
 * started again on the same store (SQLite, or PostgreSQL started by the campaign).
 *
 * After every kill, with raw SQL on the store as the kill left it: every purchase told `ok` is in the
 * ledger once with its seq, every recorded refusal once as a refusal, no row for a refusal told
 * without one, no purchase no bot asked for, potions bought = acknowledged (+ at most the waiting
 * keys), coins spent ≤ coins granted, no negative balance, every acked reward once
 * (`checkLedger`), every ledger summary = its entries. After every restart: world `1` from its
 * newest checkpoint, `w2` back, every resume accepted, `GET /api/v1/ledger/verify` 0 mismatches, each
 * bot's live wallet equal to the ledger up to its watermark (nothing skipped), and settled keys sent
 * again (either world's, mostly from earlier lives) answered as first told. At the end: the drain,
 * settled keys of every bot sent again once more, each live wallet in BOTH worlds equal to the ledger
 * up to its watermark with no entry of its own world above it (entries the other world committed above
 * it are the documented lag: `finalBehindByOtherWorld`), potions bought = acknowledged exactly.
 *
 * Flags: `--identities` (3), `--lanes` purchases in flight per bot (2), `--starting-coins` (100),
 * `--grant-coins` per admin reward (20), `--replay-every` (8), `--kill-ms` (1500: the kill comes
 * 0–N ms after the load flowed, verify and the wallet check), `--npcs` (50).
 */
import { join } from 'node:path';
import { startPostgres, type PgServer } from '../test/helpers/postgres-server.js';
import { checkLedger, checkRestore, expectedRestoreStep } from './crash-campaign-checks.js';
import type { WorldtickClient } from '../src/client/client.js';
import {
  checkCrossWorld,
  newBots,
  replaySettled,
  runBot,
  walletsAgainstLedger,
  XW_WORLDS,
  type IdentityFigures,
  type WalletStand,
  type XwBot,
} from './crash-campaign-cross-world-bots.js';
import { ackedCount, joinAll, runRewarder, waitLoad, type LoadControl, type RewarderState } from './crash-campaign-players.js';
import { admin, freePort, killServer, sleep, startServer, waitUp, writeServerConfig, type ServerSpec } from './crash-campaign-server.js';
import { createDatabase, viewPostgres, viewSqlite, type StoreView } from './crash-campaign-store.js';
import { loadAverage, violationsOf } from './crash-campaign-summary.js';
import { summaryViolations } from './crash-campaign-upgrade.js';

/** Options of {@link runCrossWorldCampaign}: the campaign's own, and its flag reader for this window's flags. */
export interface CrossWorldOptions {
  store: 'sqlite' | 'postgres';
  dir: string;
  iterations: number;
  maxMs: number;
  seed: number;
  rand: (lo: number, hi: number) => number;
  arg: (name: string, dflt: string) => string;
}

/** Ledger stats of both worlds: batches refused stale (another world committed first) and retries. */
const staleOf = async (adminPort: number): Promise<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const w of XW_WORLDS) {
    const r = await admin(adminPort, 'GET', `/api/v1/worlds/${w}/ledger`).catch(() => null);
    out[w] = Number(r?.json?.stats?.service?.staleBatches ?? -1);
  }
  return out;
};

/** Run the window; returns the summary (the campaign writes it). */
export const runCrossWorldCampaign = async (
  o: CrossWorldOptions,
): Promise<{ violations: number; results: IterationOut[] } & Record<string, unknown>> => {
  const num = (name: string, dflt: number): number => Number(o.arg(name, String(dflt)));
  const cfg = {
    identities: num('identities', 3),
    lanes: num('lanes', 2),
    startingCoins: num('starting-coins', 100),
    grantCoins: num('grant-coins', 20),
    replayEvery: num('replay-every', 8),
    killMs: num('kill-ms', 1500),
    npcs: num('npcs', 50),
  };
  const t0 = Date.now();
  let pgServer: PgServer | null = null;
  try {
    let storeUrl: string | null = null;
    if (o.store === 'postgres') {
      const pg = await startPostgres();
      if ('skip' in pg) throw new Error(pg.skip);
      pgServer = pg;
      storeUrl = await createDatabase(pg.url, 'campaign');
    }
    const spec: ServerSpec = {
      dir: o.dir,
      storeUrl,
      dataDir: join(o.dir, 'xw'),
      npcs: cfg.npcs,
      checkpointInterval: 2,
      port: await freePort(),
      adminPort: await freePort(),
      extraArgs: ['--starting-coins', String(cfg.startingCoins)],
    };
    writeServerConfig(spec);
    const viewOf = (): Promise<StoreView> => (storeUrl ? viewPostgres(storeUrl) : Promise.resolve(viewSqlite(spec.dataDir)));
    const where = storeUrl ?? spec.dataDir;
    const bots = newBots(cfg.identities, cfg.lanes);
    const rewarder: RewarderState = { acked: new Map(), pending: null, next: 0, violations: [], coins: cfg.grantCoins };
    const ctl: LoadControl = {
      port: spec.port,
      adminPort: spec.adminPort,
      draining: false,
      abandon: false,
      iteration: 0,
      joinedSince: new Set(),
      resumeOutcome: new Map(),
    };
    const botOpts = { replayEvery: cfg.replayEvery, rand: o.rand };
    let load: Promise<unknown> | null = null;
    let lastView: StoreView | null = null;
    const results: IterationOut[] = [];
    /** Start the server; world `1` restored from the newest checkpoint, `w2` created (first life) or back. */
    const start = async (i: number): Promise<{ proc: ReturnType<typeof startServer>; violations: string[]; restored: number | null }> => {
      const violations: string[] = [];
      const proc = startServer(spec);
      const stats = await waitUp(spec, proc).catch(async (err: Error) => {
        await killServer(proc);
        throw err;
      });
      if (lastView) violations.push(...checkRestore(lastView, stats));
      if (i === 0) {
        const r = await admin(spec.adminPort, 'POST', '/api/v1/worlds', { id: 'w2', npcs: 20, size: 200 });
        if (r.status !== 201) violations.push(`creating w2: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      } else if ((await admin(spec.adminPort, 'GET', '/api/v1/worlds/w2/stats')).status !== 200)
        violations.push('w2 not back after the restart');
      return { proc, violations, restored: stats?.checkpoint?.restored?.fromStep ?? null };
    };
    for (let i = 0; i < o.iterations && Date.now() - t0 < o.maxMs; i++) {
      ctl.iteration = i;
      ctl.joinedSince = new Set();
      ctl.resumeOutcome = new Map();
      let life: Awaited<ReturnType<typeof start>>;
      try {
        life = await start(i);
      } catch (err) {
        results.push(emptyIteration(i, `restart failed: ${(err as Error).message}`));
        continue;
      }
      const { proc, violations } = life;
      load ??= Promise.all([...bots.map((b) => runBot(b, ctl, botOpts)), runRewarder(rewarder, bots, ctl)]);
      await waitLoad(ctl, bots, 15);
      if (ctl.joinedSince.size < bots.length) violations.push(`only ${ctl.joinedSince.size} of ${bots.length} bots rejoined`);
      const verify = await admin(spec.adminPort, 'GET', '/api/v1/ledger/verify', undefined, 60_000).catch((e: Error) => ({
        status: 0,
        json: { error: e.message },
      }));
      if (verify.status !== 200 || (verify.json?.mismatches?.length ?? 0) > 0)
        violations.push(`verify: ${verify.status} ${JSON.stringify(verify.json?.mismatches ?? verify.json).slice(0, 400)}`);
      violations.push(...(await walletsAgainstLedger(spec.adminPort, bots)).violations);
      const ms = o.rand(0, cfg.killMs);
      await sleep(ms);
      const stale = await staleOf(spec.adminPort);
      const ackedBefore = ackedCount(bots);
      await killServer(proc);
      const view = await viewOf();
      const xw = checkCrossWorld(view.ledger, bots);
      violations.push(...xw.violations, ...checkLedger(view, [], rewarder));
      if (view.tables.includes('ledger_balances'))
        violations.push(...(await summaryViolations(o.store, where)).map((x) => `after the kill: ${x}`));
      violations.push(...proc.errors.filter((e) => e.startsWith('exited')).map((e) => `server died by itself: ${e.slice(0, 600)}`));
      for (const b of bots) violations.push(...b.violations.splice(0));
      violations.push(...rewarder.violations.splice(0));
      const refused = [...ctl.resumeOutcome.entries()].filter(([, r]) => !r).map(([idx]) => idx);
      if (refused.length) violations.push(`resume refused for bot(s) ${refused.join(', ')}`);
      const res: IterationOut = {
        iteration: i,
        killAfterMs: Math.round(ms),
        note: `killed ${Math.round(ms)} ms after verify; ${ackedBefore} purchases acked so far; stale batches this life ${JSON.stringify(stale)}`,
        acked: ackedBefore,
        ledgerRows: view.ledger.length,
        expectedRestoreStep: lastView ? expectedRestoreStep(lastView) : null,
        restoredFromStep: life.restored,
        staleBatches: stale,
        identities: xw.figures,
        resumes: { tried: ctl.resumeOutcome.size, refused: refused.length },
        serverErrors: proc.errors.slice(0, 10),
        violations,
      };
      results.push(res);
      console.log(JSON.stringify(res));
      lastView = view;
    }
    // Drain: one more life; every waiting key answered, settled keys sent again, both wallets of every identity against the ledger.
    const final: string[] = [];
    let behind: WalletStand[] = [];
    let figures: IdentityFigures[] = [];
    ctl.iteration = results.length;
    const life = await start(results.length).catch((err: Error) => {
      final.push(`final start failed: ${err.message}`);
      return null;
    });
    if (life) {
      final.push(...life.violations);
      ctl.draining = true;
      await Promise.race([load, sleep(30_000)]);
      const waiting = bots.flatMap((b) =>
        b.lanes.filter((k) => k !== null).map((k) => `${k} (world ${b.worldId}, ${b.joins} joins, last: ${b.lastError})`),
      );
      if (waiting.length) final.push(`waiting keys not answered within 30 s of the drain: ${waiting.join(', ')}`);
      const joined: Array<[WorldtickClient, XwBot]> = [];
      for (const w of XW_WORLDS) {
        const group = bots.filter((b) => b.worldId === w);
        const cs = await joinAll(spec.port, group, w).catch((err: Error): WorldtickClient[] => {
          final.push(`final joins in ${w}: ${err.message}`);
          return [];
        });
        for (const [k, c] of cs.entries()) if (group[k]) joined.push([c, group[k]]);
      }
      for (const [c, b] of joined) for (let n = 0; n < 20; n++) await replaySettled(c, b, ctl.iteration, o.rand);
      const wallets = await walletsAgainstLedger(spec.adminPort, bots, 10_000);
      final.push(...wallets.violations);
      behind = wallets.behind;
      for (const [c] of joined) c.close();
      await killServer(life.proc);
      const view = await viewOf();
      const xw = checkCrossWorld(view.ledger, bots);
      figures = xw.figures;
      final.push(...xw.violations, ...checkLedger(view, [], rewarder));
      for (const b of bots) final.push(...b.violations.splice(0));
      lastView = view;
    }
    const sum = <K extends keyof (typeof bots)[number]['replays']>(k: K): number => bots.reduce((n, b) => n + b.replays[k], 0);
    return {
      store: o.store,
      window: 'cross-world',
      seed: o.seed,
      ...cfg,
      iterations: results.length,
      violations: violationsOf(results) + final.length,
      finalViolations: final,
      finalBehindByOtherWorld: behind,
      acked: ackedCount(bots),
      refusals: {
        recorded: bots.reduce((n, b) => n + b.refused.size, 0),
        withoutRow: bots.reduce((n, b) => n + b.unrecorded.size, 0),
      },
      replays: { sent: sum('sent'), otherWorld: sum('otherWorld'), earlierLife: sum('earlierLife'), refusals: sum('refusals') },
      rewardsAcked: rewarder.acked.size,
      staleBatchesPerLife: results.map((r) => r.staleBatches),
      finalIdentities: figures,
      ledgerRows: lastView?.ledger.length ?? 0,
      minutes: Math.round((Date.now() - t0) / 600) / 100,
      loadAverage: loadAverage(),
      results,
    };
  } finally {
    await (pgServer as PgServer | null)?.destroy();
  }
};

/** One iteration's outcome (the campaign's summary format, plus the identities' ledger figures). */
export interface IterationOut {
  iteration: number;
  killAfterMs: number;
  note: string;
  acked: number;
  ledgerRows: number;
  expectedRestoreStep: number | null;
  restoredFromStep: number | null;
  staleBatches: Record<string, number>;
  identities: IdentityFigures[];
  resumes: { tried: number; refused: number };
  serverErrors: string[];
  violations: string[];
}

const emptyIteration = (iteration: number, violation: string): IterationOut => ({
  iteration,
  killAfterMs: 0,
  note: violation,
  acked: 0,
  ledgerRows: 0,
  expectedRestoreStep: null,
  restoredFromStep: null,
  staleBatches: {},
  identities: [],
  resumes: { tried: 0, refused: 0 },
  serverErrors: [],
  violations: [violation],
});
