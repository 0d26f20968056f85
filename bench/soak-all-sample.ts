/**
 * One sample of the server under bench/soak-all.ts, from the outside (nothing in the server is added
 * for it): heap after three full GCs, rss, JIT code, live resources and event-loop utilization through
 * its inspector (bench/soak-cluster-probe.ts), open descriptors from `/proc/<pid>/fd`, live state from
 * its `/metrics` (sessions, parked players, worlds, ingest and other queues), and the size of its
 * store and the store's write-ahead log (bench/soak-all-store.ts: SQLite or PostgreSQL). And the
 * growth figures of a series of samples: least-squares slope per minute, its R², the second half's
 * slope, and a flag for a line that keeps rising.
 */
import { CAMPAIGN_TOKEN } from './crash-campaign-server.js';
import { fdLinks, inspectProcess, openFds } from './soak-cluster-probe.js';
import { slope } from './soak.js';
import { dirMiB, type StoreProbe } from './soak-all-store.js';

const MiB = 2 ** 20;
const r2 = (n: number): number => Math.round(n * 100) / 100;
const r4 = (n: number): number => Math.round(n * 10_000) / 10_000;

/** One sample. */
export interface Point {
  /** Wall seconds since the phase began. */
  t: number;
  heapMiB: number;
  codeMiB: number;
  rssMiB: number;
  externalMiB: number;
  fds: number;
  /** Of them: sockets, pipes, regular files (the rest: /dev/null, eventfd, epoll). */
  fdSockets: number;
  fdPipes: number;
  fdFiles: number;
  /** `process.getActiveResourcesInfo()`: all, and timers. */
  resources: number;
  timers: number;
  /** Event-loop utilization since the previous sample (0..1; the sample's own GCs fall in the next one). */
  elu: number;
  sessions: number;
  parked: number;
  worlds: number;
  ingestPending: number;
  joinsWaiting: number;
  jobsPending: number;
  factsPending: number;
  timersPending: number;
  metricsSeries: number;
  /** The store: the SQLite file, or the PostgreSQL database (`pg_database_size`). */
  storeMiB: number;
  /** Its write-ahead log: SQLite's `-wal` file, or PostgreSQL's `pg_wal` folder. */
  walMiB: number;
  /** The server's data dir (with PostgreSQL: only what the server keeps there besides the store). */
  dataDirMiB: number;
}

/** The fields fitted (all but `t`). */
export const FITTED = [
  'heapMiB',
  'codeMiB',
  'rssMiB',
  'externalMiB',
  'fds',
  'fdSockets',
  'fdPipes',
  'fdFiles',
  'resources',
  'timers',
  'elu',
  'sessions',
  'parked',
  'worlds',
  'ingestPending',
  'joinsWaiting',
  'jobsPending',
  'factsPending',
  'timersPending',
  'metricsSeries',
  'storeMiB',
  'walMiB',
  'dataDirMiB',
] as const satisfies ReadonlyArray<keyof Point>;

/** Sum of every series of `name` (with or without labels) in a Prometheus text exposition. */
export const metricSum = (text: string, name: string): number => {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const next = line.charAt(name.length);
    if (next !== '{' && next !== ' ') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
};

/** The server process sampled: its pid, inspector and admin ports, data directory. */
export interface Sampled {
  pid: number;
  inspectPort: number;
  adminPort: number;
  dataDir: string;
  store: StoreProbe;
}

