/**
 * `npm start`'s program (src/cli/main.ts, compiled once per run: test/helpers/child-node.ts) on a
 * data dir it is expected to refuse: runs it to its exit and
 * returns the exit code, stdout, stderr and stdout's JSON lines (the upgrade tests: a store or a
 * checkpoint written by a newer build).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { childNodeArgs } from './child-node.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RefusedStart {
  code: number | null;
  out: string;
  err: string;
  lines: Array<Record<string, unknown>>;
}

export const startToExit = async (dataDir: string): Promise<RefusedStart> => {
  const child = spawn(
    process.execPath,
    [...(await childNodeArgs('src/cli/main.ts')), '--port', '0', '--admin-port', '0', '--data-dir', dataDir, '--npcs', '10'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'upgrade-test-token-0123456789abcdef' } },
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'close')) as [number | null];
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, out, err, lines };
};
