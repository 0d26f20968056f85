/**
 * The two encoders of bench/cell-known-proto.ts (a cost prototype; no wire format was designed):
 * frames are a 4-byte step header then entries — update `[1, id u32, qx u16, qy u16]` (9 B), enter
 * `[2, id u32, qx u16, qy u16, kind u8, hp u16]` (12 B), leave `[3, id u32]` (5 B). Plain typed
 * arrays; every session's frame is written into one scratch buffer (the "send" is a no-op) and, for
 * sampled sessions, copied aside and decoded after the timed part into a client mirror checked
 * against a brute-force view.
 */

/** Positions (world units) and quantized positions of this step (q) and the previous step (pq). */
export interface World {
  n: number;
  npcs: number;
  size: number;
  radius: number;
  x: Float64Array;
  y: Float64Array;
  qx: Int32Array;
  qy: Int32Array;
  pqx: Int32Array;
  pqy: Int32Array;
}

/** A uniform grid of c-unit cells (counting sort by cell), with the previous step's copy. */
export interface Grid {
  c: number;
  g: number;
  cells: number;
  cell: Int32Array;
  prevCell: Int32Array;
  start: Int32Array;
  items: Int32Array;
  prevStart: Int32Array;
  prevItems: Int32Array;
}

/** Counters of one encoder (entities per path, bytes, verification). */
export interface EncStats {
  bytes: number;
  view: number;
  candidates: number;
  block: number;
  transfer: number;
  perEntity: number;
  handoff: number;
  prepMs: number;
  verified: number;
  mismatches: number;
}

/** One encoder: `step(t)` encodes every session's snapshot of step t (timed); `verify(t)` checks the samples (untimed). */
export interface Enc {
  name: string;
  stats: EncStats;
  step: (t: number) => void;
  verify: (t: number) => void;
  resetStats: () => void;
}

/** An empty grid of `c`-unit cells over the world (filled by {@link rebuildGrid}). */
export const makeGrid = (w: World, c: number): Grid => {
  const g = Math.ceil(w.size / c);
  const grid: Grid = {
    c,
    g,
    cells: g * g,
    cell: new Int32Array(w.n),
    prevCell: new Int32Array(w.n),
    start: new Int32Array(g * g + 1),
    items: new Int32Array(w.n),
    prevStart: new Int32Array(g * g + 1),
    prevItems: new Int32Array(w.n),
  };
  rebuildGrid(w, grid);
  rebuildGrid(w, grid);
  return grid;
};

/** Keep the current lists as the previous ones, then bin every entity by its current position. */
export const rebuildGrid = (w: World, gr: Grid): void => {
  const { c, g, cells } = gr;
  [gr.prevCell, gr.cell] = [gr.cell, gr.prevCell];
  [gr.prevStart, gr.start] = [gr.start, gr.prevStart];
  [gr.prevItems, gr.items] = [gr.items, gr.prevItems];
  const { cell, start, items } = gr;
  start.fill(0);
  for (let e = 0; e < w.n; e++) {
    const k = Math.floor(w.y[e] / c) * g + Math.floor(w.x[e] / c);
    cell[e] = k;
    start[k + 1]++;
  }
  for (let k = 0; k < cells; k++) start[k + 1] += start[k];
  const fill = start.slice(0, cells);
  for (let e = 0; e < w.n; e++) items[fill[cell[e]]++] = e;
};

const CAP = 256;
const FRAME = 1 << 16;

