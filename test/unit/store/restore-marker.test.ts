/**
 * src/store/restore-marker.ts on real files: a store opened while `worldtick.sqlite.restoring`
 * exists is refused (`WT_ERR_STORE_RESTORING`, running or stale, nothing written), the writer
 * thread's second connection (`attach`) is not, and a store file replaced between the open and
 * the check (a restore's rename) is opened again: the connection returned is on the new file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { createRestoreMarker, openUnlessRestoring, removeRestoreMarker, restoreMarkerPath } from '../../../src/store/restore-marker.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const refusal = (fn: () => unknown): { message: string; details: unknown } => {
  try {
    fn();
  } catch (err) {
    if (isWorldtickError(err, 'WT_ERR_STORE_RESTORING')) return { message: err.message, details: err.details };
    throw err;
  }
  throw new Error('not refused');
};

/** A WAL database at `file` holding `value` in table t. */
const dbWith = (file: string, value: number): void => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (${value})`);
  db.close();
};

describe('restore marker', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const fresh = (): string => {
    const d = tempDataDir('wt-marker-');
    dirs.push(d);
    return d.dir;
  };

  it('the store is refused while a restore runs, and while a killed one’s marker is left; nothing is written', async () => {
    const dir = fresh();
    await new SqliteStore({ dataDir: dir }).close();
    const file = join(dir, 'worldtick.sqlite');
    const before = sha(file);
    expect(createRestoreMarker(file)).toBe(true);
    expect(createRestoreMarker(file)).toBe(false); // one restore at a time
    const running = refusal(() => new SqliteStore({ dataDir: dir }));
    expect(running.message).toMatch(new RegExp(`npm run restore \\(pid ${process.pid}, started .*\\) is replacing ${file}`));
    expect(running.details).toEqual({ marker: restoreMarkerPath(file), stale: false });

    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(restoreMarkerPath(file), JSON.stringify({ pid: dead, startedAt: '2026-12-01T05:00:00.000Z', host: hostname() }));
    const stale = refusal(() => new SqliteStore({ dataDir: dir }));
    expect(stale.message).toContain(`pid ${dead} is not running`);
    expect(stale.message).toContain(`if no restore is running, remove ${restoreMarkerPath(file)}`);
    expect(stale.details).toEqual({ marker: restoreMarkerPath(file), stale: true });
    writeFileSync(restoreMarkerPath(file), 'not json');
    expect(refusal(() => new SqliteStore({ dataDir: dir })).message).toContain('cannot be read');
    expect(sha(file)).toBe(before);

    // The checkpoint writer thread's second connection does not look (its process's first one did).
    await new SqliteStore({ dataDir: dir, attach: true }).close();
    removeRestoreMarker(file);
    await new SqliteStore({ dataDir: dir }).close();
  });

  it('a file replaced between the open and the check is opened again: the connection is on the new file', () => {
    const dir = fresh();
    const file = join(dir, 'worldtick.sqlite');
    const next = join(dir, 'next.sqlite');
    dbWith(file, 1);
    dbWith(next, 2);
    let opens = 0;
    const db = openUnlessRestoring(file, () => {
      const d = new Database(file);
      d.pragma('journal_mode = WAL');
      // A restore renames its copy over the store after this open, before the check.
      if (++opens === 1) renameSync(next, file);
      return d;
    });
    try {
      expect(opens).toBe(2);
      expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: 2 });
    } finally {
      db.close();
    }
  });

  it('a store created by the open is opened again (its file is checked as found); a path that keeps changing is refused', () => {
    const dir = fresh();
    const file = join(dir, 'worldtick.sqlite');
    let opens = 0;
    const open = (): Database.Database => {
      opens++;
      const d = new Database(file);
      d.pragma('journal_mode = WAL');
      return d;
    };
    openUnlessRestoring(file, open).close();
    expect(opens).toBe(2);

    let n = 0;
    const moving = refusal(() =>
      openUnlessRestoring(file, () => {
        const d = open();
        dbWith(join(dir, `m${n}.sqlite`), n);
        renameSync(join(dir, `m${n++}.sqlite`), file);
        return d;
      }),
    );
    expect(moving.message).toContain(`${file} was replaced while it was being opened`);
  });
});
