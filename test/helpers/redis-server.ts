/**
 * Starts a throwaway `redis-server` on a free 127.0.0.1 port for a test, and stops it.
 *
 * No persistence (`--save '' --appendonly no`), working directory in a fresh temp folder that
 * is removed on stop. Tests call {@link findRedisServer} first and skip with a clear message
 * when the binary is missing (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-port.js';

/** A running test Redis. */
export interface RedisTestServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** Path of a working redis-server binary, or null. */
export const findRedisServer = (): string | null => {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', 'redis-server']) {
    if (p.includes('/') && !existsSync(p)) continue;
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return null;
};

/** {@link findRedisServer}; where there is none, warns that `what` is skipped (the message says how to install it). */
export const redisServerFor = (what: string): string | null => {
  const bin = findRedisServer();
  if (!bin) console.warn(`SKIP ${what}: redis-server not installed (apt-get install -y redis-server, or run .ci/run)`);
  return bin;
};

/** Whether a Redis on 127.0.0.1:`port` answers PING with PONG now (false on any error, after 500 ms at most). */
export const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/**
 * One start on `port`: resolves when the server says it is ready (its log line), null when it exited
 * because the port was taken, and throws on any other exit or when it is neither ready nor gone
 * within 10 s. The server's own output decides, not a probe: a probe could be answered by another
 * Redis that holds the port.
 */
const startOnce = async (bin: string, port: number, bind: readonly string[]): Promise<RedisTestServer | null> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-redis-'));
  const child = spawn(
    bin,
    [
      ...['--port', String(port), '--bind', ['127.0.0.1', ...bind].join(' '), '--save', '', '--appendonly', 'no', '--dir', dir],
      ...(bind.length ? ['--protected-mode', 'no'] : []), // clients from a test network, no password
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  let settle: (ready: boolean) => void = () => {};
  const outcome = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  const onData = (d: Buffer): void => {
    log += d.toString();
    if (/Ready to accept connections/.test(log)) settle(true);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // 'close', not 'exit': a server that printed "Address already in use" and exited at once can report
  // its exit before its output was read (seen in CI: an empty log, a refused start taken for a failure).
  child.once('close', () => settle(false));
  child.once('error', () => settle(false));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited(child);
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const timer = setTimeout(() => settle(false), 10_000);
  const ready = await outcome;
  clearTimeout(timer);
  if (ready) return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, stop };
  await stop();
  if (/Address already in use/i.test(log)) return null;
  throw new Error(`redis-server did not start on port ${port}: ${log.slice(-2000)}`);
};

/** Start attempts on a taken port before {@link startRedisServer} gives up. */
const START_ATTEMPTS = 5;

/**
 * Starts a redis-server on a free port: `firstPort` if given, else one the OS picks; when another
 * process took the port first (the server exits "Address already in use"), on a new free port, up to
 * 5 attempts. Read the port from the result. `o.bind`: addresses it listens on besides 127.0.0.1 (a
 * test network's host end, test/helpers/netns-link.ts); the URL stays on 127.0.0.1.
 */
export const startRedisServer = async (
  bin = findRedisServer(),
  o: { firstPort?: number; bind?: readonly string[] } = {},
): Promise<RedisTestServer> => {
  if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server, or run .ci/run)');
  let port = 0;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    port = attempt === 1 && o.firstPort !== undefined ? o.firstPort : await freePort();
    const s = await startOnce(bin, port, o.bind ?? []);
    if (s) return s;
  }
  throw new Error(`redis-server: the port was taken on each of ${START_ATTEMPTS} attempts (last ${port})`);
};
