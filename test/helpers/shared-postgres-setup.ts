/**
 * vitest globalSetup: ONE throwaway PostgreSQL server for the whole run, for the test files that only
 * need a fresh, empty database ({@link freshDatabase} in shared-postgres.ts makes one per file).
 * initdb + start cost 2-6 s per file on the 2-core machine; about twenty files paid it.
 *
 * The server starts in the background (a run that needs no PostgreSQL does not wait for it); the
 * files wait for `<stateDir>/ready`, which holds its port (or read why it failed from `<stateDir>/failed`). Both projects
 * (unit, integration) run this setup: the second one reuses the first one's server.
 *
 * Settings: `fsync`, `synchronous_commit` and `full_page_writes` off (nothing here crashes this server
 * or its machine; a test that stops or crashes PostgreSQL starts its own with `startPostgres`), and
 * room for the connections of two files running side by side (cluster files run three instances).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type PgServer, startPostgres } from './postgres-server.js';
import type { SharedPgInfo } from './shared-postgres.js';

interface Shared {
  info: SharedPgInfo;
  server: Promise<PgServer | { skip: string }>;
  base: string;
  users: number;
}

const slot = globalThis as { __worldtickSharedPg?: Shared };

const launch = async (): Promise<Shared> => {
  const base = mkdtempSync(join(tmpdir(), 'wt-pg-shared-'));
  chmodSync(base, 0o755); // the `postgres` user (runuser, as root) must reach <base>/pg
  const stateDir = join(base, 'state');
  const dir = join(base, 'pg');
  mkdirSync(stateDir);
  mkdirSync(dir);
  // Its port is known once it runs (startPostgres replaces a port taken meanwhile): `ready` holds it.
  const server = startPostgres({
    dir,
    maxConnections: 300,
    settings: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'],
  }).then(
    (s) => {
      writeFileSync(join(stateDir, 'skip' in s ? 'failed' : 'ready'), 'skip' in s ? s.skip : String(s.port));
      return s;
    },
    (err: Error) => {
      writeFileSync(join(stateDir, 'failed'), `could not start PostgreSQL: ${err.message}`);
      return { skip: err.message };
    },
  );
  return { info: { stateDir }, server, base, users: 0 };
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  slot.__worldtickSharedPg ??= await launch();
  const shared = slot.__worldtickSharedPg;
  shared.users++;
  project.provide('wtSharedPostgres', shared.info);
  return async () => {
    if (--shared.users > 0) return;
    slot.__worldtickSharedPg = undefined;
    const s = await shared.server;
    if (!('skip' in s)) await s.destroy();
    rmSync(shared.base, { recursive: true, force: true });
  };
}
