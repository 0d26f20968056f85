/**
 * Procedural NPC scenes: a deterministic, CPU-bound content generator (the work a `scene` job
 * does on a worker thread). Pure: the same input gives the same result on any thread, so a
 * test can recompute a worker's result in-process.
 *
 * A scene is an `size`×`size` height field of seeded value noise (`octaves` octaves, bilinear,
 * smoothstep) over a seed mixed from (world seed, NPC kind, home cell); props stand on local
 * maxima above a threshold. The result is the number of props and a 32-bit hash of their
 * layout (cell, prop type). Default size 128, 4 octaves: a few ms of work.
 */
import { optionInvalid } from '../errors.js';

/** What a scene is generated from. */
export interface SceneInput {
  /** World seed (uint32). */
  seed: number;
  /** NPC archetype code (uint16). */
  kind: number;
  /** Home cell (int32): floor(home / {@link SCENE_CELL_SIZE}) per axis. */
  cellX: number;
  cellY: number;
  /** Side of the height field in samples (8..512). Default 128. */
  size?: number;
  /** Noise octaves (1..8). Default 4. */
  octaves?: number;
}

/** A generated scene (small: what is written into the NPC's components). */
export interface SceneResult {
  /** 32-bit hash of the prop layout (uint32). */
  hash: number;
  /** Number of props placed. */
  props: number;
}

/** World units per scene cell: NPCs whose homes share a cell (and kind) share a scene. */
export const SCENE_CELL_SIZE = 32;

const isInt = (v: unknown, min: number, max: number): boolean => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** Validate a scene input (it crosses a thread boundary). Throws `WT_ERR_OPTION_INVALID`. */
export const checkSceneInput = (i: unknown): SceneInput => {
  const o = (typeof i === 'object' && i !== null ? i : {}) as Record<string, unknown>;
  const p: string[] = [];
  if (!isInt(o.seed, 0, 0xffffffff)) p.push('seed must be a uint32');
  if (!isInt(o.kind, 0, 0xffff)) p.push('kind must be a uint16');
  if (!isInt(o.cellX, -0x80000000, 0x7fffffff) || !isInt(o.cellY, -0x80000000, 0x7fffffff)) p.push('cellX/cellY must be int32');
  if (o.size !== undefined && !isInt(o.size, 8, 512)) p.push('size must be an integer in 8..512');
  if (o.octaves !== undefined && !isInt(o.octaves, 1, 8)) p.push('octaves must be an integer in 1..8');
  if (p.length) throw optionInvalid(p.map((m) => `scene input: ${m}`));
  return o as unknown as SceneInput;
};

/** 32-bit integer hash of (a, b, c) (murmur3-style finaliser). */
const hash3 = (a: number, b: number, c: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b ^ 0xc2b2ae35, 0x27d4eb2f) ^ Math.imul(c ^ 0x165667b1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

const smooth = (t: number): number => t * t * (3 - 2 * t);

/** Generate the scene of `input` (deterministic; a few ms at the defaults). */
export const generateScene = (input: SceneInput): SceneResult => {
  const n = input.size ?? 128;
  const octaves = input.octaves ?? 4;
  const base = hash3(input.seed >>> 0, hash3(input.kind, input.cellX | 0, input.cellY | 0), 0x5ce9e);
  const field = new Float64Array(n * n);
  for (let o = 0; o < octaves; o++) {
    const step = 32 >> o || 1; // lattice spacing in samples: 32, 16, 8, 4, ...
    const amp = 1 / (1 << o);
    const salt = hash3(base, o, 0x0c7a);
    for (let y = 0; y < n; y++) {
      const gy = Math.floor(y / step),
        ty = smooth((y - gy * step) / step);
      for (let x = 0; x < n; x++) {
        const gx = Math.floor(x / step),
          tx = smooth((x - gx * step) / step);
        const v00 = hash3(salt, gx, gy) / 4294967296,
          v10 = hash3(salt, gx + 1, gy) / 4294967296;
        const v01 = hash3(salt, gx, gy + 1) / 4294967296,
          v11 = hash3(salt, gx + 1, gy + 1) / 4294967296;
        const top = v00 + (v10 - v00) * tx,
          bot = v01 + (v11 - v01) * tx;
        field[y * n + x] += amp * (top + (bot - top) * ty);
      }
    }
  }
  let norm = 0;
  for (let o = 0; o < octaves; o++) norm += 1 / (1 << o);
  const threshold = 0.55 * norm;
  let hash = 0x811c9dc5,
    props = 0;
  for (let y = 1; y < n - 1; y++) {
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x,
        v = field[i];
      if (v <= threshold || v < field[i - 1] || v < field[i + 1] || v < field[i - n] || v < field[i + n]) continue;
      const type = hash3(base, x, y) & 15;
      hash = Math.imul(hash ^ ((y << 16) | (x << 4) | type), 0x01000193) >>> 0;
      props++;
    }
  }
  return { hash: hash >>> 0, props };
};