/** Per-session known rows (id → last sent q) in one flat pool, the shared id marks, the frame scratch and the sample mirrors. */
const makeBase = (name: string, w: World, sessions: number, sampleEvery: number) => {
  const samples = Math.ceil(sessions / sampleEvery);
  const self = {
    name,
    stats: { bytes: 0, view: 0, candidates: 0, block: 0, transfer: 0, perEntity: 0, handoff: 0, prepMs: 0, verified: 0, mismatches: 0 },
    rowId: new Int32Array(sessions * CAP),
    rowQx: new Int32Array(sessions * CAP),
    rowQy: new Int32Array(sessions * CAP),
    count: new Int32Array(sessions),
    status: new Uint8Array(CAP),
    mark: new Int32Array(w.n),
    rowOf: new Int32Array(w.n),
    stamp: 0,
    frame: new Uint8Array(FRAME),
    sampleFrames: new Uint8Array(samples * FRAME),
    sampleLen: new Int32Array(samples),
    mirrorQx: new Int32Array(samples * w.n).fill(-1),
    mirrorQy: new Int32Array(samples * w.n),
    resetStats: () => {
      self.stats = {
        bytes: 0,
        view: 0,
        candidates: 0,
        block: 0,
        transfer: 0,
        perEntity: 0,
        handoff: 0,
        prepMs: 0,
        verified: 0,
        mismatches: 0,
      };
    },
    /** Copy a sampled session's frame aside (inside the timed part, a few per step). */
    keep: (s: number, len: number): void => {
      if (s % sampleEvery !== 0) return;
      const i = s / sampleEvery;
      self.sampleFrames.set(self.frame.subarray(0, len), i * FRAME);
      self.sampleLen[i] = len;
    },
    /** Decode the kept frames into the mirrors and compare each with the brute-force view of its session. */
    verify: (_t: number): void => {
      const r2 = w.radius * w.radius;
      for (let i = 0; i * sampleEvery < sessions; i++) {
        const f = self.sampleFrames.subarray(i * FRAME, i * FRAME + self.sampleLen[i]);
        const mo = i * w.n;
        let bad = 0;
        for (let p = 4; p < f.length; ) {
          const tag = f[p];
          const id = f[p + 1] | (f[p + 2] << 8) | (f[p + 3] << 16) | (f[p + 4] << 24);
          const known = self.mirrorQx[mo + id] >= 0;
          if (tag === 3) {
            if (!known) bad++;
            self.mirrorQx[mo + id] = -1;
            p += 5;
            continue;
          }
          if ((tag === 1) !== known) bad++;
          self.mirrorQx[mo + id] = f[p + 5] | (f[p + 6] << 8);
          self.mirrorQy[mo + id] = f[p + 7] | (f[p + 8] << 8);
          p += tag === 1 ? 9 : 12;
        }
        const pl = w.npcs + i * sampleEvery;
        for (let e = 0; e < w.n; e++) {
          const dx = w.x[e] - w.x[pl];
          const dy = w.y[e] - w.y[pl];
          const inView = dx * dx + dy * dy <= r2;
          const mq = self.mirrorQx[mo + e];
          if (inView ? mq !== w.qx[e] || self.mirrorQy[mo + e] !== w.qy[e] : mq >= 0) bad++;
        }
        self.stats.verified++;
        if (bad > 0) self.stats.mismatches++;
      }
    },
  };
  return self;
};

type Base = ReturnType<typeof makeBase>;

const put32 = (f: Uint8Array, p: number, v: number): void => {
  f[p] = v;
  f[p + 1] = v >>> 8;
  f[p + 2] = v >>> 16;
  f[p + 3] = v >>> 24;
};
/** `[tag, id u32, x u16, y u16]`: the head an update and an enter share; returns the end. */
const putHead = (f: Uint8Array, p: number, tag: number, e: number, x: number, y: number): number => {
  f[p] = tag;
  put32(f, p + 1, e);
  f[p + 5] = x;
  f[p + 6] = x >>> 8;
  f[p + 7] = y;
  f[p + 8] = y >>> 8;
  return p + 9;
};
const putUpdate = (f: Uint8Array, p: number, e: number, x: number, y: number): number => putHead(f, p, 1, e, x, y);
const putEnter = (f: Uint8Array, p: number, e: number, x: number, y: number): number => {
  putHead(f, p, 2, e, x, y);
  f[p + 9] = e & 3;
  f[p + 10] = 100;
  f[p + 11] = 0;
  return p + 12;
};
const putLeave = (f: Uint8Array, p: number, e: number): number => {
  f[p] = 3;
  put32(f, p + 1, e);
  return p + 5;
};

/** Marks by id for the session's rows (status 0 = not seen yet). */
const loadRows = (b: Base, s: number): number => {
  const stamp = ++b.stamp;
  const base = s * CAP;
  const n = b.count[s];
  for (let i = 0; i < n; i++) {
    const id = b.rowId[base + i];
    b.mark[id] = stamp;
    b.rowOf[id] = i;
    b.status[i] = 0;
  }
  return n;
};

/** Leave pass: status 1 rows stay, status 2 (now covered by a synced cell) drop silently, status 0 rows leave. */
const leaves = (b: Base, s: number, n: number, pos: number): number => {
  const base = s * CAP;
  const f = b.frame;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const st = b.status[i];
    if (st === 1) {
      if (k !== i) {
        b.rowId[base + k] = b.rowId[base + i];
        b.rowQx[base + k] = b.rowQx[base + i];
        b.rowQy[base + k] = b.rowQy[base + i];
      }
      k++;
    } else if (st === 0) pos = putLeave(f, pos, b.rowId[base + i]);
  }
  b.count[s] = k;
  return pos;
};

/**
 * The per-entity diff of one cell range [cx0, cx1] of row cy: cells in [ix0, ix1] lie wholly inside
 * the disc (no distance test). `cover`: interior entities are not kept as rows (status 2; the block
 * encoder's newly synced cells). Returns the frame position; the row count is in `cnt.n`.
 */
