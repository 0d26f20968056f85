/**
 * A fast 64-bit (two 32-bit lanes) hash of a world's state: every component store up to the
 * highest live entity id (the player table up to its highest row in use), world time, step count and PRNG state. Equal hashes across runs mean
 * the same state; used by determinism tests.
 */
import { getAllEntities } from 'bitecs';
import { STORE_NAMES, storeRowCount, type Store } from '../../components/index.js';
import type { CoreWorld } from './world-core.js';

const mix = (h: number, k: number): number => {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
};

const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

const hashBytes = (bytes: Uint8Array, h1: number, h2: number): [number, number] => {
  const words = bytes.byteLength >>> 2;
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
  for (let i = 0; i < words; i++) {
    const w = u32[i];
    h1 = mix(h1, w);
    h2 = mix(h2, w ^ 0x5bd1e995);
  }
  for (let i = words << 2; i < bytes.byteLength; i++) {
    h1 = mix(h1, bytes[i]);
    h2 = mix(h2, bytes[i] ^ 0x5bd1e995);
  }
  return [h1, h2];
};

/** Hash the world's state; returns 16 hex digits. */
export const hashWorldState = (world: CoreWorld): string => {
  const ents = getAllEntities(world);
  let maxEid = 0;
  for (let i = 0; i < ents.length; i++) if (ents[i] > maxEid) maxEid = ents[i];
  let h1 = 0x2545f491,
    h2 = 0x9e3779b9;
  const head = new Float64Array([world.clock.now, world.clock.step, ents.length]);
  [h1, h2] = hashBytes(new Uint8Array(head.buffer), h1, h2);
  [h1, h2] = hashBytes(new Uint8Array(world.rng.buffer, world.rng.byteOffset, world.rng.byteLength), h1, h2);
  for (const name of STORE_NAMES) {
    const store = world.stores[name] as Store;
    const rows = storeRowCount(world.stores, name, maxEid + 1);
    for (const key of Object.keys(store)) {
      const arr = store[key];
      const len = Math.min(arr.length, rows) * arr.BYTES_PER_ELEMENT;
      // Copy out of the SharedArrayBuffer so a worker writing concurrently cannot tear the view.
      const bytes = new Uint8Array(len);
      bytes.set(new Uint8Array(arr.buffer, arr.byteOffset, len));
      [h1, h2] = hashBytes(bytes, h1, h2);
    }
  }
  return fmix(h1).toString(16).padStart(8, '0') + fmix(h2).toString(16).padStart(8, '0');
};
