/**
 * A world's game data (`getWorldData` / `setWorldData`, src/game/world-data.ts): one JSON value per
 * world, a frozen copy of what was set; refused (coded, nothing changed) when not plain JSON data or
 * over MAX_WORLD_DATA_BYTES; part of the state hash (a replay compares it); carried by a checkpoint
 * (section `gameData.json`, schema 8) and restored, an older checkpoint without it restoring with
 * null; a forged section refused `WT_ERR_CHECKPOINT_CORRUPT`.
 */
import { describe, expect, it } from 'vitest';
import {
  createGameWorld,
  defineGame,
  getWorldData,
  hashWorldState,
  MAX_WORLD_DATA_BYTES,
  pauseWorld,
  setWorldData,
  stepWorld,
} from '../../../src/index.js';
import { installGame } from '../../../src/game/world.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { rewriteCheckpoint } from '../../helpers/forge-checkpoint.js';

const game = defineGame({
  name: 'world-data',
  systems: [
    {
      name: 'count',
      phase: 'behavior',
      run: (w) => {
        const d = getWorldData<{ steps: number }>(w);
        setWorldData(w, { steps: (d?.steps ?? 0) + 1 });
      },
    },
  ],
});
const errOf = (fn: () => unknown): { code?: string; message?: string; details?: Record<string, unknown> } => {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message?: string; details?: Record<string, unknown> };
  }
  return {};
};
const restore = async (stored: Uint8Array) => restoreWorld(stored, { systems: game.pipeline, install: (x) => installGame(game, x) });

describe('world data', () => {
  it('starts null, keeps a frozen copy of what was set, and is read back the same', () => {
    const w = createGameWorld(defineGame({ name: 'g' }), { id: 'w', capacity: 10 });
    expect(getWorldData(w)).toBeNull();
    const v = { round: 3, pids: ['alice', 'bob'], nested: { ok: true } };
    setWorldData(w, v);
    v.pids.push('mallory');
    const got = getWorldData<typeof v>(w);
    expect(got).toEqual({ round: 3, pids: ['alice', 'bob'], nested: { ok: true } });
    expect(Object.isFrozen(got) && Object.isFrozen(got?.pids) && Object.isFrozen(got?.nested)).toBe(true);
    expect(getWorldData(w)).toBe(got); // no copy per read
    setWorldData(w, null);
    expect(getWorldData(w)).toBeNull();
  });

  it('refuses what is not plain JSON data and what is over the bound, with a code and nothing changed', () => {
    const w = createGameWorld(defineGame({ name: 'g' }), { id: 'w', capacity: 10 });
    setWorldData(w, { keep: 1 });
    for (const bad of [{ f: () => 1 }, { n: Number.NaN }, new Map(), { d: new Date(0) }, 10n]) {
      const e = errOf(() => setWorldData(w, bad));
      expect(e.code).toBe('WT_ERR_WORLD_DATA_INVALID');
      expect(e.message).toMatch(/^invalid world data of world "w": /);
    }
    const big = 'x'.repeat(MAX_WORLD_DATA_BYTES); // MAX + 2 bytes of JSON
    const e = errOf(() => setWorldData(w, { big }));
    expect(e.code).toBe('WT_ERR_WORLD_DATA_TOO_LARGE');
    expect(e.message).toBe(`world data of world "w" is over ${MAX_WORLD_DATA_BYTES} bytes of JSON`);
    expect(e.details).toMatchObject({ worldId: 'w', max: MAX_WORLD_DATA_BYTES });
    expect(getWorldData(w)).toEqual({ keep: 1 });
    setWorldData(w, 'y'.repeat(MAX_WORLD_DATA_BYTES - 2)); // exactly the bound
    expect(errOf(() => setWorldData(createGameWorld(defineGame({ name: 'h' }), { id: 'x' }), 1)).code).toBeUndefined();
  });

  it('is part of the state hash', () => {
    const g = defineGame({ name: 'g' });
    const a = createGameWorld(g, { id: 'w', capacity: 10 });
    const b = createGameWorld(g, { id: 'w', capacity: 10 });
    expect(hashWorldState(a)).toBe(hashWorldState(b));
    setWorldData(a, { pids: ['alice'] });
    expect(hashWorldState(a)).not.toBe(hashWorldState(b));
    setWorldData(b, { pids: ['alice'] });
    expect(hashWorldState(a)).toBe(hashWorldState(b));
    setWorldData(b, { pids: ['bob'] });
    expect(hashWorldState(a)).not.toBe(hashWorldState(b));
    setWorldData(a, null);
    setWorldData(b, null);
    expect(hashWorldState(a)).toBe(hashWorldState(b));
  });

  it('is carried by a checkpoint: the restored world has the same data and hash, and continues the same', async () => {
    const w = createGameWorld(game, { id: 'w', capacity: 10 });
    pauseWorld(w);
    stepWorld(w, 5);
    setWorldData(w, { steps: 5, names: ['é', 'ü'] });
    const b = await restore(await encodeCapture(captureWorld(w)));
    expect(getWorldData(b)).toEqual({ steps: 5, names: ['é', 'ü'] });
    expect(hashWorldState(b)).toBe(hashWorldState(w));
    pauseWorld(b);
    stepWorld(w, 7);
    stepWorld(b, 7);
    expect(getWorldData(b)).toEqual({ steps: 12 });
    expect(hashWorldState(b)).toBe(hashWorldState(w));
  });

  it('restores an older checkpoint (schema 7, no world data) with null', async () => {
    const w = createGameWorld(game, { id: 'w', capacity: 10 });
    pauseWorld(w);
    stepWorld(w, 2);
    const old = await rewriteCheckpoint(await encodeCapture(captureWorld(w)), (h, s) => {
      h.schema = 7;
      delete h.gameData;
      s.delete('gameData.json');
    });
    const b = await restore(old);
    expect(getWorldData(b)).toBeNull();
    pauseWorld(b);
    stepWorld(b, 1);
    expect(getWorldData(b)).toEqual({ steps: 1 });
  });

  it('refuses a forged world-data section with WT_ERR_CHECKPOINT_CORRUPT', async () => {
    const w = createGameWorld(game, { id: 'w', capacity: 10 });
    setWorldData(w, { a: 1 });
    const stored = await encodeCapture(captureWorld(w));
    const forged = [
      (h: Record<string, any>) => {
        h.gameData.bytes = 99;
      },
      (_h: Record<string, any>, s: Map<string, unknown>) => s.set('gameData.json', new TextEncoder().encode('{"a":')),
      (_h: Record<string, any>, s: Map<string, unknown>) => s.delete('gameData.json'),
      (h: Record<string, any>, s: Map<string, unknown>) => {
        const text = new TextEncoder().encode('{"__proto__":{"x":1}}');
        h.gameData.bytes = text.length;
        s.set('gameData.json', text);
      },
      (h: Record<string, any>) => {
        h.gameData.bytes = MAX_WORLD_DATA_BYTES + 1;
      },
    ];
    for (const edit of forged) {
      const bad = await rewriteCheckpoint(stored, edit as never);
      await expect(restore(bad)).rejects.toMatchObject({ code: 'WT_ERR_CHECKPOINT_CORRUPT' });
    }
  });
});
