/**
 * A corrupt or hostile checkpoint file gives `WT_ERR_CHECKPOINT_CORRUPT` — never another error, a
 * crash or an allocation beyond what the file and the world's record justify
 * (src/persist/snapshot-format.ts, snapshot-checks.ts). Checkpoints are written by the real
 * checkpointer into a real SQLite file, then damaged there (truncated, bits flipped) and loaded as
 * at start (`loadPersistedWorld`: an admin world falls back to its record); forged containers (a
 * deflate bomb, a capacity unlike the record's, overlapping sections, a huge header length) are fed
 * to `restoreWorld`. Seeded.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { deflateSnapshot, inflateSnapshot, packSections, unpackSections } from '../../../src/persist/snapshot-format.js';
import { restoreWorld } from '../../../src/persist/world-snapshot.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, stepWorld } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const data = tempDataDir('wt-ck-corrupt-');
const logger = createLogger('silent');
let store: Store;
let good: Uint8Array; // the stored bytes of a good checkpoint
let meta: Record<string, unknown>;

/** A tiny seeded PRNG (mulberry32). */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const outcome = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return String((err as { code?: string }).code ?? `uncoded ${(err as Error).name}: ${(err as Error).message}`);
  }
};

/** Store `bytes` as the newest checkpoint of world `w` (replacing the good one's data in the SQLite file). */
const putBytes = (bytes: Uint8Array): void => {
  const db = new Database(join(data.dir, 'worldtick.sqlite'));
  db.prepare("UPDATE checkpoints SET data = ? WHERE world_id = 'w'").run(Buffer.from(bytes));
  db.close();
};

beforeAll(async () => {
  store = await openStore({ dataDir: data.dir });
  const world = createSimWorld({ id: 'w', capacity: 400, seed: 5 });
  populateNpcs(world, { count: 300 });
  pauseWorld(world);
  stepWorld(world, 20);
  const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
  ck.track(world, { origin: 'admin', npcs: 300 });
  await ck.persist('w'); // record + checkpoint, through the real writer path
  const row = await store.loadCheckpoint('w');
  if (!row) throw new Error('no checkpoint');
  good = row.data;
  meta = row.meta;
});
afterAll(async () => {
  await store.close();
  data.remove();
});

