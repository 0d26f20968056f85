/**
 * Session sweep throughput (docs/DURABILITY.md "Expired records (the session sweep)"): N expired
 * session records, 1,000 live and 1,000 parked (unexpired) ones in a real store (SQLite file, or a
 * throwaway PostgreSQL 15 with `--postgres`), then one `DurableSessions.prune` pass, timed from its
 * call until `settled()`. Figures per run: rows swept per second (N / wall time), the store calls and
 * their rows, the longest synchronous call (SQLite holds the event loop for a whole call).
 *
 * Two loads: `idle` (nothing else on the event loop) and `busy`: a simulated world loop on the same
 * event loop — a drift-free 20 Hz step (target = start + k·50 ms, run from a timer like
 * src/loop/loop-runner.ts) that burns `--step-ms` of CPU (default 30: 60 % of the frame) and saves
 * 8 players' positions through the same `DurableSessions` (session write queue) every step. For
 * `busy` also each step's lateness (start − target, ms) during the sweep: the delay the sweep put on
 * the player-facing work; `baseline` is the same loop for 2 s with no sweep. `busy-degraded`: the
 * same with the sweep told the worlds are degraded. The sweep is given the loop's pace (`DurableSessions`'
 * `pace`: the mode and the ms until the next step; ignored by the code before the paced sweep,
 * src/net/session-sweep.ts).
 *
 *   npm run bench -- session-sweep [--postgres] [--n N] [--rounds R] [--step-ms S] [--label L]
 * Writes bench/results/session-sweep[-postgres][-L].json (the harness's file; `uptime` in `machine`).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { DurableSessions } from '../src/net/durable-sessions.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SessionWrite, Store } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { type PgServer, startPostgres } from '../test/helpers/postgres-server.js';
import { runSuite, type Suite } from './harness.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const POSTGRES = args.includes('--postgres');
const LABEL = arg('label', '');
const FRAME_MS = 50;
const PLAYERS = 8;

/** Seed N expired, 1,000 live and 1,000 parked session records (oldest expiry first). */
const seed = async (store: Store, n: number, now: number): Promise<void> => {
  for (let start = 0; start < n; start += 10_000) {
    const ops: SessionWrite[] = [];
    for (let i = start; i < Math.min(n, start + 10_000); i++)
      ops.push({
        kind: 'session',
        record: { token: `e${i}`, playerId: `x:e${i}`, worldId: 'w', expiresAt: now - 3_600_000 - n + i, data: { live: false } },
      });
    await store.writeSessions(ops);
  }
  const keep: SessionWrite[] = [];
  for (let i = 0; i < 1000; i++) {
    keep.push({
      kind: 'session',
      record: { token: `l${i}`, playerId: `x:l${i}`, worldId: 'w', expiresAt: now + 86_400_000, data: { live: true } },
    });
    keep.push({
      kind: 'session',
      record: { token: `p${i}`, playerId: `x:p${i}`, worldId: 'w', expiresAt: now + 60_000, data: { live: false } },
    });
  }
  await store.writeSessions(keep);
};

/** The store with every `pruneSessions` call's synchronous time (ms) and rows noted. */
const spied = (real: Store, calls: Array<{ ms: number; rows: number }>): Store => {
  const spy: Store = Object.create(real) as Store;
  spy.pruneSessions = (now, limit) => {
    const t0 = performance.now();
    const p = real.pruneSessions(now, limit);
    const c = { ms: performance.now() - t0, rows: 0 };
    calls.push(c);
    return p.then((rows) => {
      c.rows = rows;
      return rows;
    });
  };
  return spy;
};

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0) * 10) / 10;
};

/** A simulated world loop: drift-free 20 Hz steps burning `stepMs` of CPU each, lateness noted. */
const worldLoop = (stepMs: number, onStep: () => void) => {
  const late: number[] = [];
  const anchor = performance.now();
  let k = 0;
  let timer: NodeJS.Timeout | null = null;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    const now = performance.now();
    const due = Math.floor((now - anchor) / FRAME_MS) - k;
    if (due > 0) {
      late.push(now - (anchor + (k + 1) * FRAME_MS));
      k += due; // one step per tick; the rest dropped (the cap), as a starved loop runner does
      const until = performance.now() + stepMs;
      while (performance.now() < until);
      onStep();
    }
    timer = setTimeout(tick, Math.max(0, anchor + (k + 1) * FRAME_MS - performance.now()));
  };
  timer = setTimeout(tick, FRAME_MS);
  return {
    late,
    slackMs: () => anchor + (k + 1) * FRAME_MS - performance.now(),
    stop: () => {
      running = false;
      if (timer) clearTimeout(timer);
    },
  };
};

type Load = 'idle' | 'busy' | 'busy-degraded';

interface Run {
  load: Load;
  n: number;
  wallMs: number;
  rowsPerSec: number;
  calls: number;
  rowsPerCallMax: number;
  callSyncMsMax: number;
  callSyncMsP50: number;
  stepLateP50Ms?: number;
  stepLateP99Ms?: number;
  stepLateMaxMs?: number;
  steps?: number;
  keptLiveAndParked: number;
  expiredLeft: number;
}

