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
  /** The game (WebSocket) port and the admin port of the ready line. */
  port: number;
  adminPort: number;
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

export interface GameProcessOptions {
  main: string;
  args: readonly string[];
  dataDir: string;
  token: string;
  readyMsg?: string;
  /** Extra environment (a game's own settings, e.g. `FARM_*`). */
  env?: Record<string, string>;
  /**
   * A command that runs node for it, e.g. `['ip', 'netns', 'exec', ns]` (test/helpers/netns-link.ts:
   * it execs node in place, so the child's pid is node's and a SIGKILL reaches it).
   */
  wrap?: readonly string[];
}

/**
 * Start `main` (a path from the repository root) with `args`; resolves once a line with
 * `msg === readyMsg` carrying `adminPort` is printed.
 */
export const startGameProcess = async (o: GameProcessOptions): Promise<GameProcess> => ready(o, spawnGame(o, await childNodeArgs(o.main)));

/**
 * Start `main` ahead of its turn (test/helpers/warm-main.ts): the process loads its modules now and
 * runs `main` on `go()`, which resolves as {@link startGameProcess} does. Say go only once the
 * process before it on the same data dir has exited. `kill()` ends one that is not needed after all; `lines`
 * are its log lines, also while it starts.
 */
export const launchGameProcess = async (
  o: GameProcessOptions,
): Promise<{ go: () => Promise<GameProcess>; kill: () => void; lines: Line[] }> => {
  const s = spawnGame(o, await childNodeArgs('test/helpers/warm-main.ts'), { WT_WARM_ENTRY: o.main });
  s.child.stdin.on('error', () => {}); // killed before its go: EPIPE
  return {
    lines: s.lines, // its log lines so far, also before go() resolves
    go: () => {
      s.child.stdin.end('go\n');
      return ready(o, s);
    },
    kill: () => {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    },
  };
};

interface Spawned {
  child: ChildProcessWithoutNullStreams;
  lines: Line[];
  /** Set when the process exited (with its last stderr). */
  exited: () => string | undefined;
}

const spawnGame = (o: GameProcessOptions, nodeArgs: string[], env: Record<string, string> = {}): Spawned => {
  const [cmd = process.execPath, ...wrapArgs] = o.wrap?.length ? [...o.wrap, process.execPath] : [];
  const child = spawn(cmd, [...wrapArgs, ...nodeArgs, ...o.args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: o.token, WORLDTICK_DATA_DIR: o.dataDir, ...o.env, ...env },
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
  return { child, lines, exited: () => exited };
};

const ready = async (o: GameProcessOptions, { child, lines, exited }: Spawned): Promise<GameProcess> => {
  try {
    const ready = await waitFor(() => {
      const e = exited();
      if (e !== undefined) throw new Error(e);
      return lines.find((l) => l.msg === (o.readyMsg ?? 'server ready'));
    });
    return {
      child,
      lines,
      admin: `http://127.0.0.1:${ready.adminPort}/api/v1`,
      port: Number(ready.port),
      adminPort: Number(ready.adminPort),
    };
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
