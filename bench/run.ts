/**
 * `npm run bench [-- suite ...] [--quick]`: runs `bench/<suite>.bench.ts` suites (all when
 * none is named; the long suites in NAMED_ONLY below — `soak`, `soak-all` (`--minutes N`), `soak-cluster`,
 * `ledger-catchup`, `ledger-summary-commit`, `ledger-verify`, `store-copy`, `many-worlds`, `dashboard-bytes`, `dashboard-poll`,
 * `world-step-cost`, `sqlite-wal-size`, `sqlite-store-check`, `world-create-stall`, `worlds-list`, `session-sweep`, `session-writes`, each from its own file bench/<name>.ts — only when named), prints their tables and
 * writes `bench/results/<suite>.json`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runSuite, type Suite } from './harness.js';

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** Options that take a value (`--minutes N`: bench/soak-all.ts; `--n`, `--rounds`, `--step-ms`, `--label`: bench/session-sweep.ts): the value is not a suite name. */
const VALUED = ['--minutes', '--n', '--rounds', '--step-ms', '--label'];
const wanted = args.filter((a, i) => !a.startsWith('--') && !VALUED.includes(args[i - 1] ?? ''));
/** Long-running suites (minutes): run only when named, from their own file `bench/<name>.ts`. */
const NAMED_ONLY = [
  'soak',
  'soak-all',
  'soak-cluster',
  'ledger-catchup',
  'ledger-summary-commit',
  'ledger-verify',
  'store-copy',
  'many-worlds',
  'dashboard-bytes',
  'dashboard-poll',
  'world-step-cost',
  'sqlite-wal-size',
  'sqlite-store-check',
  'world-create-stall',
  'worlds-list',
  'session-sweep',
  'session-writes',
];
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const unknown = wanted.filter((w) => !available.includes(w) && !NAMED_ONLY.includes(w));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${[...available, ...NAMED_ONLY].join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : available) {
  const file = NAMED_ONLY.includes(name) ? `${name}.ts` : `${name}.bench.ts`;
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Suite };
  await runSuite(mod.default, quick);
}
process.exit(0);
