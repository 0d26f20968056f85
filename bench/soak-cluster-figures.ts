/**
 * The figures of bench/soak-cluster.ts: one instance's sample ({@link Point}) and growth lines (per
 * hour and per 1,000 moves, least squares as bench/soak.ts). The heap snapshots' diff is
 * bench/soak-cluster-heap.ts.
 */
import { slope } from './soak.js';

/** One instance's sample. */
export interface Point {
  /** Wall seconds since the measured run began (-1 in no run: the quiet sample before it). */
  t: number;
  /** Worlds moved so far (migrations, drained worlds, failovers). */
  moves: number;
  heapMiB: number;
  /** Used bytes of the heap's code spaces (JIT code), MiB: grows while code warms up, not a leak. */
  codeMiB: number;
  rssMiB: number;
  externalMiB: number;
  resources: number;
  timers: number;
  resourcesByType: Record<string, number>;
  fds: number;
  redisConns: number;
  pgConns: number;
  pgSessions: number;
  /** Churn worlds created so far (bench/soak-cluster-churn.ts). */
  churns: number;
  /** Size of the instance's `/metrics`: bytes, series, series naming a churn world. */
  metricsBytes: number;
  metricsSeries: number;
  churnSeries: number;
  /** Worlds in its admin world list, and churn worlds among them. */
  worlds: number;
  churnWorlds: number;
}

/** The fields fitted. */
export const FITTED = [
  'heapMiB',
  'codeMiB',
  'rssMiB',
  'externalMiB',
  'resources',
  'timers',
  'fds',
  'redisConns',
  'pgConns',
  'pgSessions',
  'metricsBytes',
  'metricsSeries',
  'churnSeries',
  'worlds',
] as const;

const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Least-squares growth of each field of `ps` per 1,000 of `x` (e.g. world churns). */
export const growthPer1000 = <P extends Record<X | K, unknown>, X extends string, K extends string>(
  ps: readonly P[],
  x: X,
  keys: readonly K[],
): Record<K, number> => {
  const out = {} as Record<K, number>;
  const xs = ps.map((p) => Number(p[x]));
  for (const k of keys)
    out[k] = r2(
      slope(
        xs,
        ps.map((p) => Number(p[k])),
      ) * 1000,
    );
  return out;
};

/** Least-squares growth of each field of `ps` per hour (over `t`) and per 1,000 moves. */
export const growthOf = <P extends { t: number; moves: number }, K extends keyof P & string>(
  ps: readonly P[],
  keys: readonly K[],
): Record<K, { perHour: number; per1000Moves: number }> => {
  const out = {} as Record<K, { perHour: number; per1000Moves: number }>;
  for (const k of keys) {
    const ys = ps.map((p) => Number(p[k]));
    out[k] = {
      perHour: r2(
        slope(
          ps.map((p) => p.t),
          ys,
        ) * 3600,
      ),
      per1000Moves: r2(
        slope(
          ps.map((p) => p.moves),
          ys,
        ) * 1000,
      ),
    };
  }
  return out;
};
