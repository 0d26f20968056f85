/**
 * Player data through a real full disk: the SQLite store on a small tmpfs, the tmpfs filled to the
 * last byte with a file, saves of large values queued (their WAL frames need room the disk does not
 * have: the kernel answers ENOSPC, SQLite SQLITE_FULL/IOERR, the store WT_ERR_STORE_UNAVAILABLE),
 * then the file deleted. Every save queued meanwhile commits once, in order, with its version check.
 * Needs root for `mount` (skipped with a message otherwise).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'wt-pdfull-'));
const mounted = ((): string | null => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', root], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`;
  }
})();
if (mounted) console.warn(`[player data disk full] skipped: ${mounted}`);
afterAll(() => {
  if (!mounted) execFileSync('umount', ['-l', root]);
  rmSync(root, { recursive: true, force: true });
});

/** Fill the file system of `dir` to the last byte with `file`. */
const fill = (file: string): void => {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        writeSync(fd, chunk, 0, size);
      } catch {
        size = Math.floor(size / 2); // ENOSPC: smaller pieces until not even a byte fits
      }
    }
  } finally {
    closeSync(fd);
  }
};

describe.skipIf(mounted !== null)('player data on a real full disk (tmpfs)', () => {
  it('saves queued while the disk is full commit once it has room again, each once, in order', async () => {
    const store = new SqliteStore({ dataDir: join(root, 'data') });
    const reasons: string[] = [];
    const svc = new PlayerDataService({
      store,
      retryFirstMs: 5,
      retryMaxMs: 50,
      onOutage: (e) => {
        if (e.state === 'down') reasons.push(String((e.err as { details?: { reason?: string } }).details?.reason));
      },
    });
    try {
      const big = (i: number) => ({ i, pad: 'z'.repeat(60_000) });
      const save = (key: string, v: unknown, version: number | null) => svc.save('t:p', key, v, JSON.stringify(v), version);
      expect(await save('n', 0, 0)).toMatchObject({ status: 'ok', version: 1 });
      const filler = join(root, 'filler');
      fill(filler);
      // 12 values of 60 KB (several batches of 256 KiB): the WAL must grow, the disk has no byte left.
      const pending = Array.from({ length: 12 }, (_, i) => save(`big${i % 3}`, big(i), Math.floor(i / 3)));
      const counter = save('n', 1, 1);
      for (let i = 0; svc.stats().retries < 3; i++) {
        if (i > 2000) throw new Error('the full disk never failed a commit');
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(['full', 'io']).toContain(reasons[0]);
      unlinkSync(filler);
      const done = await Promise.all(pending);
      expect(done.map((r) => (r.status === 'ok' ? r.version : r.code))).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
      expect(await counter).toMatchObject({ status: 'ok', version: 2 });
      for (let k = 0; k < 3; k++) expect(await svc.load('t:p', `big${k}`)).toMatchObject({ version: 4, value: { i: 9 + k } });
      expect(svc.stats()).toMatchObject({ retrying: 0, unavailable: {} });
      expect(svc.stats().recoveredBatches).toBeGreaterThanOrEqual(1);
    } finally {
      await svc.close();
      await store.close();
    }
  });
});