/** A sampler: each call returns a {@link Point}, its ELU measured since the previous call. */
export const sampler = (s: Sampled) => {
  let prev: { idle: number; active: number } | null = null;
  return async (t: number): Promise<Point> => {
    const i = await inspectProcess(s.inspectPort);
    const elu = prev ? (i.elu.active - prev.active) / Math.max(1e-9, i.elu.active - prev.active + i.elu.idle - prev.idle) : 0;
    prev = i.elu;
    const res = await fetch(`http://127.0.0.1:${s.adminPort}/metrics`, {
      headers: { authorization: `Bearer ${CAMPAIGN_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    const m = await res.text();
    const kinds = fdKinds(s.pid);
    const sum = (n: string) => metricSum(m, n);
    return {
      t: r2(t),
      heapMiB: r2(i.heapUsed / MiB),
      codeMiB: r2(i.codeUsed / MiB),
      rssMiB: r2(i.rss / MiB),
      externalMiB: r2((i.external + i.arrayBuffers) / MiB),
      fds: openFds(s.pid),
      fdSockets: kinds.socket ?? 0,
      fdPipes: kinds.pipe ?? 0,
      fdFiles: Object.entries(kinds).reduce((a, [k, n]) => a + (k.startsWith('/') && !k.startsWith('/dev/') ? n : 0), 0),
      resources: Object.values(i.resources).reduce((a, b) => a + b, 0),
      timers: i.resources.Timeout ?? 0,
      elu: r4(elu),
      sessions: sum('worldtick_sessions'),
      parked: sum('worldtick_net_parked'),
      worlds: sum('worldtick_worlds'),
      ingestPending: sum('worldtick_ingest_pending'),
      joinsWaiting: sum('worldtick_net_joins_waiting'),
      jobsPending: sum('worldtick_jobs_pending'),
      factsPending: sum('worldtick_game_facts_pending'),
      timersPending: sum('worldtick_game_timers_pending'),
      metricsSeries: m.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
      ...(await s.store.sizes()),
      dataDirMiB: r2(dirMiB(s.dataDir)),
    };
  };
};

/** Open descriptors of `pid` by what they are: `socket`, `pipe`, `anon_inode:[eventfd]`, a file's path (digits folded). */
export const fdKinds = (pid: number): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const link of fdLinks(pid)) {
    const kind = link.replace(/^(socket|pipe):\[\d+\]$/, '$1').replace(/\d+/g, 'N');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
};

/** Squared correlation of y with x (0 when either is constant). */
export const rSquared = (xs: readonly number[], ys: readonly number[]): number => {
  const n = xs.length;
  if (n < 3) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    const dx = (xs[k] ?? 0) - mx;
    const dy = (ys[k] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
};

/** Growth of one field over the measured samples. */
export interface Growth {
  start: number;
  end: number;
  min: number;
  max: number;
  /** Least-squares slope per minute over all samples, and over the second half. */
  perMinute: number;
  secondHalfPerMinute: number;
  r2: number;
  /**
   * Rising like a line: R² ≥ 0.6, the fitted rise over the window ≥ 5 % of the mean (and above
   * `floor`), and the second half still rising at ≥ half the whole run's slope (not levelling off).
   */
  growing: boolean;
}

/** Absolute rises below which a field is not flagged (noise of a gauge that counts whole things). */
const FLOORS: Partial<Record<(typeof FITTED)[number], number>> = {
  fds: 5,
  fdSockets: 5,
  fdPipes: 5,
  fdFiles: 5,
  resources: 5,
  timers: 5,
  sessions: 5,
  parked: 5,
  worlds: 2,
  elu: 0.05,
};

/** The growth of every fitted field of `ps`. */
export const growthOf = (ps: readonly Point[]): Record<string, Growth> => {
  const out: Record<string, Growth> = {};
  const ts = ps.map((p) => p.t / 60);
  const t0 = ts[0] ?? 0;
  const minutes = (ts[ts.length - 1] ?? 0) - t0;
  const half = ps.filter((p) => p.t / 60 >= t0 + minutes / 2);
  for (const k of FITTED) {
    const ys = ps.map((p) => p[k]);
    const per = slope(ts, ys);
    const perHalf = slope(
      half.map((p) => p.t / 60),
      half.map((p) => p[k]),
    );
    const fit = rSquared(ts, ys);
    const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
    const rise = per * minutes;
    out[k] = {
      start: ys[0] ?? 0,
      end: ys[ys.length - 1] ?? 0,
      min: Math.min(...ys),
      max: Math.max(...ys),
      perMinute: r4(per),
      secondHalfPerMinute: r4(perHalf),
      r2: r2(fit),
      growing: per > 0 && fit >= 0.6 && rise >= 0.05 * Math.abs(mean) && rise > (FLOORS[k] ?? 0) && perHalf >= per / 2,
    };
  }
  return out;
};
