/**
 * The store's tables dropped under an open store (docs/ADMIN.md runbook 8: a database reset or a dump
 * restored over it while the server runs): every operation on a missing table fails `WT_ERR_STORE_UNAVAILABLE`
 * reason `schema`, saying what to do, and the store's stats show the outage (`worldtick_store_unavailable`).
 * Before stop 69 both stores returned the driver's own error (PostgreSQL `42P01` "relation … does not exist",
 * SQLite "no such table") — outside the store's contract of coded errors — and no outage was recorded.
 * Real stores: a PostgreSQL database of the run's shared server, a SQLite file.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const tempDir = fileTempDirs();
const server = await freshDatabase();
if ('skip' in server) console.warn(`[store tables dropped] PostgreSQL case skipped: ${server.skip}`);
afterAll(async () => {
  if (!('skip' in server)) await server.destroy();
});

/** After the tables went: each kind of operation fails coded `schema`; the outage is in the stats. */
const expectSchemaGone = async (store: Store): Promise<void> => {
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['ledger commit', () => store.commitLedger([rewardEntry('after')])],
    ['ledger read', () => store.readLedger({ playerId: 'p1' })],
    ['world record', () => store.putWorldConfig('w', { a: 1 })],
    [
      'checkpoint',
      () => store.saveCheckpoint({ worldId: 'w', step: 1, worldTime: 0, config: null, data: new Uint8Array(4), fencingToken: 0 }),
    ],
  ];
  for (const [what, op] of ops) {
    const err = await op().then(
      () => new Error(`${what}: succeeded`),
      (e: unknown) => e,
    );
    expect(err, what).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'schema' } });
    expect((err as Error).message, what).toMatch(/the store's database or tables are missing or not this build's: .* runbook 8/);
  }
  expect(store.stats().unavailable).toMatchObject({ reason: 'schema' });
};

describe("the store's tables dropped under an open store", () => {
  it.skipIf('skip' in server)('PostgreSQL (the schema dropped and created empty, as a reset does)', async () => {
    const url = (server as { url: string }).url;
    const store = await PostgresStore.open({ url });
    try {
      await store.commitLedger([rewardEntry('before')]);
      await withPgClient(url, async (c) => {
        await c.query('DROP SCHEMA public CASCADE');
        await c.query('CREATE SCHEMA public');
      });
      await expectSchemaGone(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf('skip' in server)('PostgreSQL (the database dropped, its sessions ended: DROP DATABASE … WITH (FORCE))', async () => {
    const url = (server as { url: string }).url;
    const store = await PostgresStore.open({ url });
    try {
      await store.commitLedger([rewardEntry('before')]);
      const admin = new URL(url);
      admin.pathname = '/postgres';
      await withPgClient(admin.href, async (c) => {
        await c.query(`DROP DATABASE "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
      });
      await expectSchemaGone(store);
    } finally {
      await store.close();
    }
  });

  it('SQLite (the tables dropped by another connection)', async () => {
    const dir = tempDir('wt-tables-dropped-');
    const store = new SqliteStore({ dataDir: dir });
    try {
      await store.commitLedger([rewardEntry('before')]);
      const other = new Database(join(dir, SQLITE_FILE_NAME));
      for (const table of ['ledger', 'ledger_balances', 'world_configs', 'checkpoints']) other.exec(`DROP TABLE ${table}`);
      other.close();
      await expectSchemaGone(store);
    } finally {
      await store.close();
    }
  });
});
