import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { DEFAULT_DATA_DIR, openStore, resolveStoreTarget } from '../../../src/store/open-store.js';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';

describe('openStore / resolveStoreTarget', () => {
  it('selects SQLite in the data dir by default and PostgreSQL by URL', () => {
    expect(resolveStoreTarget({})).toEqual({ kind: 'sqlite', dataDir: DEFAULT_DATA_DIR });
    expect(resolveStoreTarget({ dataDir: '/var/wt' })).toEqual({ kind: 'sqlite', dataDir: '/var/wt' });
    expect(resolveStoreTarget({ store: 'sqlite:/x', dataDir: '/var/wt' })).toEqual({ kind: 'sqlite', dataDir: '/x' });
    expect(resolveStoreTarget({ store: 'postgres://u@h:5432/db' })).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(resolveStoreTarget({ store: 'postgresql://h/db' })).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
  });

  it('refuses other specs with a coded error naming the option', () => {
    for (const spec of ['mysql://h/db', 'sqlite:', 'redis://x']) {
      try {
        resolveStoreTarget({ store: spec });
        expect.unreachable(spec);
      } catch (err) {
        expect(isWorldtickError(err, 'WT_ERR_OPTION_INVALID')).toBe(true);
        expect((err as Error).message).toContain('--store');
      }
    }
  });

  it('creates the data directory and the database on open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-open-'));
    try {
      const dataDir = join(dir, 'nested', 'data');
      const store = await openStore({ dataDir });
      expect(store.kind).toBe('sqlite');
      expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with WT_ERR_STORE_UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    try {
      await openStore({ store: 'postgres://postgres@127.0.0.1:1/none' });
      expect.unreachable('opened');
    } catch (err) {
      expect(isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')).toBe(true);
    }
  });
});
