/**
 * The PostgreSQL side of bench/many-worlds.ts (`--postgres`): a throwaway PostgreSQL 15 server
 * (test/helpers/postgres-server.ts, the server's own durable settings: `fsync=on`,
 * `synchronous_commit=on`) for the runtime's `--store`, and a sampler of the store's pooled
 * connections over a measuring window.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { PgServer } from '../test/helpers/postgres-server.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import type { PostgresStore } from '../src/store/postgres-store.js';
import type { Store } from '../src/store/types.js';

/** `--postgres`: run on PostgreSQL, write bench/results/many-worlds-postgres.json. */
export const POSTGRES = process.argv.includes('--postgres');

/**
 * The server of a `--postgres` run (null without the flag). Where PostgreSQL cannot be had (no
 * binaries), says why and ends the process with 0 before anything is measured or written.
 */
export const benchPostgres = async (): Promise<PgServer | null> => {
  if (!POSTGRES) return null;
  const server = await startPostgres();
  if ('skip' in server) {
    console.log(`many-worlds --postgres skipped: ${server.skip}`);
    process.exit(0);
  }
  return server;
};

const r = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

/** Pool figures of one window: connections in use and operations queued (mean, max over 10 ms samples), queued per wall s. */
export interface PoolFigures {
  size: number;
  meanInUse: number;
  maxInUse: number;
  /** Share of samples with every connection in use. */
  fullShare: number;
  meanWaiting: number;
  maxWaiting: number;
  waitedPerS: number;
}

/**
 * Sample `store`'s pool every 10 ms until the returned `stop` (null on a store without a pool: SQLite).
 * `stop(wallS)` gives the window's {@link PoolFigures}.
 */
export const samplePool = (store: Store): { stop: (wallS: number) => PoolFigures } | null => {
  if (store.kind !== 'postgres') return null;
  const pg = store as PostgresStore;
  const read = () => pg.poolUsage();
  const first = read();
  let n = 0;
  let inUse = 0;
  let maxInUse = 0;
  let full = 0;
  let waiting = 0;
  let maxWaiting = 0;
  const timer = setInterval(() => {
    const u = read();
    n++;
    inUse += u.inUse;
    waiting += u.waiting;
    maxInUse = Math.max(maxInUse, u.inUse);
    maxWaiting = Math.max(maxWaiting, u.waiting);
    if (u.inUse >= u.size) full++;
  }, 10);
  return {
    stop: (wallS) => {
      clearInterval(timer);
      const last = read();
      const per = (x: number): number => (n > 0 ? r(x / n) : 0);
      return {
        size: last.size,
        meanInUse: per(inUse),
        maxInUse,
        fullShare: per(full),
        meanWaiting: per(waiting),
        maxWaiting,
        waitedPerS: r((last.waited - first.waited) / wallS, 1),
      };
    },
  };
};

/** Fields of /proc/<pid>/stat after the command name: [ppid, utime, stime, cutime, cstime] in clock ticks. */
const statOf = (pid: string): number[] | null => {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return [1, 11, 12, 13, 14].map((i) => Number(f[i]));
  } catch {
    return null; // gone meanwhile
  }
};

/**
 * CPU ms used so far by the PostgreSQL server on `port` (Linux /proc): its postmaster, the children
 * running now (backends, WAL writer, checkpointer…) and those that ended. Null when not found.
 */
export const serverCpuMs = (port: number): (() => number) | null => {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const postmaster = pids.find((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return (argv[0] ?? '').endsWith('postgres') && argv.some((a, i) => a === '-p' && argv[i + 1] === String(port));
    } catch {
      return false;
    }
  });
  if (!postmaster) return null;
  const msPerTick = 1000 / 100; // USER_HZ
  return () => {
    const own = statOf(postmaster);
    if (!own) return 0;
    let ticks = (own[1] ?? 0) + (own[2] ?? 0) + (own[3] ?? 0) + (own[4] ?? 0);
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const s = statOf(pid);
      if (s && String(s[0]) === postmaster) ticks += (s[1] ?? 0) + (s[2] ?? 0);
    }
    return ticks * msPerTick;
  };
};
