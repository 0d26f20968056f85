/**
 * The bots CLI (src/bots/main.ts) as a child process against a test cluster, for the tests of bots
 * following a move of their world (test/integration/cluster/bots-moves*.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BotsReport } from '../../src/bots/report.js';
import { childNodeArgs } from './child-node.js';
import type { ApiInstance } from './cluster-instances.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface BotsRun {
  code: number | null;
  err: string;
  /** The `--report` file, or null when the run wrote none. */
  report: BotsReport | null;
}

/** Run 5 bots (every 2nd a full client) on `worldId` from `url`, with `extra` options; resolves at their exit. */
export const runBots = async (url: string, worldId: string, extra: string[]): Promise<{ done: Promise<BotsRun> }> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-bots-moves-'));
  const file = join(dir, 'report.json');
  const args = ['--url', url, '--world', worldId, '--clients', '5', '--full-every', '2', '--warmup', '0.2', '--input-hz', '5'];
  const child = spawn(
    process.execPath,
    [...(await childNodeArgs('src/bots/main.ts')), ...args, '--no-progress', '--report', file, ...extra],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<BotsRun>((r) =>
    child.on('close', (code) => {
      let report: BotsReport | null = null;
      try {
        report = JSON.parse(readFileSync(file, 'utf8')) as BotsReport;
      } catch {
        report = null;
      }
      rmSync(dir, { recursive: true, force: true });
      r({ code, err, report });
    }),
  );
  return { done };
};

/** Sessions of `worldId` on `inst` (its own admin view), or -1 when it does not step it. */
export const sessionsOn = async (inst: ApiInstance, worldId: string): Promise<number> => {
  const r = await inst.api('GET', `/api/v1/worlds/${worldId}`);
  return r.status === 200 && typeof r.json.sessions === 'number' ? r.json.sessions : -1;
};
