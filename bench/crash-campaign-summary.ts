/** The crash campaign's summary file (bench/crash-campaign.ts; docs/DURABILITY.md "Crash campaign"). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

export const violationsOf = (results: readonly { violations: readonly string[] }[]): number =>
  results.reduce((n, r) => n + r.violations.length, 0);
export const loadAverage = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

/** Write a campaign's summary to `out` and print it without the per-iteration results; exit code 1 on any violation. */
export const writeSummary = (
  out: string,
  summary: { violations: number; results: readonly { iteration: number; violations: readonly string[] }[] } & Record<string, unknown>,
): void => {
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  const failedIterations = summary.results.filter((r) => r.violations.length).map((r) => r.iteration);
  console.log(JSON.stringify({ ...summary, results: undefined, failedIterations }));
  process.exitCode = summary.violations ? 1 : 0;
};
