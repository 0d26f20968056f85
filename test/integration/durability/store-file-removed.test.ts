/**
 * The SQLite store's file removed or replaced while a process has it open (docs/ADMIN.md runbook, "The store
 * file was removed or replaced"): an operator deleting the data directory of a running server, a file copied
 * over its path. SQLite writes on into the file it holds open, which no start reads again — before stop 69 every
 * purchase acknowledged after the removal was gone at the next start, and nothing said so. Now every write is
 * refused `WT_ERR_STORE_UNAVAILABLE` reason `moved` (the group-committed world records too), reads go on, and
 * the outage stands until a write succeeds; what the open file holds is copied out through `/proc/<pid>/fd`
 * into a data directory a store opens whole. A real server: `worldtick_store_unavailable{reason="moved"} 1`.
 */
import { copyFileSync, existsSync, readdirSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { startServer } from '../../../src/game/server.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

const tempDir = fileTempDirs();
const MOVED = { code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'moved' } };

/** A store with `n` ledger entries acknowledged. */
const storeWith = async (dir: string, n: number): Promise<SqliteStore> => {
  const store = new SqliteStore({ dataDir: dir });
  await store.commitLedger(Array.from({ length: n }, (_, i) => rewardEntry(`k${i}`)));
  return store;
};

/** Every kind of write the runtime makes, each refused `moved`. */
const expectWritesRefused = async (store: SqliteStore, message: RegExp): Promise<void> => {
  const writes: Array<[string, () => Promise<unknown>]> = [
    ['ledger', () => store.commitLedger([rewardEntry('after')])],
    ['world record (group commit)', () => store.putWorldConfig('w', { a: 1 })],
    [
      'checkpoint',
      () => store.saveCheckpoint({ worldId: 'w', step: 1, worldTime: 0, config: null, data: new Uint8Array(4), fencingToken: 0 }),
    ],
    ['session', () => store.putSession({ token: 't', playerId: 'p1', worldId: 'w', expiresAt: 2e12, data: {} })],
    ['operator state', () => store.putOperatorState('runtime', { n: 1 })],
  ];
  for (const [what, write] of writes) {
    const err = await write().then(
      () => new Error(`${what}: written`),
      (e: unknown) => e,
    );
    expect(err, what).toMatchObject(MOVED);
    expect((err as Error).message, what).toMatch(message);
  }
};

describe('the SQLite store file removed or replaced under an open store', () => {
  it('removed (the data directory deleted): every write refused coded moved, reads go on, the outage stands', async () => {
    const dir = tempDir('wt-removed-');
    const store = await storeWith(dir, 20);
    try {
      rmSync(dir, { recursive: true, force: true });
      await expectWritesRefused(store, /worldtick\.sqlite was removed while this process had it open: writes are refused/);
      expect(await store.readLedger({ playerId: 'p1' })).toHaveLength(20); // nothing written after the removal
      expect(store.stats().unavailable).toMatchObject({ reason: 'moved' }); // a read does not end it
    } finally {
      await store.close();
    }
  });

  it('replaced (another file at its path): writes refused coded moved', async () => {
    const dir = tempDir('wt-replaced-');
    const store = await storeWith(dir, 3);
    try {
      const file = join(dir, SQLITE_FILE_NAME);
      renameSync(file, `${file}.old`);
      copyFileSync(`${file}.old`, file); // the same bytes, another file
      await expectWritesRefused(store, /was replaced by another file while this process had it open/);
    } finally {
      await store.close();
    }
  });

  it('what the open file holds is copied out through /proc/<pid>/fd into a store that opens whole', async () => {
    const dir = tempDir('wt-removed-rescue-');
    const store = await storeWith(dir, 50);
    const file = join(dir, SQLITE_FILE_NAME);
    try {
      rmSync(dir, { recursive: true, force: true });
      await expect(store.commitLedger([rewardEntry('after')])).rejects.toMatchObject(MOVED);
      // The runbook's copy: the open descriptors whose target reads `<file> (deleted)` and `<file>-wal (deleted)`.
      const rescued = tempDir('wt-rescued-');
      const linkOf = (fd: string): string => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'utf8' });
        } catch {
          return ''; // the listing's own descriptor, closed by now
        }
      };
      const fds = readdirSync('/proc/self/fd').map((fd) => ({ fd, target: linkOf(fd) }));
      for (const [name, target] of [
        [SQLITE_FILE_NAME, `${file} (deleted)`],
        [`${SQLITE_FILE_NAME}-wal`, `${file}-wal (deleted)`],
      ] as const) {
        const open = fds.find((f) => f.target === target);
        expect(open, target).toBeDefined();
        copyFileSync(`/proc/self/fd/${open?.fd}`, join(rescued, name));
      }
      const back = new SqliteStore({ dataDir: rescued }); // checked at open (quick_check): whole
      try {
        expect(await back.readLedger({ playerId: 'p1' })).toHaveLength(50);
        await back.commitLedger([rewardEntry('after')]); // and writable
      } finally {
        await back.close();
      }
    } finally {
      await store.close();
    }
  });

  it('a real server whose data directory is deleted: /metrics says moved while its world records are refused', {
    timeout: 60_000,
  }, async () => {
    const options = testServerOptions('wt-removed-server-');
    const s = await startServer(lifeSimGame, { options: { ...options, npcs: 10, checkpointIntervalSeconds: 1 } });
    try {
      rmSync(String(options.dataDir), { recursive: true, force: true });
      const metrics = async (): Promise<string> =>
        (await fetch(`http://127.0.0.1:${s.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
      const failedRecords = /worldtick_world_records_total\{[^}]*outcome="failed"[^}]*\} [1-9]/;
      const failedCheckpoints = /worldtick_checkpoints_total\{[^}]*outcome="failed"[^}]*\} [1-9]/;
      const end = Date.now() + 30_000;
      let text = await metrics();
      const seen = (t: string): boolean =>
        t.includes('worldtick_store_unavailable{reason="moved"} 1') && failedRecords.test(t) && failedCheckpoints.test(t);
      while (!seen(text) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        text = await metrics();
      }
      expect(text).toContain('worldtick_store_unavailable{reason="moved"} 1');
      expect(text).toMatch(failedRecords);
      // Its checkpoints failed too, and the writer thread made no new store at the path (it did before).
      expect(text).toMatch(failedCheckpoints);
      expect(existsSync(String(options.dataDir))).toBe(false);
    } finally {
      await s.stop();
    }
    expect(existsSync(String(options.dataDir))).toBe(false);
  });

  it("a second connection of the process (the checkpoint writer thread's) finds the first one's file or refuses, creating nothing", async () => {
    const dir = tempDir('wt-attach-');
    const store = await storeWith(dir, 1);
    const file = join(dir, SQLITE_FILE_NAME);
    const identity = store.fileIdentity ?? '';
    try {
      const attached = new SqliteStore({ dataDir: dir, attach: true, expectIdentity: identity });
      await attached.commitLedger([rewardEntry('attached')]);
      await attached.close();
      renameSync(file, `${file}.old`);
      copyFileSync(`${file}.old`, file); // another file at the path
      expect(() => new SqliteStore({ dataDir: dir, attach: true, expectIdentity: identity })).toThrow(
        expect.objectContaining({ ...MOVED, message: expect.stringMatching(/was replaced by another file/) }),
      );
      rmSync(dir, { recursive: true, force: true });
      expect(() => new SqliteStore({ dataDir: dir, attach: true, expectIdentity: identity })).toThrow(
        expect.objectContaining({ ...MOVED, message: expect.stringMatching(/was removed/) }),
      );
      expect(existsSync(dir)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
