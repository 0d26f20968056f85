import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/jobs/worker-pool.js';

/** Descriptors of this process open on files of tsx's transform cache (`<tmpdir>/tsx-<uid>/…`). */
const tsxCacheFds = (): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return /\/tsx-\d+\//.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed meanwhile
    }
  }).length;

const dir = mkdtempSync(join(tmpdir(), 'wt-pool-fds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WorkerPool threads that start and retire (minThreads 0, an idle timeout)', () => {
  // A thread loading TypeScript through tsx starts a write of tsx's disk cache for each module it
  // transforms; a thread retired before that write finished left its file descriptor open in the
  // process for good (the scene pool of `npm start` retires its thread after every idle minute:
  // bench/soak-all.ts saw +2 descriptors a retirement, docs/BOTS.md "Everything at once").
  it.skipIf(process.platform !== 'linux')('leaves no file descriptor open behind a retired thread', async () => {
    // A worker module tsx has never seen (its own text), so its first transform is not cached yet.
    const file = join(dir, 'fresh-worker.ts');
    writeFileSync(file, `const nonce: string = '${process.pid}-${Date.now()}';\nexport default (n: number): number => n + nonce.length;\n`);
    const pool = new WorkerPool<number, number>({ filename: file, name: 'fds', minThreads: 0, idleTimeoutMs: 20 });
    const before = tsxCacheFds();
    try {
      for (let i = 0; i < 4; i++) {
        expect(await pool.run(i)).toBeGreaterThan(i);
        while (pool.stats().threads > 0) await new Promise((r) => setTimeout(r, 20)); // the idle thread retires
      }
    } finally {
      await pool.close();
    }
    expect(tsxCacheFds() - before).toBe(0);
  });
});