const diffCells = (
  b: Base,
  w: World,
  gr: Grid,
  s: number,
  cnt: { n: number },
  pos: number,
  cy: number,
  cx0: number,
  cx1: number,
  ix0: number,
  ix1: number,
  px: number,
  py: number,
  cover: boolean,
): number => {
  const { start, items } = gr;
  const { x, y, qx, qy } = w;
  const f = b.frame;
  const r2 = w.radius * w.radius;
  const base = s * CAP;
  const stamp = b.stamp;
  let n = cnt.n;
  for (let cx = cx0; cx <= cx1; cx++) {
    const c = cy * gr.g + cx;
    const inside = cx >= ix0 && cx <= ix1;
    const st = inside && cover ? 2 : 1;
    const k1 = start[c + 1];
    b.stats.candidates += k1 - start[c];
    for (let k = start[c]; k < k1; k++) {
      const e = items[k];
      if (!inside) {
        const dx = x[e] - px;
        const dy = y[e] - py;
        if (dx * dx + dy * dy > r2) continue;
      }
      b.stats.perEntity++;
      const ex = qx[e];
      const ey = qy[e];
      if (b.mark[e] === stamp) {
        const r = b.rowOf[e];
        b.status[r] = st;
        if (b.rowQx[base + r] !== ex || b.rowQy[base + r] !== ey) {
          pos = putUpdate(f, pos, e, ex, ey);
          b.rowQx[base + r] = ex;
          b.rowQy[base + r] = ey;
        }
      } else {
        pos = putEnter(f, pos, e, ex, ey);
        if (st === 1) {
          if (n >= CAP) throw new Error('known rows over CAP');
          b.rowId[base + n] = e;
          b.rowQx[base + n] = ex;
          b.rowQy[base + n] = ey;
          b.mark[e] = stamp;
          b.rowOf[e] = n;
          b.status[n] = 1;
          n++;
        }
      }
    }
  }
  cnt.n = n;
  return pos;
};

/** The disc's rows of cells: for each cy, the cells it touches [c0, c1] and those wholly inside [i0, i1] (empty if i0 > i1). */
const discRows = (gr: Grid, r: number, px: number, py: number, out: Int32Array): { cy0: number; rows: number } => {
  const { c, g } = gr;
  const cy0 = Math.max(0, Math.floor((py - r) / c));
  const cy1 = Math.min(g - 1, Math.floor((py + r) / c));
  for (let cy = cy0; cy <= cy1; cy++) {
    const top = cy * c;
    const near = Math.max(0, top - py, py - top - c);
    const far = Math.max(Math.abs(py - top), Math.abs(py - top - c));
    const o = 4 * (cy - cy0);
    if (near > r) {
      out[o] = 0;
      out[o + 1] = -1;
      out[o + 2] = 0;
      out[o + 3] = -1;
      continue;
    }
    const half = Math.sqrt(r * r - near * near);
    out[o] = Math.max(0, Math.floor((px - half) / c));
    out[o + 1] = Math.min(g - 1, Math.floor((px + half) / c));
    if (far <= r) {
      const hin = Math.sqrt(r * r - far * far);
      out[o + 2] = Math.max(0, Math.ceil((px - hin) / c));
      out[o + 3] = Math.min(g - 1, Math.floor((px + hin) / c) - 1);
    } else {
      out[o + 2] = 0;
      out[o + 3] = -1;
    }
  }
  return { cy0, rows: cy1 - cy0 + 1 };
};

/** Encoder A: the per-entity diff over every cell of the disc. */
export const entityEncoder = (w: World, gr: Grid, sessions: number, sampleEvery: number): Enc => {
  const b = makeBase(`A${gr.c}`, w, sessions, sampleEvery);
  const geo = new Int32Array(4 * (Math.ceil((2 * w.radius) / gr.c) + 3));
  const cnt = { n: 0 };
  return encoderOf(b, (t: number) => {
    for (let s = 0; s < sessions; s++) {
      const px = w.x[w.npcs + s];
      const py = w.y[w.npcs + s];
      cnt.n = loadRows(b, s);
      put32(b.frame, 0, t);
      let pos = 4;
      const { cy0, rows } = discRows(gr, w.radius, px, py, geo);
      for (let j = 0; j < rows; j++) {
        const o = 4 * j;
        pos = diffCells(b, w, gr, s, cnt, pos, cy0 + j, geo[o], geo[o + 1], geo[o + 2], geo[o + 3], px, py, false);
      }
      pos = leaves(b, s, cnt.n, pos);
      b.stats.bytes += pos;
      b.keep(s, pos);
    }
  });
};

/** An encoder over its base: name, stats and verification from `b`, the step given. */
const encoderOf = (b: Base, step: (t: number) => void): Enc => ({
  name: b.name,
  get stats() {
    return b.stats;
  },
  resetStats: b.resetStats,
  verify: b.verify,
  step,
});

export type { Base };
export { CAP, diffCells, discRows, encoderOf, leaves, loadRows, makeBase, putEnter, putUpdate };
