/**
 * `npm run store-copy` (src/cli/store-copy.ts) as tests run it: a real child process running
 * `src/cli/store-copy-main.ts` from the run's compiled copy (`childNodeArgs`, bundled: ~24 copies a run,
 * each ~2-3 s of CPU through tsx's hooks; `WT_TEST_CHILD_TSX=1` runs it with tsx again; store-copy.test.ts's
 * main copy runs `npm run store-copy`'s own program, through tsx), and the rows of a target database by table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { childNodeArgs } from './child-node.js';
import { withPgClient } from './shared-postgres.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** How a copy is started: the run's compiled copy (default), or `npm run store-copy`'s own program (`node --import tsx`). */
export interface CopyRun {
  readonly tsx?: boolean;
}

/** The command as a child process (stdout and stderr piped). */
export const spawnCopy = async (args: readonly string[], how: CopyRun = {}): Promise<ChildProcess> => {
  const entry = 'src/cli/store-copy-main.ts';
  return spawn(process.execPath, [...(how.tsx ? ['--import', 'tsx', entry] : await childNodeArgs(entry)), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};

/** Run the command to its end: exit code and output. */
export const storeCopy = async (
  args: readonly string[],
  how: CopyRun = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> => {
  const child = await spawnCopy(args, how);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { status: code, stdout, stderr };
};

/** The JSON summary the command prints last. */
export const copyReport = (stdout: string): any => JSON.parse(stdout.slice(stdout.indexOf('\n{') + 1));

/** Rows of every table of the database at `url`, by table (an empty database: `{}`). */
export const targetCounts = (url: string): Promise<Record<string, number>> =>
  withPgClient(url, async (c) => {
    const out: Record<string, number> = {};
    const tables = await c.query<{ t: string }>(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
    );
    for (const { t } of tables.rows) out[t] = Number((await c.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
    return out;
  });
