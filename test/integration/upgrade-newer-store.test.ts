/**
 * Upgrades from this build onward, seen from this build as the OLD one: a store a newer build has
 * already migrated (its `schema_migrations` holds a version above {@link LATEST_SCHEMA_VERSION}, as
 * that build leaves it).
 *
 * - Started on it, this build refuses clearly — exit 2, `WT_ERR_STORE_MIGRATION_FAILED` naming both
 *   versions — and leaves the store as it was (nothing migrated, no world created or checkpointed).
 * - Already running when the newer build migrated the shared store (a rolling upgrade), its
 *   checkpoint writer thread — which opens its own connection at its first checkpoint, possibly after
 *   the migration — attaches to the store its process already opened and writes on, on SQLite and on
 *   PostgreSQL. Before, that connection ran the open-time refusal and every checkpoint of the instance
 *   failed (`checkpoint of w failed: store migration failed …`): seen with two real builds, docs/CLUSTER.md
 *   "Rolling upgrade".
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerCheckpointWriter } from '../../src/persist/checkpoint-writer.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { startPostgres, type PgServer } from '../helpers/postgres-server.js';
import { startToExit } from '../helpers/refused-start.js';

const NEWER = LATEST_SCHEMA_VERSION + 1;
const FUTURE = 'a migration of a newer build';
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What a checkpoint written through the worker thread looks like (the bytes are not read here). */
const input = (step: number) => ({
  worldId: 'w',
  step,
  worldTime: step / 20,
  config: {},
  fencingToken: 0,
  meta: { format: 2, schema: 5, incarnation: 'i' },
});

/** Write one checkpoint of world `w` through a fresh writer thread, as a running instance's next checkpoint does. */
const writeThroughThread = async (target: { store?: string; dataDir?: string }, step: number): Promise<void> => {
  const writer = new WorkerCheckpointWriter(target);
  try {
    await writer.write(new Uint8Array([1, 2, 3, step]), input(step));
  } finally {
    await writer.close();
  }
};

const expectCheckpointAt = async (store: Store, step: number): Promise<void> => {
  const ck = await store.loadCheckpoint('w');
  expect(ck?.step).toBe(step);
};

describe('upgrade: a store migrated by a newer build (SQLite)', () => {
  const data = tempDataDir('wt-upgrade-newer-');
  afterAll(() => data.remove());
  const file = join(data.dir, 'worldtick.sqlite');

  it('a running instance checkpoints on after a newer build migrated its store', async () => {
    const store = new SqliteStore({ dataDir: data.dir }); // this process's own connection, opened at start
    try {
      // The newer build's migration, on a connection of its own, closed (a connection left open would
      // checkpoint its WAL into the file whenever it is collected: during the next test's sha check).
      const newer = new Database(file);
      newer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(NEWER, FUTURE, 1);
      newer.close();
      await writeThroughThread({ dataDir: data.dir }, 7);
      await expectCheckpointAt(store, 7);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('is refused at start: exit 2, a coded message, the store unchanged', async () => {
    const before = sha(file);
    const { code, out, err, lines } = await startToExit(data.dir);
    expect(code).toBe(2);
    expect(err).toContain(`schema version ${NEWER}, newer than this build knows (${LATEST_SCHEMA_VERSION})`);
    expect(err).toContain('restore the backup taken before the upgrade');
    const fatal = lines.find((l) => l.level === 60);
    expect(fatal?.code).toBe('WT_ERR_STORE_MIGRATION_FAILED');
    expect(out).not.toContain('"server ready"');
    expect(sha(file)).toBe(before);
    const db = new Database(file, { readonly: true });
    const versions = db.prepare('SELECT max(version) AS v, count(*) AS n FROM schema_migrations').get();
    const rows = db
      .prepare("SELECT (SELECT count(*) FROM world_configs) AS worlds, (SELECT count(*) FROM checkpoints WHERE world_id = '1') AS cps")
      .get();
    db.close();
    expect(versions).toEqual({ v: NEWER, n: NEWER });
    expect(rows).toEqual({ worlds: 0, cps: 0 });
  }, 30_000);
});

describe('upgrade: a shared store migrated by a newer build (PostgreSQL)', async () => {
  const server = await startPostgres();
  const skip = 'skip' in server ? server.skip : null;
  if (skip) console.warn(`upgrade-newer-store (postgres): skipped (${skip})`);
  afterAll(async () => {
    if (!skip) await (server as PgServer).destroy();
  }, 30_000);

  it.skipIf(skip !== null)(
    'a running instance checkpoints on; a new open is refused',
    async () => {
      const url = (server as PgServer).url;
      const store = await PostgresStore.open({ url });
      try {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [NEWER, FUTURE, 1]);
        await c.end();
        await writeThroughThread({ store: url }, 9);
        await expectCheckpointAt(store, 9);
        await expect(PostgresStore.open({ url })).rejects.toMatchObject({
          code: 'WT_ERR_STORE_MIGRATION_FAILED',
          message: expect.stringContaining(`schema version ${NEWER}, newer than this build knows (${LATEST_SCHEMA_VERSION})`),
        });
      } finally {
        await store.close();
      }
    },
    30_000,
  );
});
