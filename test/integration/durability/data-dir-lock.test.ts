/**
 * One server per SQLite data directory (src/server/data-dir-lock.ts, docs/DURABILITY.md "One server
 * per data directory"). Before the lock a second server on a running one's `--data-dir` started: it
 * restored the same default world, stepped it apart and wrote its checkpoints into the same store.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const data = tempDataDir('wt-lock-');
const runtimeOn = (dir: string): Runtime =>
  createRuntime(
    parseOptions(
      [
        '--npcs',
        '200',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--stats-interval',
        '0',
        '--checkpoint-interval',
        '0',
        '--admin-token',
        'lock-test',
        '--data-dir',
        dir,
      ],
      {},
    ),
    createLogger('silent'),
  );

describe('one server per data directory', () => {
  afterAll(() => data.remove());

  it("a second server on a running one's data directory is refused with WT_ERR_DATA_DIR_IN_USE and writes nothing; the lock goes with the stop", async () => {
    const first = runtimeOn(data.dir);
    await first.start();
    try {
      // The creation checkpoint (no periodic ones: --checkpoint-interval 0) is the one to keep.
      let before = await first.store.loadCheckpoint('1');
      for (let i = 0; i < 200 && !before; i++) {
        await new Promise((r) => setTimeout(r, 50));
        before = await first.store.loadCheckpoint('1');
      }
      expect(before).toBeDefined();
      const second = runtimeOn(data.dir);
      const err = await second.start().then(
        () => null,
        (e: unknown) => e as { code?: string; message?: string },
      );
      await second.stop();
      expect(err?.code).toBe('WT_ERR_DATA_DIR_IN_USE');
      expect(err?.message).toContain('stop that server first, or give this one its own --data-dir');
      // The refused server neither restored nor checkpointed the world: the stored checkpoint is the first server's.
      expect((await first.store.loadCheckpoint('1'))?.id).toBe(before?.id);
    } finally {
      await first.stop();
    }
    // Stopped, the first server released the lock: a server starts on the directory again.
    const third = runtimeOn(data.dir);
    await third.start();
    await third.stop();
  });
});

describe('a --data-dir that cannot be used', () => {
  // Before: a directory under /proc hung the start at 100 % CPU, deaf to SIGTERM (Node's recursive
  // mkdir retries ENOENT forever); a file exited 1 with a stack trace.
  it('is refused with WT_ERR_OPTION_INVALID naming --data-dir: a directory that cannot be created, a file', async () => {
    const file = `${data.dir}-file`;
    writeFileSync(file, '');
    try {
      for (const [dir, text] of [
        // The system's reason once (before: "(ENOENT: ENOENT: no such file or directory …").
        [
          '/proc/wt-no-such-dir/data',
          "--data-dir /proc/wt-no-such-dir/data: the directory cannot be created (ENOENT: no such file or directory, mkdir '/proc/wt-no-such-dir')",
        ],
        [file, `--data-dir ${file} is not a directory`],
      ] as const) {
        const r = runtimeOn(dir);
        const err = await r.start().then(
          () => null,
          (e: unknown) => e as { code?: string; message?: string },
        );
        await r.stop();
        expect(err?.code).toBe('WT_ERR_OPTION_INVALID');
        expect(err?.message).toContain(text);
      }
    } finally {
      rmSync(file, { force: true });
    }
  }, 20_000);
});
