/**
 * What a refused start takes back (src/server/fresh-store.ts): a SQLite store it created — the file,
 * its lock file and the folders made for it — is removed while its lock is held; a created store that
 * holds rows besides its migrations' (written while the start ran) is kept whole, logged at warn; a
 * folder that is not empty stays. A PostgreSQL schema its migrations created: dropped, tables and
 * functions, unless a table holds a row. Real files, real store and lock, real PostgreSQL.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../../src/server/data-dir-lock.js';
import { beforeDataDirLock, createdSqliteStore, removeCreatedStore } from '../../../src/server/fresh-store.js';
import { openStore } from '../../../src/store/open-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { fileDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const tempDir = fileTempDirs();
const { skip, db } = await fileDatabase();

/** A start's open of a store in `dataDir` (made if missing), `write` run on it, then its close; what it created. */
const openAndClose = async (dataDir: string, write?: (file: string) => void) => {
  const before = beforeDataDirLock(dataDir);
  const lock = lockDataDir(dataDir);
  const created = createdSqliteStore(before);
  await (await openStore({ dataDir })).close();
  write?.(join(dataDir, 'worldtick.sqlite'));
  return { created, release: async () => lock.release() };
};

describe('removeCreatedStore (SQLite)', () => {
  it('removes the store, its lock file and the folders made for it', async () => {
    const parent = tempDir('wt-fresh-store-');
    const { created, release } = await openAndClose(join(parent, 'a', 'b'));
    const { lines, logger } = jsonLogSink('info');
    await removeCreatedStore(created, logger, release);
    expect(readdirSync(parent)).toEqual([]);
    expect(lines.find((l) => l.msg === 'start refused: the store it created is removed')?.removed).toEqual(
      expect.arrayContaining([join(parent, 'a', 'b', 'worldtick.sqlite'), join(parent, 'a', 'b', 'worldtick.lock'), join(parent, 'a')]),
    );
  });

  it('keeps a created store that holds a row written meanwhile, and says which table', async () => {
    const dir = join(tempDir('wt-fresh-store-'), 'data');
    const { created, release } = await openAndClose(dir, (file) => {
      const db = new Database(file);
      db.prepare("INSERT INTO operator_state (scope, state, updated_at) VALUES ('runtime', '{}', 0)").run();
      db.close();
    });
    const { lines, logger } = jsonLogSink('info');
    await removeCreatedStore(created, logger, release);
    expect(existsSync(join(dir, 'worldtick.sqlite'))).toBe(true);
    expect(lines.map((l) => [l.msg, l.tables])).toEqual([
      ['start refused: the store it created is kept: rows were written to it while the start ran', ['operator_state']],
    ]);
  });

  it('leaves a store that was there, and a folder something else was put in', async () => {
    const parent = tempDir('wt-fresh-store-');
    const had = join(parent, 'had');
    await openAndClose(had).then((o) => o.release());
    const { created, release } = await openAndClose(had);
    await removeCreatedStore(created, jsonLogSink().logger, release);
    expect(readdirSync(had).sort()).toEqual(['worldtick.lock', 'worldtick.sqlite']);
    const dir = join(parent, 'made', 'data');
    const made = await openAndClose(dir);
    writeFileSync(join(parent, 'made', 'other-file'), '');
    await removeCreatedStore(made.created, jsonLogSink().logger, made.release);
    expect(readdirSync(join(parent, 'made'))).toEqual(['other-file']);
  });
});

describe.skipIf(skip !== null)('removeCreatedStore (PostgreSQL)', () => {
  const url = db?.url ?? '';
  const objects = (): Promise<string[]> =>
    withPgClient(url, async (c) =>
      (
        await c.query<{ n: string }>(
          "SELECT tablename AS n FROM pg_tables WHERE schemaname = 'public' UNION ALL SELECT proname FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace WHERE nspname = 'public'",
        )
      ).rows.map((r) => r.n),
    );

  it('keeps a schema whose tables hold a row, drops it once they hold none', async () => {
    const store = await openStore({ store: url });
    expect(store.migration?.from).toBe(0);
    await store.close();
    await withPgClient(url, (c) => c.query("INSERT INTO operator_state (scope, state, updated_at) VALUES ('runtime', '{}', 0)"));
    const kept = jsonLogSink('info');
    await removeCreatedStore({ kind: 'postgres', url }, kept.logger, async () => undefined);
    expect(kept.lines.map((l) => l.tables)).toEqual([['operator_state']]);
    expect(await objects()).toContain('operator_state');

    await withPgClient(url, (c) => c.query('DELETE FROM operator_state'));
    const dropped = jsonLogSink('info');
    await removeCreatedStore({ kind: 'postgres', url }, dropped.logger, async () => undefined);
    expect(dropped.lines.map((l) => l.msg)).toEqual(['start refused: the store it created is removed']);
    expect(await objects()).toEqual([]);
  });
});
