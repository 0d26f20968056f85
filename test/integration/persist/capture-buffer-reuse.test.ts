/**
 * A large world's checkpoints are packed into one buffer kept for the world (src/persist/checkpointer.ts
 * `captureInto`, a SharedArrayBuffer the writer thread reads in place): its pages stay in memory, so the copy
 * on the event loop is a memcpy, not a fresh 130 MiB of page faults (1,000,000 NPCs). Real SQLite store, real
 * writer thread: consecutive checkpoints of a world over the threshold — the buffer reused, each one written
 * and restored to the state it was taken at (checksum verified), its bytes the same as a fresh buffer's.
 * The entity lists are not arrays of their own: section writers fill them in place (snapshot-format.ts
 * `SectionWriter`) — the same bytes as the arrays, each list what the world holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { captureInto, REUSED_CAPTURE_MIN_BYTES } from '../../../src/persist/checkpointer.js';
import { hasComponent, removeComponent } from 'bitecs';
import { captureEntities } from '../../../src/persist/entity-state.js';
import { packSections, unpackSections, type SectionWriter } from '../../../src/persist/snapshot-format.js';
import { captureWorld, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { openCheckpointStack } from '../../helpers/checkpoint-stack.js';
import { resumeWorld, runStep } from '../../../src/world/step.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a large world checkpointed through its kept buffer', () => {
  it('consecutive checkpoints reuse it through the writer thread; each restores the state it was taken at', async () => {
    const { store, ck, close } = openCheckpointStack('wt-ck-reuse-');
    cleanups.push(close);
    const world = createSimWorld({ id: 'big', capacity: 41_000 });
    populateNpcs(world, { count: 40_000 });
    resumeWorld(world);
    ck.track(world, { origin: 'admin', npcs: 40_000 });
    await ck.record('big');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) runStep(world);
      const hash = hashWorldState(world);
      expect(await ck.checkpoint('big')).toMatchObject({ status: 'saved' });
      const row = await store.loadCheckpoint('big');
      const rawBytes = row?.meta.rawBytes as number;
      expect(rawBytes).toBeGreaterThanOrEqual(REUSED_CAPTURE_MIN_BYTES); // the kept buffer's path
      const crc32 = row?.meta.crc32 as number;
      const restored = await restoreWorld(row!.data, { crc32, expect: { worldId: 'big', capacity: 41_000 } });
      expect(hashWorldState(restored)).toBe(hash);
      expect(restored.clock.step).toBe(world.clock.step);
      // The same bytes as a capture into a fresh buffer (the padding of a reused one zeroed).
      const into = (bytes: number) => new Uint8Array(new SharedArrayBuffer(bytes + 64)).fill(0xa5).subarray(0, bytes);
      expect(Buffer.from(captureWorld(world, into).packed).equals(Buffer.from(captureWorld(world).packed))).toBe(true);
    }
    expect(ck.report('big')).toMatchObject({ saved: 3 });
  });

  it('the kept buffer: shared, reused while it fits, grown by an eighth; a small capture gets a new buffer each time', () => {
    const t = { spare: null as Uint8Array | null };
    const n = REUSED_CAPTURE_MIN_BYTES + 1000;
    const a = captureInto(t)(n);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([a.byteOffset, a.byteLength, a.buffer.byteLength]).toEqual([0, n, n + (n >> 3)]);
    expect(captureInto(t)(n - 500).buffer).toBe(a.buffer); // smaller: the same buffer, a shorter view
    expect(captureInto(t)(n + (n >> 3)).buffer).toBe(a.buffer); // up to its size
    const grown = captureInto(t)(n * 2);
    expect(grown.buffer).not.toBe(a.buffer);
    expect(grown.buffer.byteLength).toBe(n * 2 + ((n * 2) >> 3));
    const small = captureInto(t)(1000);
    expect(small.buffer).toBeInstanceOf(ArrayBuffer); // transferred to the writer as before
    expect(captureInto(t)(1000).buffer).not.toBe(small.buffer);
    expect(t.spare?.buffer).toBe(grown.buffer);
  });

  it('packSections into a dirty buffer gives the bytes of a fresh one; a view of the wrong size is refused', () => {
    const sections = [
      { name: 'a', data: new Int32Array([1, 2, 3]) },
      { name: 'b', data: new Uint8Array([9, 8, 7, 6, 5]) },
      { name: 'c', data: new Float64Array([0.5]) },
    ];
    const fresh = packSections({ h: 1 }, sections);
    const dirty = new Uint8Array(fresh.byteLength + 16).fill(0xff);
    const reused = packSections({ h: 1 }, sections, (n) => dirty.subarray(8, 8 + n));
    expect(Buffer.from(reused).equals(Buffer.from(fresh))).toBe(true);
    expect(() => packSections({ h: 1 }, sections, (n) => new Uint8Array(n + 1))).toThrow(RangeError);
  });

  it('a section writer packs the bytes of the same array, aligned or not; the entity lists are what the world holds', () => {
    const arrays = [
      { name: 'a', data: new Int32Array([1, -2, 3]) },
      { name: 'b', data: new Uint8Array([9, 8, 7, 6, 5]) },
      { name: 'c', data: new Float64Array([0.5, -7]) },
    ];
    const writers: SectionWriter[] = arrays.map(({ name, data }) => ({
      name,
      type: data instanceof Int32Array ? 'i32' : data instanceof Uint8Array ? 'u8' : 'f64',
      length: data.length,
      write: (out) => out.set(data),
    }));
    const fresh = packSections({ h: 1 }, arrays);
    expect(Buffer.from(packSections({ h: 1 }, writers)).equals(Buffer.from(fresh))).toBe(true);
    // A view at an odd offset: the writer fills a copy, which is then placed.
    const dirty = new Uint8Array(fresh.byteLength + 16).fill(0xff);
    const odd = packSections({ h: 1 }, writers, (n) => dirty.subarray(3, 3 + n));
    expect(Buffer.from(odd).equals(Buffer.from(fresh))).toBe(true);

    const w = createSimWorld({ id: 'lists', seed: 3, capacity: 3000, size: 600, config: { controller: { enabled: false } } });
    populateNpcs(w, { count: 2000 });
    for (let i = 0; i < 3; i++) runStep(w);
    // Holes in the lists: some NPCs lose their tier, behavior or velocity.
    for (let e = 5; e < 2000; e += 7) removeComponent(w, e, w.stores.Tier);
    for (let e = 3; e < 2000; e += 11) removeComponent(w, e, w.stores.Behavior, w.stores.Velocity);
    const { header, sections } = captureEntities(w);
    const got = unpackSections<Record<string, unknown>>(packSections({ ...header }, sections)).sections;
    const dense = got.get('entities.dense');
    expect(dense?.length).toBeGreaterThanOrEqual(header.aliveCount);
    const alive = Array.from(dense ?? []).slice(0, header.aliveCount);
    for (const name of ['Tier', 'Behavior', 'Velocity', 'Npc', 'Position'] as const) {
      const comp = w.stores[name];
      const want = alive.filter((e) => hasComponent(w, e, comp));
      expect(Array.from(got.get(`members.${name}`) ?? []), name).toEqual(want);
    }
    expect(got.get('members.Tier')?.length).toBe(2000 - Math.ceil((2000 - 5) / 7));
  });

  it('the entity lists are read when packed: a world changed in between is refused, not packed short', () => {
    const w = createSimWorld({ id: 'moved', seed: 4, capacity: 500, size: 300, config: { controller: { enabled: false } } });
    populateNpcs(w, { count: 300 });
    runStep(w);
    const { header, sections } = captureEntities(w);
    removeComponent(w, 10, w.stores.Tier);
    expect(() => packSections({ ...header }, sections)).toThrow(/members.Tier: 299 members written, 300 counted/);
  });
});
