/**
 * A fresh temporary data directory for a runtime started by a test, so no test writes into the
 * repository's ./data (and no test restores another run's checkpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Create an empty temporary directory; `remove()` deletes it. */
export const tempDataDir = (prefix = 'wt-data-'): { dir: string; remove(): void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};
