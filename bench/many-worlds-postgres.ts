/**
 * The PostgreSQL side of bench/many-worlds.ts (`--postgres`): a throwaway PostgreSQL 15 server
 * (test/helpers/postgres-server.ts, the server's own durable settings: `fsync=on`,
 * `synchronous_commit=on`) for the runtime's `--store`, and a sampler of the store's pooled
 * connections over a measuring window.
 */
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
