/**
 * `npm run backup` names what failed with a code, as the other tools do
 * (`worldtick-<tool>: <code>: <message>`): before, only the message was printed. Real files and a
 * real SQLite store; nothing is left at `--out` after a failure.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runBackupCli } from '../../../src/cli/backup.js';
import { openStore } from '../../../src/store/open-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

afterEach(() => vi.restoreAllMocks());

const data = tempDataDir('wt-bk-err-');
afterAll(() => data.remove());

/** Run the CLI, collecting what it writes to stderr. */
const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await runBackupCli(['node', 'backup', ...args]);
  return { code, stderr };
};

describe('npm run backup: failures carry a code', () => {
  it('a data directory without a store: WT_ERR_STORE_FILE_MISSING', async () => {
    const empty = join(data.dir, 'empty');
    mkdirSync(empty);
    const out = join(data.dir, 'a.sqlite');
    const r = await run(['--data-dir', empty, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-backup: WT_ERR_STORE_FILE_MISSING: no store in /);
    expect(existsSync(out)).toBe(false);
  });

  it('an empty worldtick.sqlite: WT_ERR_STORE_FILE_MISSING saying so (before: WT_ERR_BACKUP_FAILED "no such table: ledger")', async () => {
    const dir = join(data.dir, 'zero');
    mkdirSync(dir);
    writeFileSync(join(dir, 'worldtick.sqlite'), '');
    const out = join(data.dir, 'zero.sqlite');
    const r = await run(['--data-dir', dir, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^worldtick-backup: WT_ERR_STORE_FILE_MISSING: no store in .*zero: worldtick\.sqlite holds no worldtick schema/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('a target that cannot be written (its directory is a file): WT_ERR_BACKUP_FAILED, nothing left', async () => {
    const store = await openStore({ store: '', dataDir: join(data.dir, 'store') });
    await store.close();
    const notDir = join(data.dir, 'plain-file');
    writeFileSync(notDir, 'x');
    const r = await run(['--data-dir', join(data.dir, 'store'), '--out', join(notDir, 'b.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-backup: WT_ERR_BACKUP_FAILED: backup of .* failed: /);
    expect(existsSync(join(notDir, 'b.sqlite.partial'))).toBe(false);
  });

  it('an existing --out or a missing directory: WT_ERR_BACKUP_OUT_REFUSED', async () => {
    const store = join(data.dir, 'store');
    const exists = join(data.dir, 'exists.sqlite');
    writeFileSync(exists, 'keep');
    const a = await run(['--data-dir', store, '--out', exists]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^worldtick-backup: WT_ERR_BACKUP_OUT_REFUSED: .* exists: a backup never overwrites a file/);
    const b = await run(['--data-dir', store, '--out', join(data.dir, 'nodir', 'c.sqlite')]);
    expect(b.stderr).toMatch(/^worldtick-backup: WT_ERR_BACKUP_OUT_REFUSED: directory .* does not exist/);
    // A name that ends in a blank is shown quoted, so the message does not read as "  exists" (fuzz seed 80581).
    const spaced = join(data.dir, 'spaced ');
    writeFileSync(spaced, 'keep');
    const c = await run(['--data-dir', store, '--out', spaced]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`WT_ERR_BACKUP_OUT_REFUSED: ${JSON.stringify(spaced)} exists: a backup never overwrites a file`);
  });

  it('a bad command line or a PostgreSQL store: WT_ERR_OPTION_INVALID', async () => {
    const a = await run(['--data-dir', data.dir]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^worldtick-backup: WT_ERR_OPTION_INVALID: --out <file> is required/);
    const b = await run(['--store', 'postgres://wt@127.0.0.1:1/game', '--out', join(data.dir, 'pg.sqlite')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^worldtick-backup: WT_ERR_OPTION_INVALID: the store is PostgreSQL: back it up with pg_dump/);
    const c = await run(['--store', 'mysql://x', '--out', join(data.dir, 'm.sqlite')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^worldtick-backup: WT_ERR_OPTION_INVALID: .*--store must be postgres/);
  });

  it('usage errors are one coded line naming the problem; --help exits 0; no password is echoed', async () => {
    const u = await run(['--bogus', '--out', join(data.dir, 'u.sqlite')]);
    expect(u).toEqual({ code: 2, stderr: "worldtick-backup: WT_ERR_OPTION_INVALID: unknown option '--bogus' (see --help)\n" });
    const v = await run(['--data-dir', data.dir, '--out']);
    expect(v).toEqual({
      code: 2,
      stderr: "worldtick-backup: WT_ERR_OPTION_INVALID: option '--out <file>' argument missing (see --help)\n",
    });
    expect(await run(['--help'])).toEqual({ code: 0, stderr: '' });
    // A mistyped store URL still holds the real password: masked in the message.
    const m = await run(['--store', 'mysql://wt:s3cret@db/game', '--out', join(data.dir, 'm2.sqlite')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('mysql://wt:***@db/game');
    expect(m.stderr).not.toContain('s3cret');
  });
});
