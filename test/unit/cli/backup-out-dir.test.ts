/**
 * `npm run backup -- --out backups/x.sqlite` where `backups/` does not exist (the README's own example
 * on a fresh checkout) is refused — a backup never creates directories — with a message saying what to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqliteStore } from '../../../src/cli/backup.js';

describe('backup into a directory that does not exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-bk-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused, naming the directory and the command that creates it', async () => {
    writeFileSync(join(dir, 'worldtick.sqlite'), ''); // a store file is there: the refusal is about --out
    const missing = join(dir, 'backups');
    await expect(backupSqliteStore(dir, join(missing, 'wt.sqlite'))).rejects.toThrow(
      `directory ${missing} does not exist: create it first (mkdir -p ${missing})`,
    );
  });
});
