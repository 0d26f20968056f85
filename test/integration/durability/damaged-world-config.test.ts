/**
 * A stored world record whose config does not validate (a damaged row: the runtime writes only configs it
 * validated; here one field made an array by hand) no longer discards the world (src/persist/restore.ts
 * `applyWorldRecord`; docs/DURABILITY.md "Damaged rows"). The default world comes back from its checkpoint, of
 * the same incarnation, keeping the checkpoint's config; an admin world without a checkpoint is built from its
 * record with the default config; each logged at error level; the next record written holds a valid config.
 * Before (found by test/integration/fuzz/store-file-fuzz.test.ts), the default world's checkpoint was dropped
 * and a new world (another incarnation) written over its record, and the admin world was skipped. A real
 * runtime over a real SQLite file, started twice.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { bootDataDirRuntime } from '../../helpers/data-dir-runtime.js';

type Row = { world_id: string; config: string };
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const records = (dataDir: string): Map<string, { incarnation: string; perWorldConcurrency: unknown; step: number }> => {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    const rows = db.prepare('SELECT world_id, config FROM world_configs ORDER BY world_id').all() as Row[];
    return new Map(
      rows.map((r) => {
        const rec = JSON.parse(r.config);
        return [
          r.world_id,
          { incarnation: rec.incarnation, perWorldConcurrency: rec.config.jobs.perWorldConcurrency, step: rec.clock.step },
        ];
      }),
    );
  } finally {
    db.close();
  }
};

describe('a stored world record whose config does not validate', () => {
  it('the default world comes back from its checkpoint, the admin world from its record; both logged; the records mended', async () => {
    const data = tempDataDir('wt-damaged-config-');
    cleanup.push(() => data.remove());
    const first = await bootDataDirRuntime(data.dir);
    try {
      expect((await first.api('POST', '/api/v1/worlds', { id: 'w2' })).status).toBe(201);
    } finally {
      await first.rt.stop(); // checkpoints both worlds, writes both records
    }
    const before = records(data.dir);
    expect([...before.keys()]).toEqual(['1', 'w2']);
    const db = new Database(join(data.dir, SQLITE_FILE_NAME));
    db.prepare("UPDATE world_configs SET config = json_set(config, '$.config.jobs.perWorldConcurrency', json('[]'))").run();
    db.prepare("DELETE FROM checkpoints WHERE world_id = 'w2'").run(); // built from its record alone
    expect((db.prepare("SELECT count(*) AS n FROM checkpoints WHERE world_id = '1'").get() as { n: number }).n).toBeGreaterThan(0);
    db.close();
    expect([...records(data.dir).values()].map((r) => r.perWorldConcurrency)).toEqual([[], []]);

    const again = await bootDataDirRuntime(data.dir);
    const rt = again.rt;
    try {
      const worlds = (await again.api('GET', '/api/v1/worlds')).json as { worlds: Array<{ id: string; step: number }> };
      expect(worlds.worlds.map((w) => w.id).sort()).toEqual(['1', 'w2']);
      // Its checkpoint, not a new world: the step carries on from the record's.
      expect(worlds.worlds.find((w) => w.id === '1')?.step).toBeGreaterThanOrEqual(before.get('1')?.step ?? Number.NaN);
      const refused = again.lines.filter((l) => l.msg?.startsWith("stored world record's config not valid"));
      expect(refused.map((l) => [l.world, l.level, l.err?.message])).toEqual([
        ['1', 50, expect.stringContaining('jobs.perWorldConcurrency')],
        ['w2', 50, expect.stringContaining('jobs.perWorldConcurrency')],
      ]);
      expect(again.lines.filter((l) => /skipped/.test(String(l.msg)))).toEqual([]);
    } finally {
      await rt.stop();
    }
    const after = records(data.dir);
    expect(after.get('1')?.incarnation).toBe(before.get('1')?.incarnation);
    expect(after.get('w2')?.incarnation).toBe(before.get('w2')?.incarnation);
    expect([...after.values()].map((r) => r.perWorldConcurrency)).toEqual([8, 8]);
  });
});
