/**
 * Suite `timers-checkpoint`: a checkpoint of a game world whose pending one-shot timers are at the
 * bounds (docs/DURABILITY.md "World checkpoints", docs/GAME-API.md "Timers"): header size, the
 * synchronous copy on the loop, deflate, SQLite write, restore, peak RSS, and the loop's lateness at
 * 20 Hz with a checkpoint every 40 steps against none. Each case runs in its own process
 * (bench/timers-checkpoint-child.ts) so its peak RSS is its own. Cases: 4 KB payloads (the byte
 * budget binds: 256 timers) and 102-byte payloads (10,000 timers, ~1 MiB: both bounds).
 * `WT_BENCH_BASE_ROOT=<dir>` (an extracted older tree, its node_modules linked) measures the same
 * cases there too, in the same run, for a before/after ratio. The machine is shared: see loadAvg1.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Suite } from './harness.js';

const ROOT = new URL('..', import.meta.url).pathname;

const runCase = (root: string, payload: number, steps: number): Record<string, unknown> => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/timers-checkpoint-child.ts', '--root', root, '--payload', String(payload), '--steps', String(steps)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as Record<string, unknown>;
};

const suite: Suite = {
  name: 'timers-checkpoint',
  async run(ctx) {
    const steps = ctx.quick ? 80 : 160;
    const trees: Array<[string, string]> = [['this tree', ROOT]];
    const base = process.env.WT_BENCH_BASE_ROOT;
    if (base) trees.unshift(['base tree', base]);
    const cases: Array<Record<string, unknown>> = [];
    for (const payload of [4096, 102])
      for (const [tree, root] of trees) {
        const r = { tree, ...runCase(root, payload, steps) };
        cases.push(r);
        ctx.log(`  ${tree}, payload ${payload} B: ${JSON.stringify(r)}`);
      }
    ctx.record('cases', cases);
    ctx.record('loadAvg', os.loadavg());
    ctx.record('note', 'each case in its own process (peak RSS is its own); machine shared with other engineers: compare within one run');
  },
};

export default suite;
