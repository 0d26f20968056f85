/**
 * A damaged embedded store file (docs/ADMIN.md runbook, "The embedded store file is damaged"): a page of a
 * real store overwritten on disk. SQLite's `quick_check` at open refuses it — `WT_ERR_STORE_UNAVAILABLE`,
 * reason `corrupt`, naming what it found and the way back (a backup) — before anything is migrated,
 * restored or written, and the file is left as it was. With the check off (`--store-check off`) the store
 * opens and the first operation that reads the damaged page fails with the same reason (counted as an
 * outage); a file that is no database at all is refused either way. A real `npm start` on the damaged
 * directory exits 2 with that message; after `npm run restore` of a backup taken before the damage the
 * server starts on it again. Before, the server started on the damaged file, restored its worlds and ran
 * with every checkpoint failing `io` ("database disk image is malformed").
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { backupSqliteStore } from '../../../src/cli/backup.js';
import { restoreSqliteStore } from '../../../src/cli/restore.js';
import { startServer } from '../../../src/game/server.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { startToExit } from '../../helpers/refused-start.js';

const tempDir = fileTempDirs();

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Overwrite the root page of `table` in the (closed) store `file` with 0xA5 bytes, as a bad sector or a stray write would. */
const damageTable = (file: string, table: string): void => {
  const db = new Database(file, { readonly: true });
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
};

/** A store with ledger entries and a world record, closed (its WAL folded into the file). */
const filledStore = async (dir: string): Promise<string> => {
  const store = new SqliteStore({ dataDir: dir });
  await store.commitLedger(Array.from({ length: 500 }, (_, i) => rewardEntry(`k${i}`)));
  await store.putWorldConfig('w', { seed: 1 });
  await store.close();
  return join(dir, SQLITE_FILE_NAME);
};

describe('a damaged SQLite store file', () => {
  it('is refused at open, coded corrupt and naming the way back, and left as it was', async () => {
    const dir = tempDir('wt-damaged-');
    const file = await filledStore(dir);
    damageTable(file, 'ledger');
    const before = sha(file);
    let err: unknown;
    try {
      new SqliteStore({ dataDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'corrupt' } });
    const message = (err as Error).message;
    expect(message).toContain(`${file} fails SQLite's quick_check`);
    expect(message).toContain('npm run restore');
    expect(message).not.toContain('\n'); // one log line
    expect(sha(file)).toBe(before);
  });

  it("with the check off it opens, and reading the damaged page fails coded corrupt (an outage in the store's stats)", async () => {
    const dir = tempDir('wt-damaged-off-');
    const file = await filledStore(dir);
    damageTable(file, 'ledger');
    const store = new SqliteStore({ dataDir: dir, check: 'off' });
    try {
      expect(store.checkMs).toBeNull();
      expect(await store.getWorldConfig('w')).toBeDefined(); // another table still reads
      await expect(store.readLedger({ playerId: 'p1' })).rejects.toMatchObject({
        code: 'WT_ERR_STORE_UNAVAILABLE',
        details: { reason: 'corrupt' },
        message: expect.stringContaining('npm run restore'),
      });
      expect(store.stats().unavailable).toMatchObject({ reason: 'corrupt' });
    } finally {
      await store.close();
    }
  });

  it('a file that is no database is refused coded corrupt, checked or not', async () => {
    const dir = tempDir('wt-damaged-header-');
    const file = await filledStore(dir);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
    closeSync(fd);
    for (const check of ['quick', 'off'] as const) {
      expect(() => new SqliteStore({ dataDir: dir, check })).toThrow(
        expect.objectContaining({
          code: 'WT_ERR_STORE_UNAVAILABLE',
          details: { reason: 'corrupt' },
          message: expect.stringMatching(/^store unavailable \(corrupt\): .*worldtick\.sqlite: file is not a database .*npm run restore/),
        }),
      );
    }
  });

  it('a healthy store is checked at open (checkMs) and opens as before', async () => {
    const dir = tempDir('wt-healthy-');
    await filledStore(dir);
    const store = new SqliteStore({ dataDir: dir });
    try {
      expect(store.checkMs).toBeGreaterThanOrEqual(0);
      expect(await store.readLedger({ playerId: 'p1' })).toHaveLength(500);
    } finally {
      await store.close();
    }
  });

  it('npm start on it exits 2 with the reason, writes nothing; restored from a backup, the server starts on it again', {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir('wt-damaged-start-');
    const s = await startServer(lifeSimGame, { options: { port: 0, adminPort: 0, npcs: 10, logLevel: 'silent', dataDir: dir } });
    // Stopped once world 1 has stepped, so its shutdown checkpoint is past step 0 (a stop right after the start
    // on a loaded host — a fresh-clone CI beside crash campaigns — checkpointed step 0 and the restore below proved nothing).
    for (let i = 0; i < 400; i++) {
      if (Number((await s.runtime.worlds.list()).find((w) => w.id === '1')?.step ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await s.stop();
    const backup = join(tempDir('wt-damaged-backup-'), 'before.sqlite');
    await backupSqliteStore(dir, backup);
    const file = join(dir, SQLITE_FILE_NAME);
    damageTable(file, 'ledger');
    const before = sha(file);

    const refused = await startToExit(dir);
    expect(refused.code, refused.err).toBe(2);
    expect(refused.err).toMatch(/^worldtick: store unavailable \(corrupt\): .* fails SQLite's quick_check: .*npm run restore/m);
    expect(refused.lines.find((l) => l.level === 60)).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'corrupt' } });
    expect(refused.lines.some((l) => l.msg === 'world restored')).toBe(false);
    expect(sha(file)).toBe(before);

    await restoreSqliteStore(backup, dir);
    const db = new Database(backup, { readonly: true });
    const { step } = db.prepare("SELECT max(step) AS step FROM checkpoints WHERE world_id = '1'").get() as { step: number };
    db.close();
    const again = await startServer(lifeSimGame, { options: { port: 0, adminPort: 0, npcs: 10, logLevel: 'silent', dataDir: dir } });
    try {
      // The default world came back from the backup's newest checkpoint, not built fresh at step 0.
      const world = (await again.runtime.worlds.list()).find((w) => w.id === '1');
      expect(step).toBeGreaterThan(0);
      expect(world?.step).toBeGreaterThanOrEqual(step);
    } finally {
      await again.stop();
    }
  });
});
