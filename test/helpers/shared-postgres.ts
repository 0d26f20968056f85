/**
 * A fresh, empty PostgreSQL database for one test file, on the run's shared server (started once by
 * shared-postgres-setup.ts, the vitest globalSetup) instead of an initdb per file. Use it where the
 * file only needs a database of its own; a file that stops, crashes or restarts PostgreSQL, or looks
 * at server-wide state, starts its own server with `startPostgres` (the returned object refuses
 * stop/start/crash to keep it that way). Outside the vitest config (no provided server) it falls back
 * to a server of its own.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { type PgServer, startPostgres } from './postgres-server.js';

/** What the globalSetup provides: the folder where the shared server says `ready` (its port) or `failed`. */
export interface SharedPgInfo {
  stateDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    wtSharedPostgres: SharedPgInfo;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` on a fresh client of `url`, ended afterwards whatever `fn` does. */
export const withPgClient = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

const adminQuery = (url: string, sql: string): Promise<void> => withPgClient(url, async (c) => void (await c.query(sql)));

/** Wait for the shared server: its port when ready, else why it cannot be had. */
const sharedReady = async (info: SharedPgInfo): Promise<{ port: number } | { skip: string }> => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    // Written in one call, but read it whole: a port is all digits.
    const ready = existsSync(join(info.stateDir, 'ready')) ? readFileSync(join(info.stateDir, 'ready'), 'utf8') : '';
    if (/^\d+$/.test(ready)) return { port: Number(ready) };
    if (existsSync(join(info.stateDir, 'failed'))) return { skip: readFileSync(join(info.stateDir, 'failed'), 'utf8') };
    if (Date.now() > deadline) throw new Error(`the shared PostgreSQL server (${info.stateDir}) did not start within 120 s`);
    await sleep(50);
  }
};

const refuse = async (): Promise<void> => {
  throw new Error('a database on the shared PostgreSQL server cannot be stopped, started or crashed: use startPostgres()');
};

/**
 * A new database on the shared server (`destroy` drops it), or `{ skip }` saying why PostgreSQL
 * cannot be had here. `url` points at the new database; `port` is the shared server's.
 */
export const freshDatabase = async (): Promise<PgServer | { skip: string }> => {
  const info = inject('wtSharedPostgres') as SharedPgInfo | undefined;
  if (!info) return startPostgres();
  const ready = await sharedReady(info);
  if ('skip' in ready) return ready;
  const adminUrl = `postgres://postgres@127.0.0.1:${ready.port}/postgres`;
  const name = `wt_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    port: ready.port,
    stop: refuse,
    start: refuse,
    crash: refuse,
    async destroy() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
};

/**
 * A fresh database for one test file ({@link freshDatabase}), destroyed after the file's tests:
 * `db` is null and `skip` says why when PostgreSQL cannot be had.
 */
export const fileDatabase = async (): Promise<{ skip: string | null; db: PgServer | null }> => {
  const server = await freshDatabase();
  const skip = 'skip' in server ? server.skip : null;
  const db = skip ? null : (server as PgServer);
  afterAll(async () => {
    await db?.destroy();
  });
  return { skip, db };
};