describe('corrupt checkpoint files', () => {
  it('the good checkpoint loads and carries its checksum', async () => {
    expect(typeof meta.crc32).toBe('number');
    const p = await loadPersistedWorld(store, logger, 'w');
    expect(p?.checkpoint).not.toBeNull();
    expect(p?.world?.clock.step).toBe(20);
  });

  it('truncated or bit-flipped in the SQLite file: coded refusal, the world comes back from its record', async () => {
    const next = rng(20261201);
    const damaged: Uint8Array[] = [good.subarray(0, good.length >> 1), good.subarray(0, 5), new Uint8Array(0)];
    for (let i = 0; i < 12; i++) {
      const b = Uint8Array.from(good);
      const at = Math.floor(next() * b.length);
      b[at] ^= 1 << Math.floor(next() * 8);
      damaged.push(b);
    }
    // Raw deflate ignores the padding bits after its last block: a flip there inflates to the very
    // same checkpoint (the CRC of the inflated bytes matches), which loads — no damage to refuse.
    const goodRaw = Buffer.from(await inflateSnapshot(good));
    const unchanged = async (b: Uint8Array): Promise<boolean> =>
      inflateSnapshot(b).then(
        (raw) => goodRaw.equals(raw),
        () => false,
      );
    for (const [i, bytes] of damaged.entries()) {
      putBytes(bytes);
      const p = await loadPersistedWorld(store, logger, 'w');
      if (await unchanged(bytes)) expect(p?.checkpoint, `case ${i} (padding bit)`).not.toBeNull();
      else expect(p?.checkpoint, `case ${i}`).toBeNull(); // refused: rebuilt from the record
      expect(p?.world?.clock.step, `case ${i}`).toBe(20);
    }
    putBytes(good);
  });

  /** An admin world `id` with two checkpoints through the real writer: the newest at step 20, the one kept at step 10. */
  const twoCheckpoints = async (id: string, seed: number): Promise<void> => {
    const world = createSimWorld({ id, capacity: 400, seed });
    populateNpcs(world, { count: 50 });
    pauseWorld(world);
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
    ck.track(world, { origin: 'admin', npcs: 50 });
    stepWorld(world, 10);
    await ck.persist(id);
    stepWorld(world, 10);
    await ck.persist(id);
  };

  it('when the newest checkpoint is unreadable, the one kept before it is used (a durable timer or state is not lost)', async () => {
    await twoCheckpoints('v', 6);
    const db = new Database(join(data.dir, 'worldtick.sqlite'));
    const newest = db.prepare("SELECT max(id) AS id FROM checkpoints WHERE world_id = 'v'").get() as { id: number };
    const row = db.prepare('SELECT data FROM checkpoints WHERE id = ?').get(newest.id) as { data: Buffer };
    const flipped = Buffer.from(row.data);
    flipped[flipped.length >> 1] ^= 0x10;
    db.prepare('UPDATE checkpoints SET data = ? WHERE id = ?').run(flipped, newest.id);
    db.close();
    const p = await loadPersistedWorld(store, logger, 'v');
    expect(p?.checkpoint?.step).toBe(10);
    expect(p?.world?.clock.step).toBe(20); // the clock still from the record
  });

  it('a row whose JSON columns do not parse: the checkpoint before it is used, an unreadable record refuses its world', async () => {
    await twoCheckpoints('u', 7);
    const db = new Database(join(data.dir, 'worldtick.sqlite'));
    // The newest checkpoint's meta and config no longer JSON (a flipped bit on disk, a hand edit).
    db.prepare(
      "UPDATE checkpoints SET meta = '{\"incarnation\":', config = 'x{' WHERE id = (SELECT max(id) FROM checkpoints WHERE world_id = 'u')",
    ).run();
    db.close();
    const p = await loadPersistedWorld(store, logger, 'u');
    expect(p?.checkpoint?.step).toBe(10); // before: SyntaxError, and the server did not start
    // The world's record not JSON: refused like a record not understood (before: SyntaxError).
    const db2 = new Database(join(data.dir, 'worldtick.sqlite'));
    db2.prepare("UPDATE world_configs SET config = '{bad' WHERE world_id = 'u'").run();
    db2.close();
    expect((await store.getWorldConfig('u'))?.config).toMatchObject({ unreadable: expect.stringMatching(/^not JSON/) });
    await expect(loadPersistedWorld(store, logger, 'u')).rejects.toMatchObject({ code: 'WT_ERR_WORLD_RECORD_UNUSABLE' });
  });

  it.each(['null', '[]', '7', '"text"'])(
    'a meta of valid JSON that holds no object (%s): the checkpoint before it is used',
    async (value) => {
      const id = `m${value.length}${value[0] === '"' ? 's' : ''}`;
      await twoCheckpoints(id, 8);
      const db = new Database(join(data.dir, 'worldtick.sqlite'));
      db.prepare('UPDATE checkpoints SET meta = ? WHERE id = (SELECT max(id) FROM checkpoints WHERE world_id = ?)').run(value, id);
      db.close();
      expect((await store.loadCheckpoint(id))?.meta).toMatchObject({ unreadable: expect.stringMatching(/^not a JSON object/) });
      // Before (store-file fuzz seed 80336): `null` ended the start with "Cannot read properties of null (reading 'incarnation')".
      expect((await loadPersistedWorld(store, logger, id))?.checkpoint?.step).toBe(10);
    },
  );

  it('bits flipped in the container before compression (no checksum given): a coded refusal or a world, never a crash', async () => {
    const raw = await inflateSnapshot(good);
    const next = rng(7);
    const hlen = new DataView(raw.buffer, raw.byteOffset).getUint32(8, true);
    const seen = new Set<string>();
    for (let i = 0; i < 150; i++) {
      const b = Uint8Array.from(raw);
      // Two thirds in the header (prefix + JSON: what sizes allocations), the rest anywhere.
      const span = i % 3 === 2 ? b.length : 12 + hlen;
      for (let k = 0; k < 1 + (i % 3); k++) b[Math.floor(next() * span)] ^= 1 << Math.floor(next() * 8);
      const r = await outcome(restoreWorld(await deflateSnapshot(b), { expect: { worldId: 'w', capacity: 400 } }));
      seen.add(r);
      expect(['ok', 'WT_ERR_CHECKPOINT_CORRUPT', 'WT_ERR_CONFIG_INVALID'], `flip ${i}: ${r}`).toContain(r);
    }
    expect(seen.has('WT_ERR_CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('forged containers are refused before they allocate', async () => {
    const { header, sections } = unpackSections<Record<string, any>>(await inflateSnapshot(good));
    const { sections: metas, ...h } = header;
    const list = [...sections].map(([name, d]) => ({ name, data: d }));
    const pack = (hh: Record<string, unknown>, l = list) => deflateSnapshot(packSections(hh, l));
    const rss0 = process.memoryUsage().rss;
    const cases: Record<string, Promise<Uint8Array> | Uint8Array> = {
      'a capacity unlike the record (50M entities)': pack({ ...h, capacity: 50_000_000 }),
      'a player grid of 2^30': pack({ ...h, spatial: { ...h.spatial, playerCapacity: 2 ** 30 } }),
      'an entity index past the capacity': pack({ ...h, entities: { ...h.entities, maxId: 10_000 } }),
      'a clock that is not numbers': pack({ ...h, clock: { now: 'x', step: 1, paused: false } }),
      'a store field of 4M rows (capacity 400)': pack(
        h,
        list.map((e) => (e.name === 'field.Position.x' ? { name: e.name, data: new Float32Array(4 << 20) } : e)),
      ),
      'a deflate bomb (64 MiB of zeros)': deflateSnapshot(new Uint8Array(64 << 20)),
    };
    // 1,000 sections over the same bytes: would copy 1,000x the body.
    const raw = await inflateSnapshot(good);
    const dv = new DataView(raw.buffer, raw.byteOffset);
    const hlen = dv.getUint32(8, true);
    const parsed = JSON.parse(new TextDecoder().decode(raw.subarray(12, 12 + hlen)));
    const big = parsed.sections.reduce((a: any, b: any) => (b.length > a.length ? b : a));
    parsed.sections = Array.from({ length: 1000 }, (_, i) => ({ ...big, name: `s${i}` }));
    const json = new TextEncoder().encode(JSON.stringify(parsed));
    const start = (12 + json.length + 7) & ~7;
    const body = raw.subarray((12 + hlen + 7) & ~7);
    const forged = new Uint8Array(start + body.length);
    forged.set(raw.subarray(0, 12));
    new DataView(forged.buffer).setUint32(8, json.length, true);
    forged.set(json, 12);
    forged.set(body, start);
    cases['1,000 sections over the same bytes'] = deflateSnapshot(forged);
    const hugeHeader = Uint8Array.from(raw);
    new DataView(hugeHeader.buffer).setUint32(8, 0xfffffff0, true);
    cases['a header length of 4 GB'] = deflateSnapshot(hugeHeader);
    for (const [what, bytes] of Object.entries(cases)) {
      const r = await outcome(restoreWorld(await bytes, { expect: { worldId: 'w', capacity: 400 }, maxRawBytes: 16 << 20 }));
      expect(r, what).toBe('WT_ERR_CHECKPOINT_CORRUPT');
    }
    expect(metas).toBeDefined();
    // A header that could not be read back is refused at write (counted as a failed checkpoint).
    let code = '';
    try {
      packSections({ config: 'x'.repeat(17 << 20) }, []);
    } catch (err) {
      code = String((err as { code?: string }).code);
    }
    expect(code).toBe('WT_ERR_CHECKPOINT_TOO_LARGE');
    // Nothing close to the forged sizes was allocated (50M-entity stores alone would be gigabytes).
    expect(process.memoryUsage().rss - rss0).toBeLessThan(512 << 20);
  });
});
