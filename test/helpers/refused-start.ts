/**
 * `npm start`'s program (src/cli/main.ts, compiled once per run: test/helpers/child-node.ts) on a
 * data dir it is expected to refuse: runs it to its exit and
 * returns the exit code, stdout, stderr and stdout's JSON lines (the upgrade tests: a store or a
 * checkpoint written by a newer build; the refused-start tests: a port taken, a store in use).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { childNodeArgs } from './child-node.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RefusedStart {
  code: number | null;
  out: string;
  err: string;
  lines: Array<Record<string, unknown>>;
}

/** Options of {@link startToExit}. */
export interface StartToExitOptions {
  /** Flags that replace the defaults of the same name (`--port 0`, `--admin-port 0`, `--npcs 10`) or add to them. */
  flags?: Record<string, string>;
  /** More environment variables for the child. */
  env?: NodeJS.ProcessEnv;
  /** The program (a path from the repository root; default `src/cli/main.ts`): a game's own main takes the same flags. */
  main?: string;
}

/** Run `npm start`'s program (or `o.main`) on `dataDir` (or the store a `--store` flag names) until it exits. */
export const startToExit = async (dataDir: string, o: StartToExitOptions = {}): Promise<RefusedStart> => {
  const flags: Record<string, string> = { port: '0', 'admin-port': '0', 'data-dir': dataDir, npcs: '10', ...o.flags };
  const argv = Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
  const child = spawn(process.execPath, [...(await childNodeArgs(o.main ?? 'src/cli/main.ts')), ...argv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'upgrade-test-token-0123456789abcdef', ...o.env },
  });
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

/**
 * An input log path (`--record`) in `dir` that a start cannot open although its folder exists and is
 * writable: a symbolic link to a file in a missing folder. The check before the store opens
 * (src/replay/record-path.ts) passes it; the recorder's open, after the store, refuses the start.
 */
export const recordPathFailingAtOpen = (dir: string): string => {
  const link = join(dir, 'input.wtrec');
  symlinkSync(join(dir, 'gone', 'input.wtrec'), link);
  return link;
};
