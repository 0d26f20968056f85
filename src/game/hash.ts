/**
 * The state hash of a game world: the core hash (built-in stores, world time, step count, PRNG
 * state; src/core/state-hash.ts) extended with the game's component stores, in the game's
 * component order, with its world timers (src/game/timers.ts) when it declares any, and with its
 * world data (src/game/world-data.ts) when set. A world without game components, timers or data
 * (the life-sim) hashes exactly as the core does.
 */
import { checkWorld } from '../core/check-world.js';
import { getAllEntities } from 'bitecs';
import { hashWorldState as hashCore } from '../core/state-hash.js';
import type { SimWorld } from '../world/sim-world.js';

const mix = (h: number, k: number): number => {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
};

/** 16 hex digits: equal hashes mean equal state (built-in and game stores, clock, PRNG, timers, world data). */
export const hashWorldState = (world: SimWorld): string => {
  checkWorld(world, 'hashWorldState');
  const core = hashCore(world);
  const stores = world.game?.stores;
  const timers = world.game?.timers;
  const hasTimers = timers !== undefined && (timers.names.length > 0 || timers.oneShot.size > 0);
  // World data hashes only when set: worlds that never set it hash as before it existed (recorded logs still match).
  const data = world.game?.data.json ?? 'null';
  if ((!stores || stores.size === 0) && !hasTimers && data === 'null') return core;
  let maxEid = 0;
  const ents = getAllEntities(world);
  for (let i = 0; i < ents.length; i++) if (ents[i] > maxEid) maxEid = ents[i];
  let h1 = parseInt(core.slice(0, 8), 16) | 0,
    h2 = parseInt(core.slice(8), 16) | 0;
  for (const store of stores?.values() ?? [])
    for (const key of Object.keys(store)) {
      const arr = store[key];
      const len = Math.min(arr.length, maxEid + 1) * arr.BYTES_PER_ELEMENT;
      // Copied out of the SharedArrayBuffer (a worker may write it), padded to whole words.
      const bytes = new Uint8Array((len + 3) & ~3);
      bytes.set(new Uint8Array(arr.buffer, arr.byteOffset, len));
      const words = new Uint32Array(bytes.buffer);
      for (let i = 0; i < words.length; i++) {
        h1 = mix(h1, words[i]);
        h2 = mix(h2, words[i] ^ 0x5bd1e995);
      }
    }
  const word = (k: number): void => {
    h1 = mix(h1, k);
    h2 = mix(h2, k ^ 0x5bd1e995);
  };
  if (hasTimers) {
    // Timers are world state: pending one-shots (id, due, name, payload) and each repeating timer's next due index.
    const f = new Float64Array(1);
    const w = new Uint32Array(f.buffer);
    word(timers.nextId);
    for (let i = 0; i < timers.next.length; i++) word(timers.next[i]);
    for (let i = 0; i < timers.pending.length; i++) {
      const t = timers.pending[i];
      f[0] = t.due;
      word(t.id);
      word(w[0]);
      word(w[1]);
      const text = t.name + t.json; // the payload's JSON text, as set
      for (let c = 0; c < text.length; c++) word(text.charCodeAt(c));
    }
  }
  if (data !== 'null') {
    // The data's JSON text as set, its length first.
    word(data.length);
    for (let c = 0; c < data.length; c++) word(data.charCodeAt(c));
  }
  const hex = (h: number): string => (h >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
};
