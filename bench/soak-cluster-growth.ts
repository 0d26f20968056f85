/**
 * The growth figures of a soak-cluster run (bench/soak-cluster.ts), from its samples: per hour and per
 * 1,000 moves — of the samples during the moves (second half), and of the quiet samples (same
 * placement each time; the first, after the warm-up, left out of the fit) —, the cluster-wide counts'
 * growth, and the first and last quiet samples' difference (the heap snapshots' diff: bench/soak-cluster-heap.ts).
 */
import { FITTED, growthOf, growthPer1000, type Point } from './soak-cluster-figures.js';
import { quietDeltaOf } from './soak-cluster-sample.js';

/** One cluster-wide sample: Redis clients and keys, PostgreSQL sessions. */
export interface ClusterPoint {
  t: number;
  moves: number;
  churns: number;
  redisClients: number;
  redisKeys: number;
  redisFenceKeys: number;
  pgSessions: number;
}

/** What a run sampled. */
export interface SoakRunSamples {
  /** Samples during the moves, by instance. */
  series: Record<string, Point[]>;
  /** Quiet samples (driver paused, every world at home), each by instance. */
  quiet: Array<Record<string, Point | null>>;
  cluster: ClusterPoint[];
  runSeconds: number;
  /** Moves and churned worlds during the measured run (after the warm-up). */
  moves: number;
  churns: number;
}

/** The figures of `r` for the instances `steady` (those that live the whole run), and of all of a, b, c for the quiet difference. */
export const soakGrowth = (r: SoakRunSamples, steady: readonly string[]) => {
  const growth: Record<string, unknown> = {};
  const quietGrowth: Record<string, unknown> = {};
  for (const id of steady) {
    const half = (r.series[id] ?? []).filter((p) => p.t >= r.runSeconds / 2);
    growth[id] = { secondHalfSamples: half.length, ...growthOf(half, FITTED) };
    const qs = r.quiet.slice(1).flatMap((q) => (q[id] ? [q[id]] : []));
    quietGrowth[id] = { samples: qs.length, ...growthOf(qs, FITTED), per1000Churns: growthPer1000(qs, 'churns', FITTED) };
  }
  const clusterGrowth = growthOf(
    r.cluster.filter((p) => p.t >= r.runSeconds / 2),
    ['redisClients', 'redisKeys', 'pgSessions'] as const,
  );
  const first = r.quiet[0] ?? {};
  const last = r.quiet[r.quiet.length - 1] ?? {};
  const quietDelta: Record<string, unknown> = {};
  for (const id of ['a', 'b', 'c']) {
    const b0 = first[id];
    const b1 = last[id];
    if (b0 && b1) quietDelta[id] = quietDeltaOf(b0, b1, r.moves, r.churns);
  }
  return { growth, quietGrowth, clusterGrowth, quietDelta };
};
