/**
 * A takeover that finds nothing stored to take over (src/server/cluster-takeover.ts, cluster-migration.ts;
 * docs/CLUSTER.md "A failed create taken over while it is undone", docs/ADMIN.md "Logs"): an instance granted
 * an orphan's lease announces its token, but the world's record was deleted first (the undo of a failed
 * create, or a delete, landed before the announce — PostgreSQL makes the announce wait behind it for the
 * world's fence row). Nothing is wrong: the lease is given back with an info line saying the world was
 * deleted, not the error of a failed takeover — which a real failure (a record this build cannot read)
 * still logs. The real cluster service, world mover and restore over the in-process coordinator and a
 * real SQLite store; the delete is run by the fence call, as the fence row's wait orders it.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Fence } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { orphanTaker, storeOrphan } from '../../helpers/orphan-taker.js';

/**
 * Instance `c` over a store holding world `w`'s record (the one its dead owner left); `beforeFence` runs
 * when c announces its token (before the store takes it). Ticks until c tried to take `w` over.
 */
const takeOver = async (beforeFence: (store: SqliteStore) => Promise<unknown>) => {
  const data = tempDataDir('wt-takeover-gone-');
  const store = new SqliteStore({ dataDir: data.dir });
  await storeOrphan(store, 50, 0);
  const { lines, logger } = jsonLogSink('info');
  const fence = async (f: Fence): Promise<number> => {
    await beforeFence(store);
    return store.fence(f);
  };
  const { c, runner } = orphanTaker({ store, logger, fence: { fence } });
  const released = (l: Record<string, unknown>) => l.world === 'w' && String(l.msg).endsWith('lease released');
  // The orphan is taken at the first tick that sees it (c is placement's pick) or the one after.
  for (let i = 0; i < 4 && !lines.some(released); i++) await c.kick();
  const owner = await c.coordinator.getOwner('w');
  await c.stop();
  store.close();
  data.remove();
  const about = lines.filter((l) => l.world === 'w');
  return {
    lines: lines.filter(released),
    errors: about.filter((l) => Number(l.level) >= 50),
    warnings: about.filter((l) => Number(l.level) === 40),
    owner,
    runner,
  };
};

describe('a takeover of a world whose stored record is gone', () => {
  it('gives the lease back with an info line (the world was deleted), no error or warning', async () => {
    // The undo of a failed create (or a delete) removed the record before c's announce reached the store.
    const r = await takeOver((store) => store.deleteWorldConfig('w'));
    expect(r.lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'cluster: nothing stored to take over (the world was deleted); lease released',
        fencingToken: 1,
      }),
    ]);
    expect(r.errors).toEqual([]);
    // The restore's own line for the missing record is info: the takeover's line above says what happened.
    expect(r.warnings).toEqual([]);
    expect(r.owner).toBeNull();
    expect(r.runner.has('w')).toBe(false);
  });

  it('still logs an error when the record is there but cannot be taken over (a record this build cannot read)', async () => {
    const r = await takeOver((store) => store.putWorldConfig('w', { damaged: true }));
    expect(r.lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'cluster: world could not be taken over; lease released', fencingToken: 1 }),
    ]);
    expect(r.owner).toBeNull();
    expect(r.runner.has('w')).toBe(false);
  });
});