const openStore = async (pgServer: PgServer | null, dir: string): Promise<Store> => {
  if (!pgServer) return new SqliteStore({ dataDir: dir });
  const c = new pg.Client({ connectionString: pgServer.url });
  await c.connect();
  await c.query('DROP TABLE IF EXISTS sessions CASCADE').catch(() => undefined);
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await c.end();
  return PostgresStore.open({ url: pgServer.url });
};

const oneRun = async (pgServer: PgServer | null, n: number, load: Load, stepMs: number): Promise<Run> => {
  const dir = tempDataDir('wt-session-sweep-');
  const store = await openStore(pgServer, dir.dir);
  const now = Date.now();
  try {
    await seed(store, n, now);
    const calls: Array<{ ms: number; rows: number }> = [];
    let loop: ReturnType<typeof worldLoop> | null = null;
    const ds = new DurableSessions(
      spied(store, calls),
      () => 60,
      (err) => {
        throw err;
      },
      () => now,
      // The pace (ignored before the paced sweep): the worlds' mode and the wall ms until the next step.
      { mode: () => (load === 'busy-degraded' ? 'degraded' : 'normal'), slackMs: () => loop?.slackMs() ?? Number.POSITIVE_INFINITY },
    );
    const saves = (): void => {
      for (let i = 0; i < PLAYERS; i++) ds.savePosition(`x:l${i}`, 'n', 'w', Math.random(), Math.random());
    };
    if (load !== 'idle') {
      loop = worldLoop(stepMs, saves);
      await new Promise((r) => setTimeout(r, 500));
      loop.late.length = 0;
    }
    const t0 = performance.now();
    ds.prune();
    await ds.settled();
    const wallMs = performance.now() - t0;
    loop?.stop();
    await ds.settled();
    const left = (await Promise.all([0, Math.floor(n / 2), n - 1].map((i) => store.getSession(`e${i}`, 0)))).filter(Boolean).length;
    const kept = (await Promise.all([0, 999].flatMap((i) => [`l${i}`, `p${i}`]).map((t) => store.getSession(t, now)))).filter(
      Boolean,
    ).length;
    const rows = calls.map((c) => c.rows);
    const ms = calls.map((c) => c.ms);
    return {
      load,
      n,
      wallMs: Math.round(wallMs),
      rowsPerSec: Math.round((n / wallMs) * 1000),
      calls: calls.length,
      rowsPerCallMax: Math.max(...rows),
      callSyncMsMax: q(ms, 1),
      callSyncMsP50: q(ms, 0.5),
      ...(loop
        ? { stepLateP50Ms: q(loop.late, 0.5), stepLateP99Ms: q(loop.late, 0.99), stepLateMaxMs: q(loop.late, 1), steps: loop.late.length }
        : {}),
      keptLiveAndParked: kept,
      expiredLeft: left,
    };
  } finally {
    await store.close();
    dir.remove();
  }
};

/** The simulated world loop alone for 2 s: its step lateness with no sweep. */
const baseline = async (stepMs: number) => {
  const loop = worldLoop(stepMs, () => undefined);
  await new Promise((r) => setTimeout(r, 2000));
  loop.stop();
  return { stepLateP50Ms: q(loop.late, 0.5), stepLateP99Ms: q(loop.late, 0.99), stepLateMaxMs: q(loop.late, 1), steps: loop.late.length };
};

export const sessionSweepSuite: Suite = {
  name: `session-sweep${POSTGRES ? '-postgres' : ''}${LABEL ? `-${LABEL}` : ''}`,
  async run(ctx) {
    const n = Number(arg('n', ctx.quick ? '20000' : '100000'));
    const rounds = Number(arg('rounds', ctx.quick ? '1' : '2'));
    const stepMs = Number(arg('step-ms', '30'));
    const started = POSTGRES ? await startPostgres() : null;
    if (started && 'skip' in started) throw new Error(`--postgres: ${started.skip}`);
    const pgServer = started;
    try {
      ctx.record(
        'uptimeStart',
        os.loadavg().map((l) => Math.round(l * 100) / 100),
      );
      ctx.record('baseline', { stepMs, ...(await baseline(stepMs)) });
      const runs: Run[] = [];
      for (let r = 0; r < rounds; r++)
        for (const load of ['idle', 'busy', 'busy-degraded'] as const) {
          const run = await oneRun(pgServer, n, load, stepMs);
          console.log(JSON.stringify(run));
          runs.push(run);
        }
      ctx.record('store', POSTGRES ? 'postgres' : 'sqlite');
      ctx.record('runs', runs);
      ctx.record(
        'uptimeEnd',
        os.loadavg().map((l) => Math.round(l * 100) / 100),
      );
    } finally {
      await pgServer?.destroy();
    }
  },
};

export default sessionSweepSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(sessionSweepSuite, args.includes('--quick'));
  process.exit(0);
}
