/**
 * Encoder B of bench/cell-known-proto.ts: a per-cell known set. A session's "synced" cells are the
 * cells wholly inside its disc at its previous snapshot (kept as one interior span per row of cells);
 * the client knows every entity of a synced cell at its previous-step position. Per step, once per
 * cell: the update entries of the entities that stayed in it (the cell's block, laid out in cell
 * order so a row span of cells is one contiguous copy), and its in/out lists. Per session:
 *  1. hand-off: entities of last step's synced cells that are not now in a cell both synced and
 *     interior (IP) become known rows at their previous-step position (out lists of IP cells; all
 *     members of synced cells that stopped being interior);
 *  2. IP row spans: copy the block span, then the in lists: an entity from a synced cell is an
 *     update (a move between two synced cells is not leave + enter), one from the session's known
 *     rows is an update and stops being a row, any other is an enter;
 *  3. every other cell of the disc (boundary ring, newly interior cells) through A's per-entity diff;
 *     entities of newly interior cells stop being rows (their cell is synced from now on);
 *  4. the leave pass over the remaining rows.
 * Not modelled: a session that missed a snapshot (it would fall back to the full per-entity diff,
 * which needs the client's per-entity state rebuilt), spawns/despawns, caps, priorities.
 */
import {
  CAP,
  diffCells,
  discRows,
  encoderOf,
  type Enc,
  type Grid,
  leaves,
  loadRows,
  makeBase,
  putEnter,
  putUpdate,
  type World,
} from './cell-known-encoders.js';

