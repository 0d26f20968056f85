/**
 * The shared backend of the multi-instance cluster tests: one real redis-server (coordination) and
 * one real PostgreSQL (the shared store). Either both can be had, or the suite skips with a reason.
 */
import { startPostgres, type PgServer } from './postgres-server.js';
import { findRedisServer, type RedisTestServer } from './redis-server.js';

/** Start the suite's PostgreSQL when redis-server is installed too; otherwise say why it skips (logged once). */
export const sharedBackendOrSkip = async (suite: string): Promise<{ skip: string | null; pg: PgServer | null }> => {
  const pg = findRedisServer() ? await startPostgres() : { skip: 'redis-server is not installed' };
  if ('skip' in pg) {
    console.warn(`${suite}: skipped (${pg.skip})`);
    return { skip: pg.skip, pg: null };
  }
  return { skip: null, pg };
};

/** Options every instance of a shared-store cluster test starts with (the test adds its own). */
export const sharedStoreArgs = (redis: RedisTestServer, pg: PgServer): string[] => [
  '--redis',
  redis.url,
  '--store',
  pg.url,
  '--stats-interval',
  '0',
  '--log-level',
  'info',
];
