/**
 * One instance's sample of bench/soak-cluster.ts ({@link Point}: from its inspector, `/proc`, its
 * `/metrics` and admin world list), the difference of two quiet samples, and the bots' report.
 */
import { readFileSync } from 'node:fs';
import { metricsSize, worldList } from './soak-cluster-churn.js';
import type { SoakInstance } from './soak-cluster-driver.js';
import type { Point } from './soak-cluster-figures.js';
import { connectionsTo, inspectProcess, openFds } from './soak-cluster-probe.js';

const MiB = 2 ** 20;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Sample `i` (null when it is down); `moves`/`churns` are the counts so far, `pgByName` its PostgreSQL sessions by name. */
export const sampleInstance = async (
  i: SoakInstance,
  at: { t: number; moves: number; churns: number },
  ports: { redis: number; pg: number },
  pgByName: Record<string, number>,
): Promise<Point | null> => {
  const pid = i.proc?.child.pid;
  if (!pid || i.proc?.child.exitCode !== null) return null;
  const s = await inspectProcess(i.inspectPort);
  const conns = connectionsTo(pid, [ports.redis, ports.pg]);
  const resources = Object.values(s.resources).reduce((a, b) => a + b, 0);
  const m = await metricsSize(i.spec.adminPort);
  const wl = await worldList(i.spec.adminPort);
  return {
    ...at,
    heapMiB: r2(s.heapUsed / MiB),
    codeMiB: r2(s.codeUsed / MiB),
    rssMiB: r2(s.rss / MiB),
    externalMiB: r2((s.external + s.arrayBuffers) / MiB),
    resources,
    timers: s.resources.Timeout ?? 0,
    resourcesByType: s.resources,
    fds: openFds(pid),
    redisConns: conns[ports.redis] ?? 0,
    pgConns: conns[ports.pg] ?? 0,
    pgSessions: pgByName[`soak-${i.id}`] ?? 0,
    metricsBytes: m.bytes,
    metricsSeries: m.series,
    churnSeries: m.churnSeries,
    worlds: wl.worlds,
    churnWorlds: wl.churnWorlds,
  };
};

/** Last quiet sample minus the first (same placement), with heap bytes per move and per churned world. */
export const quietDeltaOf = (b0: Point, b1: Point, moves: number, churns: number): Record<string, number> => ({
  heapMiB: r2(b1.heapMiB - b0.heapMiB),
  codeMiB: r2(b1.codeMiB - b0.codeMiB),
  heapBytesPerMove: Math.round(((b1.heapMiB - b0.heapMiB) * MiB) / Math.max(1, moves)),
  heapBytesPerChurn: Math.round(((b1.heapMiB - b0.heapMiB) * MiB) / Math.max(1, churns)),
  resources: b1.resources - b0.resources,
  timers: b1.timers - b0.timers,
  fds: b1.fds - b0.fds,
  redisConns: b1.redisConns - b0.redisConns,
  pgConns: b1.pgConns - b0.pgConns,
  pgSessions: b1.pgSessions - b0.pgSessions,
  metricsBytes: b1.metricsBytes - b0.metricsBytes,
  metricsSeries: b1.metricsSeries - b0.metricsSeries,
  churnSeries: b1.churnSeries - b0.churnSeries,
  worlds: b1.worlds - b0.worlds,
});

/** The figures of the bots' report file (or only their exit when they wrote none). */
export const botsFiguresOf = (file: string, exit: unknown): unknown => {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return {
      exit,
      connected: r.connected,
      disconnects: r.disconnects,
      disconnectsByCode: r.disconnectsByCode,
      movesFollowed: r.movesFollowed,
      moveFailures: r.moveFailures,
    };
  } catch {
    return { exit }; // no report (killed before writing it)
  }
};