/** Encoder B over `gr`'s cells (see the file comment). */
export const blockEncoder = (w: World, gr: Grid, sessions: number, sampleEvery: number): Enc => {
  const b = makeBase(`B${gr.c}`, w, sessions, sampleEvery);
  const maxRows = Math.ceil((2 * w.radius) / gr.c) + 3;
  const geo = new Int32Array(4 * maxRows);
  const cnt = { n: 0 };
  const g = gr.g;
  // Blocks and the frame share one buffer, so a block span is one `copyWithin` (a memmove, no view allocated).
  const blockCap = w.n * 9 + 16;
  const arena = new Uint8Array(blockCap + b.frame.length);
  const block = arena.subarray(0, blockCap);
  b.frame = arena.subarray(blockCap);
  const blockStart = new Int32Array(gr.cells + 1);
  const inItems = new Int32Array(w.n);
  const inStart = new Int32Array(gr.cells + 1);
  const outItems = new Int32Array(w.n);
  const outStart = new Int32Array(gr.cells + 1);
  const prevStep = new Int32Array(sessions).fill(-1);
  const spanRow0 = new Int32Array(sessions);
  const spanRows = new Int32Array(sessions);
  const spans = new Int32Array(sessions * maxRows * 2);

  /** Once per step: blocks and in/out lists of every cell. */
  const prep = (): void => {
    const { cell, prevCell, start, items, prevStart, prevItems } = gr;
    const { qx, qy, pqx, pqy } = w;
    let bp = 0;
    let ip = 0;
    let op = 0;
    for (let c = 0; c < gr.cells; c++) {
      blockStart[c] = bp;
      inStart[c] = ip;
      outStart[c] = op;
      const k1 = start[c + 1];
      for (let k = start[c]; k < k1; k++) {
        const e = items[k];
        if (prevCell[e] === c) {
          if (qx[e] !== pqx[e] || qy[e] !== pqy[e]) bp = putUpdate(block, bp, e, qx[e], qy[e]);
        } else inItems[ip++] = e;
      }
      const p1 = prevStart[c + 1];
      for (let k = prevStart[c]; k < p1; k++) {
        const e = prevItems[k];
        if (cell[e] !== c) outItems[op++] = e;
      }
    }
    blockStart[gr.cells] = bp;
    inStart[gr.cells] = ip;
    outStart[gr.cells] = op;
  };

  // Per-session state of the session being encoded (set by `encode`; closures hoisted out of it).
  let pr0 = 0;
  let prn = 0;
  let sp = 0;
  let cy0 = 0;
  let rows = 0;
  let base = 0;
  let stamp = 0;
  const inP = (c: number): boolean => {
    const cy = (c / g) | 0;
    const j = cy - pr0;
    if (j < 0 || j >= prn) return false;
    const cx = c - cy * g;
    return cx >= spans[sp + 2 * j] && cx <= spans[sp + 2 * j + 1];
  };
  const inIP = (c: number): boolean => {
    if (!inP(c)) return false;
    const cy = (c / g) | 0;
    const j = cy - cy0;
    if (j < 0 || j >= rows) return false;
    const cx = c - cy * g;
    return cx >= geo[4 * j + 2] && cx <= geo[4 * j + 3];
  };
  const addRow = (e: number): void => {
    const n = cnt.n;
    if (n >= CAP) throw new Error('known rows over CAP');
    b.rowId[base + n] = e;
    b.rowQx[base + n] = w.pqx[e];
    b.rowQy[base + n] = w.pqy[e];
    b.mark[e] = stamp;
    b.rowOf[e] = n;
    b.status[n] = 0;
    cnt.n = n + 1;
    b.stats.handoff++;
  };

  const encode = (s: number, t: number): void => {
    const { qx, qy, pqx, pqy } = w;
    const px = w.x[w.npcs + s];
    const py = w.y[w.npcs + s];
    base = s * CAP;
    const f = b.frame;
    cnt.n = loadRows(b, s);
    stamp = b.stamp;
    ({ cy0, rows } = discRows(gr, w.radius, px, py, geo));
    pr0 = spanRow0[s];
    prn = prevStep[s] === t - 1 ? spanRows[s] : 0;
    sp = s * maxRows * 2;
    // 1. Hand-off from last step's synced cells.
    for (let j = 0; j < prn; j++) {
      const cy = pr0 + j;
      const a0 = spans[sp + 2 * j];
      const a1 = spans[sp + 2 * j + 1];
      if (a0 > a1) continue;
      const jj = cy - cy0;
      const m0 = jj >= 0 && jj < rows ? Math.max(a0, geo[4 * jj + 2]) : a1 + 1;
      const m1 = jj >= 0 && jj < rows ? Math.min(a1, geo[4 * jj + 3]) : a1;
      const row = cy * g;
      if (m0 <= m1) {
        for (let k = outStart[row + m0]; k < outStart[row + m1 + 1]; k++) if (!inIP(gr.cell[outItems[k]])) addRow(outItems[k]);
        for (let k = gr.prevStart[row + a0]; k < gr.prevStart[row + m0]; k++) if (!inIP(gr.cell[gr.prevItems[k]])) addRow(gr.prevItems[k]);
        for (let k = gr.prevStart[row + m1 + 1]; k < gr.prevStart[row + a1 + 1]; k++)
          if (!inIP(gr.cell[gr.prevItems[k]])) addRow(gr.prevItems[k]);
      } else {
        for (let k = gr.prevStart[row + a0]; k < gr.prevStart[row + a1 + 1]; k++)
          if (!inIP(gr.cell[gr.prevItems[k]])) addRow(gr.prevItems[k]);
      }
    }
    let pos = 4;
    f[0] = t;
    f[1] = t >>> 8;
    f[2] = t >>> 16;
    f[3] = t >>> 24;
    for (let jj = 0; jj < rows; jj++) {
      const cy = cy0 + jj;
      const o = 4 * jj;
      const i0 = geo[o + 2];
      const i1 = geo[o + 3];
      const j = cy - pr0;
      let m0 = i1 + 1;
      let m1 = i1;
      if (j >= 0 && j < prn) {
        m0 = Math.max(i0, spans[sp + 2 * j]);
        m1 = Math.min(i1, spans[sp + 2 * j + 1]);
      }
      if (m0 > m1) {
        pos = diffCells(b, w, gr, s, cnt, pos, cy, geo[o], geo[o + 1], i0, i1, px, py, true);
        continue;
      }
      // 2. The synced interior span: one block copy, then its in lists.
      const c0 = cy * g + m0;
      const c1 = cy * g + m1 + 1;
      const b0 = blockStart[c0];
      const b1 = blockStart[c1];
      if (b1 - b0 > 32) {
        arena.copyWithin(blockCap + pos, b0, b1);
        pos += b1 - b0;
      } else for (let k = b0; k < b1; k++) f[pos++] = arena[k];
      b.stats.block += gr.start[c1] - gr.start[c0] - (inStart[c1] - inStart[c0]);
      b.stats.transfer += inStart[c1] - inStart[c0];
      for (let k = inStart[c0]; k < inStart[c1]; k++) {
        const e = inItems[k];
        const ex = qx[e];
        const ey = qy[e];
        if (inP(gr.prevCell[e])) {
          if (ex !== pqx[e] || ey !== pqy[e]) pos = putUpdate(f, pos, e, ex, ey);
        } else if (b.mark[e] === stamp) {
          const r = b.rowOf[e];
          b.status[r] = 2;
          if (b.rowQx[base + r] !== ex || b.rowQy[base + r] !== ey) pos = putUpdate(f, pos, e, ex, ey);
        } else pos = putEnter(f, pos, e, ex, ey);
      }
      // 3. The rest of the row (boundary cells, newly interior cells).
      if (geo[o] < m0) pos = diffCells(b, w, gr, s, cnt, pos, cy, geo[o], m0 - 1, i0, i1, px, py, true);
      if (m1 < geo[o + 1]) pos = diffCells(b, w, gr, s, cnt, pos, cy, m1 + 1, geo[o + 1], i0, i1, px, py, true);
    }
    // 4. Leaves.
    pos = leaves(b, s, cnt.n, pos);
    for (let jj = 0; jj < rows; jj++) {
      spans[sp + 2 * jj] = geo[4 * jj + 2];
      spans[sp + 2 * jj + 1] = geo[4 * jj + 3];
    }
    spanRow0[s] = cy0;
    spanRows[s] = rows;
    prevStep[s] = t;
    b.stats.bytes += pos;
    b.keep(s, pos);
  };

  return encoderOf(b, (t: number) => {
    const c = process.cpuUsage();
    prep();
    const d = process.cpuUsage(c);
    b.stats.prepMs += (d.user + d.system) / 1000;
    for (let s = 0; s < sessions; s++) encode(s, t);
  });
};
