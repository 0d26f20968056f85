/**
 * Bench harness: runs tinybench tasks, prints a table and writes `bench/results/<suite>.json`.
 * Every suite file `bench/<suite>.bench.ts` default-exports a {@link Suite}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

export interface TaskFigures {
  name: string;
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  opsPerSecond: number;
}

export interface SuiteResult {
  suite: string;
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    totalMemGiB: number;
    loadAvgStart: number[];
    loadAvgEnd: number[];
  };
  tasks: TaskFigures[];
  /** Suite-specific figures (ratios, bytes, memory...). */
  extra: Record<string, unknown>;
}

export interface SuiteContext {
  /** Quick mode (CI smoke): fewer iterations, smaller time. */
  quick: boolean;
  /** Run tinybench tasks and collect their figures. */
  measure(
    tasks: Array<[string, () => void | Promise<void>, { setup?: () => void }?]>,
    opts?: { timeMs?: number; warmupMs?: number },
  ): Promise<TaskFigures[]>;
  /** Record an extra figure. */
  record(key: string, value: unknown): void;
  log(line: string): void;
}

export interface Suite {
  name: string;
  /** The results file's name without `.json`, when a variant of the suite keeps its own (default: `name`). */
  resultName?: () => string;
  run(ctx: SuiteContext): Promise<void>;
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

const round = (n: number, d = 4): number => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);

/** Run one suite; prints a table; writes the JSON file; returns the result. */
export const runSuite = async (suite: Suite, quick: boolean): Promise<SuiteResult> => {
  const result: SuiteResult = {
    suite: suite.name,
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      totalMemGiB: round(os.totalmem() / 2 ** 30, 1),
      // 1/5/15-minute load averages: how busy the (shared) machine was around this run.
      loadAvgStart: os.loadavg().map((l) => round(l, 2)),
      loadAvgEnd: [],
    },
    tasks: [],
    extra: {},
  };
  const ctx: SuiteContext = {
    quick,
    async measure(tasks, opts) {
      const time = opts?.timeMs ?? (quick ? 150 : 1000);
      const warmupTime = opts?.warmupMs ?? (quick ? 30 : 200);
      const bench = new Bench({ time, warmupTime });
      for (const [name, fn, hooks] of tasks) {
        bench.add(name, fn, hooks?.setup ? { beforeEach: hooks.setup } : {});
      }
      await bench.run();
      const figures: TaskFigures[] = [];
      for (const t of bench.tasks) {
        const r = t.result as unknown as
          | {
              latency?: { mean: number; p50?: number; p99?: number; min: number; max: number; samplesCount?: number; samples?: number[] };
              throughput?: { mean: number };
            }
          | undefined;
        const lat = r?.latency;
        if (!lat) throw new Error(`bench task ${t.name} produced no result (did it throw?)`);
        figures.push({
          name: t.name,
          samples: lat.samplesCount ?? lat.samples?.length ?? 0,
          meanMs: round(lat.mean),
          p50Ms: round(lat.p50 ?? NaN),
          p99Ms: round(lat.p99 ?? NaN),
          minMs: round(lat.min),
          maxMs: round(lat.max),
          opsPerSecond: round(r?.throughput?.mean ?? 1000 / lat.mean, 1),
        });
      }
      result.tasks.push(...figures);
      console.table(figures.map((f) => ({ task: f.name, 'mean ms': f.meanMs, 'p50 ms': f.p50Ms, 'p99 ms': f.p99Ms, samples: f.samples })));
      return figures;
    },
    record(key, value) {
      result.extra[key] = value;
      console.log(`  ${key}: ${JSON.stringify(value)}`);
    },
    log(line) {
      console.log(line);
    },
  };
  console.log(`\n## suite ${suite.name}${quick ? ' (quick)' : ''}`);
  await suite.run(ctx);
  result.machine.loadAvgEnd = os.loadavg().map((l) => round(l, 2));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${suite.resultName?.() ?? suite.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return result;
};
