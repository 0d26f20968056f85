/**
 * The figures of bench/soak-cluster.ts: one instance's sample ({@link Point}), growth lines (per hour
 * and per 1,000 moves, least squares as bench/soak.ts), and a heap snapshot summary — objects by
 * constructor name, counted from a `.heapsnapshot` file the instance wrote — to diff two of them.
 */
import { readFileSync } from 'node:fs';
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

/** Objects of a heap snapshot by constructor name (closures by function name, strings by their first 24 characters): count and self bytes. */
export type HeapSummary = Map<string, { count: number; bytes: number }>;

/** Read a `.heapsnapshot` (V8's JSON) and count its nodes by type and name. */
export const summarizeSnapshot = (file: string): HeapSummary => {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const stride = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out: HeapSummary = new Map();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '?';
    if (type === 'hidden' || type === 'synthetic') continue;
    const text = snap.strings[snap.nodes[i + iName] ?? 0] ?? '?';
    // Strings by their first 24 characters, digits folded: what kind of text grows.
    const name =
      type === 'object'
        ? text
        : type === 'closure'
          ? `closure ${text}`
          : type === 'string'
            ? `(string) ${text.slice(0, 24).replace(/\d+/g, '#')}`
            : `(${type})`;
    const e = out.get(name);
    const bytes = snap.nodes[i + iSize] ?? 0;
    if (e) {
      e.count++;
      e.bytes += bytes;
    } else out.set(name, { count: 1, bytes });
  }
  return out;
};

/** The `top` names whose count grew most from `a` to `b` (with their byte growth). */
export const snapshotGrowth = (
  a: HeapSummary,
  b: HeapSummary,
  top = 20,
): Array<{ name: string; countBefore: number; countAfter: number; bytesDelta: number }> => {
  const rows: Array<{ name: string; countBefore: number; countAfter: number; bytesDelta: number }> = [];
  for (const [name, e] of b) {
    const was = a.get(name) ?? { count: 0, bytes: 0 };
    rows.push({ name, countBefore: was.count, countAfter: e.count, bytesDelta: e.bytes - was.bytes });
  }
  return rows.sort((x, y) => y.countAfter - y.countBefore - (x.countAfter - x.countBefore)).slice(0, top);
};
