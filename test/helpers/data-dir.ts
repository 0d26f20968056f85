/**
 * A fresh temporary data directory for a runtime started by a test, so no test writes into the
 * repository's ./data (and no test restores another run's checkpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Create an empty temporary directory; `remove()` deletes it. */
export const tempDataDir = (prefix = 'wt-data-'): { dir: string; remove(): void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/**
 * The temporary folders of one test file (call at its top level): the function returned creates
 * one; every one is removed after the file's tests.
 */
export const fileTempDirs = (): ((prefix: string) => string) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
};
