/**
 * Each test file's CPU time, for finding where a suite run's CPU goes (docs/CONTRIBUTING.md "Suite time").
 * Loaded only when `WT_FILE_CPU=<file>` is set (vitest.config.ts `setupFiles`): appends one line per test file,
 * `<own CPU s>\t<children's CPU s>\t<wall s>\t<path>`, where own is the worker process (its threads included)
 * and children are the processes it started and reaped during the file (child servers, CLIs, Chromium).
 * Detached servers (the run's PostgreSQL, redis-server) are not counted. Linux only (/proc/self/stat).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const OUT = process.env.WT_FILE_CPU ?? '';

/** utime, stime, cutime, cstime of this process in clock ticks (1/100 s on Linux). */
const ticks = (): number[] => {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return [Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])];
};

let start: number[] = [];
let wallStart = 0;
let file = '?';
// vitest passes the file's suite as the hook's second argument (the first is the fixture context).
// biome-ignore lint/correctness/noEmptyPattern: vitest requires the fixture argument to be a destructuring pattern
beforeAll(({}, suite) => {
  file = relative(process.cwd(), (suite as { filepath?: string }).filepath ?? '?');
  start = ticks();
  wallStart = performance.now();
});
afterAll(() => {
  if (!OUT || start.length === 0) return;
  const t = ticks();
  const own = (t[0] + t[1] - start[0] - start[1]) / 100;
  const kids = (t[2] + t[3] - start[2] - start[3]) / 100;
  appendFileSync(OUT, `${own.toFixed(2)}\t${kids.toFixed(2)}\t${((performance.now() - wallStart) / 1000).toFixed(1)}\t${file}\n`);
});
