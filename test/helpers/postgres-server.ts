/**
 * A throwaway PostgreSQL 15 server for tests and benchmarks: a new cluster in a temp folder (a copy of
 * a kept initdb output, test/helpers/postgres-template.ts), pg_ctl on a free port (socket dir /tmp; a
 * port taken between its pick and the bind is replaced by another, up to 5 attempts), trust auth on 127.0.0.1 (more listen
 * addresses and pg_hba.conf lines by option). The port is picked below the kernel's ephemeral range
 * ({@link serverPort}): a server stopped or crashed and started again comes back on the same port
 * (its clients reconnect to the same URL), and while it is down no bind to port 0 or outgoing
 * connection of another process can be given that port. As root, initdb/pg_ctl run as the
 * `postgres` user (runuser). Where the server cannot be had, {@link startPostgres} returns a reason
 * to skip instead of throwing.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initDataDir } from './postgres-template.js';
import { serverPort } from './server-port.js';

const run = promisify(execFile);

/** Where Debian's postgresql-15 puts its binaries (override with PG_BIN). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A running server. */
export interface PgServer {
  url: string;
  port: number;
  /** Stop the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /**
   * Start it again on the same port and data. A port found taken is tried again for ~2 s (a short
   * holder; `attempts`, default 10, 200 ms apart); then it fails naming the port.
   */
  start(o?: { attempts?: number }): Promise<void>;
  /** Stop and delete everything. */
  destroy(): Promise<void>;
  /** Crash the server: SIGKILL its postmaster (no shutdown checkpoint; `start` runs crash recovery). */
  crash(): Promise<void>;
}

/** Start attempts on a taken port before {@link startPostgres} gives up. */
const START_ATTEMPTS = 5;
/** Attempts of a restart on the server's own port (it cannot move: its clients know its URL), 200 ms apart. */
const RESTART_ATTEMPTS = 10;
/** What the postmaster logs when its TCP port or its Unix socket's lock (same port number) is taken. */
const PORT_TAKEN = /Address already in use|could not create any TCP\/IP sockets|lock file "[^"]*\.s\.PGSQL\.\d+\.lock" already exists/;

const uidOf = (user: string): { uid: number; gid: number } | undefined => {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`));
    if (!line) return undefined;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    return undefined;
  }
};

/** Where and how {@link startPostgres} runs its server (defaults: a new temp folder, a free port). */
export interface PgServerOptions {
  /** An empty folder for the server's files (made by the caller). */
  dir?: string;
  /**
   * The first port to try. When it is taken (another process bound it since it was picked), the
   * server starts on a free one instead: read the result's `port`/`url`.
   */
  port?: number;
  /** More `-c name=value` server settings. */
  settings?: string[];
  maxConnections?: number;
  /** Addresses to listen on (default `['127.0.0.1']`); the URL stays on 127.0.0.1. */
  listenAddresses?: string[];
  /** More pg_hba.conf lines (e.g. `host all all 10.79.0.0/30 trust` for a test's own subnet). */
  hba?: string[];
}

/** Start a fresh server, or return `{ skip }` saying why it cannot be had here. */
export const startPostgres = async (o: PgServerOptions = {}): Promise<PgServer | { skip: string }> => {
  if (!existsSync(join(PG_BIN, 'initdb')))
    return { skip: `PostgreSQL binaries not found in ${PG_BIN} (apt-get install postgresql, or set PG_BIN)` };
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? uidOf('postgres') : undefined;
  if (asRoot && !pgUser) return { skip: 'running as root and no `postgres` user exists to run initdb' };
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'wt-pg-'));
  if (pgUser) chownSync(dir, pgUser.uid, pgUser.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const runAs = (cmd: string, args: string[]): Promise<unknown> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  const exec = (bin: string, args: string[]): Promise<unknown> => runAs(join(PG_BIN, bin), args);
  const settings = [...(o.settings ?? []), `max_connections=${o.maxConnections ?? 50}`].map((x) => `-c ${x}`).join(' ');
  const startArgsFor = (p: number): string[] => [
    '-D',
    data,
    '-l',
    log,
    '-w',
    '-t',
    '30',
    '-o',
    `-p ${p} -k /tmp -c listen_addresses=${(o.listenAddresses ?? ['127.0.0.1']).join(',')} ${settings}`,
    'start',
  ];
  const logSize = (): number => (existsSync(log) ? statSync(log).size : 0);
  const logFrom = (offset: number): string => {
    try {
      return readFileSync(log).subarray(offset).toString('utf8');
    } catch {
      return ''; // no log yet
    }
  };
  /** `pg_ctl start` with `args`: null once started, else its error and what the server logged meanwhile. */
  const tryStart = async (args: string[]): Promise<{ err: unknown; tail: string } | null> => {
    const offset = logSize();
    try {
      await exec('pg_ctl', args);
      return null;
    } catch (err) {
      return { err, tail: logFrom(offset) };
    }
  };
  const fail = (err: unknown, tail: string): { skip: string } => {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `could not start PostgreSQL: ${(err as Error).message.slice(0, 300)} ${tail.slice(-500)}` };
  };
  try {
    await initDataDir(PG_BIN, data, runAs, pgUser);
    if (o.hba?.length) appendFileSync(join(data, 'pg_hba.conf'), `\n${o.hba.join('\n')}\n`);
  } catch (err) {
    return fail(err, '');
  }
  // pg_ctl -w returns once the server accepts connections, or fails as soon as the postmaster exits
  // (it does at once when it cannot bind its port or lock its socket). Between the pick and the
  // bind another process may take the port: then try a new one, from the server's own log line.
  let port = 0;
  let startArgs: string[] = [];
  for (let attempt = 1; ; attempt++) {
    port = attempt === 1 && o.port !== undefined ? o.port : await serverPort();
    startArgs = startArgsFor(port);
    const failed = await tryStart(startArgs);
    if (!failed) break;
    if (!PORT_TAKEN.test(failed.tail)) return fail(failed.err, failed.tail);
    if (attempt >= START_ATTEMPTS) return fail(new Error(`port taken on each of ${START_ATTEMPTS} attempts (last ${port})`), failed.tail);
  }
  let running = true;
  const stop = async (): Promise<void> => {
    if (!running) return;
    await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    async start(so = {}) {
      if (running) return;
      const attempts = so.attempts ?? RESTART_ATTEMPTS;
      for (let attempt = 1; ; attempt++) {
        const failed = await tryStart(startArgs);
        if (!failed) break;
        const { err, tail } = failed;
        if (!PORT_TAKEN.test(tail) || attempt >= attempts)
          throw new Error(
            `PostgreSQL did not start again on its port ${port}: ${(err as Error).message.slice(0, 300)} ${tail.slice(-500)}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
      running = true;
    },
    async crash() {
      if (!running) return;
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      running = false;
    },
    async destroy() {
      // Immediate: no shutdown checkpoint, the data is deleted anyway.
      if (running) {
        try {
          await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch {
          /* already down */
        }
        running = false;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
