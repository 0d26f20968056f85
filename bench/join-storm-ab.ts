/**
 * A/B of the process-wide join bound (`net.maxJoinsPerSecond`, src/net/join-rate.ts) under a join
 * storm spread over several worlds of one process: runs bench/hostile.ts `--split --only join-storm
 * --worlds N` (server child pinned to CPU 0, attackers on CPU 1) with the bound at its default and
 * off (`{"maxJoinsPerSecond":0}`), alternated `--rounds` times (on, off, on, off...), so a change in
 * the shared machine's load hits both. The per-world bound is the default (16 per step) in both.
 * Collects each run's row (loop p99/max, step p99 over every world's steps, server CPU, joins,
 * joins per world, the longest on-CPU stretch, the server thread's run-queue wait, the load average)
 * into bench/results/join-storm-ab.json (`--out name`: bench/results/name.json).
 *
 *   npx tsx bench/join-storm-ab.ts [--worlds 4] [--rounds 2] [--only join-storm] [--out join-storm-ab]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : d;
};
const WORLDS = Number(arg('worlds', '4'));
const ROUNDS = Number(arg('rounds', '2'));
const ONLY = arg('only', 'join-storm');
const OUT = arg('out', 'join-storm-ab');
const MODES = [
  { mode: 'process-bound', net: {} },
  { mode: 'no-process-bound', net: { maxJoinsPerSecond: 0 } },
] as const;

const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
const runs: Array<Record<string, unknown>> = [];
for (let round = 1; round <= ROUNDS; round++)
  for (const { mode, net } of MODES) {
    const tag = `ab-${mode}-${round}`;
    const load = loadavg().map((x) => Math.round(x * 100) / 100);
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/hostile.ts',
        '--split',
        '--only',
        ONLY,
        '--worlds',
        String(WORLDS),
        '--net',
        JSON.stringify(net),
        '--run',
        tag,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`hostile.ts ${tag} exited ${r.status}`);
    const file = new URL(`hostile-attacks-split-run${tag}.json`, out);
    const res = JSON.parse(readFileSync(file, 'utf8')) as { placement: string; rows: Array<Record<string, unknown>> };
    rmSync(file);
    for (const row of res.rows) {
      const { attack, seconds, loopP99Ms, loopMaxMs, stepP99Ms, stepMaxMs, serverCpuPct, joins, joinsByWorld, maxBlockRanMs } = row;
      runs.push({
        round,
        mode,
        attack,
        seconds,
        joinsPerSecond: Math.round(Number(joins) / Number(seconds)),
        loopP99Ms,
        loopMaxMs,
        stepP99Ms,
        stepMaxMs,
        serverCpuPct,
        joins,
        joinsByWorld,
        maxBlockRanMs,
        // Time the server's main thread waited for a CPU (other processes on its core): high = the figures are the machine's.
        runqueueWaitMs: row.runqueueWaitMs,
        goodMaxSnapshotGapMs: row.goodMaxSnapshotGapMs,
        serverDelta: row.serverDelta,
        loadBeforeRun: load,
        loadStart: row.loadStart,
        loadEnd: row.loadEnd,
        placement: res.placement,
      });
      console.log(JSON.stringify(runs.at(-1)));
    }
  }
const result = { suite: 'join-storm-ab', at: new Date().toISOString(), worlds: WORLDS, rounds: ROUNDS, node: process.version, runs };
writeFileSync(new URL(`${OUT}.json`, out), `${JSON.stringify(result, null, 2)}\n`);
