/**
 * A game server process for crash tests: `<main> [options]` on a data dir (compiled once per run, else
 * `node --import tsx`: test/helpers/child-node.ts), with an admin token, its stdout collected as JSON lines. Used by the durability tests that SIGKILL a game
 * (timers, facts, component stores) and start it again on the same data dir.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { childNodeArgs } from './child-node.js';
import { collectJsonLines } from './log-lines.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export type Line = Record<string, any>;

export interface GameProcess {
  child: ChildProcessWithoutNullStreams;
  lines: Line[];
  /** `http://127.0.0.1:<adminPort>/api/v1` */
  admin: string;
}

/** Poll `fn` (every 40 ms) until it gives a value other than undefined; throws after `ms`. */
export const waitFor = async <T>(fn: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 40));
  }
};

/**
 * Start `main` (a path from the repository root) with `args`; resolves once a line with
 * `msg === readyMsg` carrying `adminPort` is printed.
 */
export const startGameProcess = async (o: {
  main: string;
  args: readonly string[];
  dataDir: string;
  token: string;
  readyMsg?: string;
}): Promise<GameProcess> => {
  const child = spawn(process.execPath, [...(await childNodeArgs(o.main)), ...o.args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: o.token, WORLDTICK_DATA_DIR: o.dataDir },
  });
  const lines = collectJsonLines(child.stdout);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (${code ?? signal}) before '${o.readyMsg ?? 'server ready'}': ${stderr.slice(-2000)}`;
  });
  try {
    const ready = await waitFor(() => {
      if (exited !== undefined) throw new Error(exited);
      return lines.find((l) => l.msg === (o.readyMsg ?? 'server ready'));
    });
    return { child, lines, admin: `http://127.0.0.1:${ready.adminPort}/api/v1` };
  } catch (err) {
    // Never leave a server behind that the test got no handle to stop.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
};

/** SIGKILL and wait for the exit. */
export const killHard = async (p: GameProcess): Promise<void> => {
  p.child.kill('SIGKILL');
  await once(p.child, 'exit');
};
