/**
 * The offline `npm run verify` reads a store; it never creates or migrates one (src/cli/verify.ts,
 * `readOnlySchema` in src/store/open-store.ts). Before: an empty `worldtick.sqlite` or another
 * program's database was given worldtick's whole schema and reported `ok` (0 players); a store of an
 * older build was migrated — while, as documented, verify runs beside a server, which may be that
 * older build; an empty PostgreSQL database got every table. Now each is refused with a code and
 * the file or database is byte for byte (table for table) what it was.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyOffline } from '../../../src/cli/verify.js';
import { isWorldtickError } from '../../../src/errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/store/migrations.js';
import { openStore } from '../../../src/store/open-store.js';
import { fileDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const root = mkdtempSync(join(tmpdir(), 'wt-verify-ro-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A data directory whose worldtick.sqlite `fill` writes (null: an empty file). */
const dataDir = (name: string, fill: ((db: Database.Database) => void) | null): { dir: string; file: string } => {
  const dir = join(root, name);
  mkdirSync(dir);
  const file = join(dir, 'worldtick.sqlite');
  if (fill === null) writeFileSync(file, '');
  else {
    const db = new Database(file);
    fill(db);
    db.close();
  }
  return { dir, file };
};

/** The schema of the build before this one: every migration but the last, recorded as a server records them. */
const OLDER = MIGRATIONS.slice(0, -1);
const applyOlderSqlite = (db: Database.Database): void => {
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  for (const m of OLDER) {
    for (const sql of m.sqlite) db.exec(sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 0);
  }
};

const refusal = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'verified',
    (e: unknown) => e,
  );

describe('offline verify on SQLite reads only', () => {
  it('an empty worldtick.sqlite: WT_ERR_STORE_FILE_MISSING, the file stays empty', async () => {
    const { dir, file } = dataDir('empty', null);
    const e = await refusal(verifyOffline(dir));
    expect(isWorldtickError(e, 'WT_ERR_STORE_FILE_MISSING')).toBe(true);
    expect((e as Error).message).toContain('no worldtick schema');
    expect(readFileSync(file).length).toBe(0);
  });

  it("another program's database: WT_ERR_STORE_FILE_MISSING, not one byte written", async () => {
    const { dir, file } = dataDir('foreign', (db) => db.exec("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine')"));
    const before = digest(file);
    const e = await refusal(verifyOffline('', `sqlite:${dir}`));
    expect(isWorldtickError(e, 'WT_ERR_STORE_FILE_MISSING')).toBe(true);
    expect(digest(file)).toBe(before);
  });

  it('a store of an older build: WT_ERR_STORE_SCHEMA_OLD naming both versions, not migrated', async () => {
    const { dir, file } = dataDir('older', applyOlderSqlite);
    const before = digest(file);
    const e = await refusal(verifyOffline(dir));
    expect(isWorldtickError(e, 'WT_ERR_STORE_SCHEMA_OLD')).toBe(true);
    expect((e as Error).message).toContain(`schema version ${OLDER.at(-1)?.version}, older than this build's (${LATEST_SCHEMA_VERSION})`);
    expect(digest(file)).toBe(before);
  });

  it('a store of a newer build: WT_ERR_STORE_MIGRATION_FAILED, not written', async () => {
    const { dir, file } = dataDir('newer', (db) => {
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'future', 0);
    });
    const before = digest(file);
    const e = await refusal(verifyOffline(dir));
    expect(isWorldtickError(e, 'WT_ERR_STORE_MIGRATION_FAILED')).toBe(true);
    expect(digest(file)).toBe(before);
  });

  it('a store of this build verifies as before', async () => {
    const dir = join(root, 'current');
    const store = await openStore({ dataDir: dir });
    await store.close();
    const report = await verifyOffline(dir);
    expect(report).toMatchObject({ ok: true, players: 0, mismatches: [] });
  });
});

const { skip, db } = await fileDatabase();

describe.skipIf(skip !== null)(`offline verify on PostgreSQL reads only${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const tables = (): Promise<string[]> =>
    withPgClient(db?.url ?? '', async (c) =>
      (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map(
        (r) => r.tablename as string,
      ),
    );

  it('a database without the schema: WT_ERR_STORE_FILE_MISSING, no table created', async () => {
    const e = await refusal(verifyOffline('', db?.url ?? ''));
    expect(isWorldtickError(e, 'WT_ERR_STORE_FILE_MISSING')).toBe(true);
    expect((e as Error).message).toMatch(/^no store in PostgreSQL database wt_/);
    expect(await tables()).toEqual([]);
  });

  it('a database of an older build: WT_ERR_STORE_SCHEMA_OLD, still at its version', async () => {
    await withPgClient(db?.url ?? '', async (c) => {
      await c.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of OLDER) {
        for (const sql of m.postgres) await c.query(sql);
        await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
      }
    });
    const before = await tables();
    const e = await refusal(verifyOffline('', db?.url ?? ''));
    expect(isWorldtickError(e, 'WT_ERR_STORE_SCHEMA_OLD')).toBe(true);
    const version = await withPgClient(db?.url ?? '', async (c) =>
      Number((await c.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v),
    );
    expect(version).toBe(OLDER.at(-1)?.version);
    expect(await tables()).toEqual(before);
  });

  it('once migrated by a server of this build, it verifies', async () => {
    const store = await openStore({ store: db?.url ?? '' });
    await store.close();
    expect(await verifyOffline('', db?.url ?? '')).toMatchObject({ ok: true, players: 0 });
  });
});
