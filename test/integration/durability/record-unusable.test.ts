/**
 * An admin world whose stored record can neither restore nor build it (a damaged row: here its capacity edited
 * to -5: its checkpoint, of another capacity, is refused, and no world can be built with it) was only logged at start (`stored world could not be rebuilt; world skipped`):
 * its players got "no such world" and the admin API 404, and in a cluster every control tick took the orphan
 * again, minting a token each time. It is listed as not started now (src/server/not-started.ts, reason
 * `record-unusable`, docs/ADMIN.md "Worlds not started"): `GET /api/v1/worlds` says why, its routes answer 409
 * `WT_ERR_WORLD_RECORD_UNUSABLE`, a create of its id is refused (it would write over the record), a hello is
 * answered `UNAVAILABLE`, `/metrics` has it, and the dashboard's card says it in a sentence. Nothing of it is
 * written; once the record is mended, the next start restores the world from its checkpoint.
 * A real runtime over a real SQLite file, started three times.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { bootDataDirRuntime } from '../../helpers/data-dir-runtime.js';
import { runtimeClient } from '../../helpers/runtime-client.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const boot = bootDataDirRuntime;

/** Every stored row of `worldId` (record and checkpoints), to show nothing of it was written. */
const rowsOf = (dataDir: string, worldId: string) => {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    return {
      record: db.prepare('SELECT config FROM world_configs WHERE world_id = ?').all(worldId),
      checkpoints: db.prepare('SELECT id, step FROM checkpoints WHERE world_id = ? ORDER BY id').all(worldId),
    };
  } finally {
    db.close();
  }
};
const setCapacity = (dataDir: string, worldId: string, capacity: number) => {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME));
  try {
    db.prepare("UPDATE world_configs SET config = json_set(config, '$.capacity', ?) WHERE world_id = ?").run(capacity, worldId);
  } finally {
    db.close();
  }
};

describe('an admin world whose stored record cannot be used', () => {
  it('is listed as not started, refused with a code on every path, written nothing, and back once the record is mended', async () => {
    const data = tempDataDir('wt-record-unusable-');
    cleanup.push(() => data.remove());
    let b = await boot(data.dir);
    try {
      expect((await b.api('POST', '/api/v1/worlds', { id: 'w2', npcs: 5 })).status).toBe(201);
    } finally {
      await b.rt.stop(); // checkpoints w2 and writes its record
    }
    const capacity = (JSON.parse((rowsOf(data.dir, 'w2').record[0] as { config: string }).config) as { capacity: number }).capacity;
    setCapacity(data.dir, 'w2', -5);
    const damaged = rowsOf(data.dir, 'w2');
    expect(damaged.checkpoints.length).toBeGreaterThan(0);

    b = await boot(data.dir);
    try {
      const list = (await b.api('GET', '/api/v1/worlds')).json;
      expect(list.worlds.map((w: { id: string }) => w.id)).toEqual(['1']);
      expect(list.notStarted).toEqual([
        {
          worldId: 'w2',
          reason: 'record-unusable',
          problem: expect.stringMatching(/^the world cannot be built from it: .*capacity/),
          at: 'start',
          checkpoint: { what: null, found: null, known: null, step: null },
          sinceMs: expect.any(Number),
          owner: null,
        },
      ]);
      for (const path of ['/api/v1/worlds/w2', '/api/v1/worlds/w2/stats']) {
        const r = await b.api('GET', path);
        expect(r.status, path).toBe(409);
        expect(r.json).toMatchObject({ code: 'WT_ERR_WORLD_RECORD_UNUSABLE', details: { worldId: 'w2', reason: 'record-unusable' } });
        expect(r.json.message).toContain('its stored record cannot be used');
      }
      const create = await b.api('POST', '/api/v1/worlds', { id: 'w2', npcs: 5 });
      expect(create.status).toBe(409);
      expect(create.json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { worldId: 'w2' } });
      expect(create.json.message).toContain('its stored record cannot be used');
      const c = await runtimeClient(b.rt);
      await expect(c.join('w2', 'p', 'p-token')).rejects.toThrow(/UNAVAILABLE.*record-unusable/);
      await c.closed();
      expect(c.closeCode).toBe(1013);
      expect((await b.api('GET', '/metrics')).text).toMatch(/^worldtick_world_not_started\{world="w2",reason="record-unusable"\} 1$/m);
      // Logged once, with what is wrong: the line an operator reads.
      expect(b.lines.filter((l) => l.msg === 'stored world could not be rebuilt; world skipped').map((l) => l.world)).toEqual(['w2']);
      if (chromiumFor('unusable world record: the dashboard card in a browser')) {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.goto(`http://127.0.0.1:${b.rt.admin.port}/#token=rt`);
          const row = page.locator('#not-started tbody tr');
          await row.locator('td.why').waitFor({ timeout: 15_000 });
          expect((await row.locator('td.why').textContent()) ?? '').toContain('Its stored record is damaged');
          expect((await row.textContent()) ?? '').toContain('the world cannot be built from it');
        } finally {
          await browser.close();
        }
      }
    } finally {
      await b.rt.stop();
    }
    expect(rowsOf(data.dir, 'w2')).toEqual(damaged); // nothing written over the record or its checkpoints

    setCapacity(data.dir, 'w2', capacity);
    b = await boot(data.dir);
    try {
      const list = (await b.api('GET', '/api/v1/worlds')).json;
      expect(list.worlds.map((w: { id: string }) => w.id).sort()).toEqual(['1', 'w2']);
      expect(list.notStarted).toEqual([]);
      const w2 = (await b.api('GET', '/api/v1/worlds/w2')).json;
      expect(w2.step).toBeGreaterThanOrEqual((damaged.checkpoints.at(-1) as { step: number }).step); // from its checkpoint
    } finally {
      await b.rt.stop();
    }
  }, 60_000);
});
