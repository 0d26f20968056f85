/**
 * NPC-centric nearest-player search for a full tiering pass (issue 12: sessions at scale).
 *
 * The player-centric scans ({@link scanNearestPlayers} in tier-assign.ts) cost players × NPCs
 * per disc of radius R (ambient radius + hysteresis): at 10k NPCs + 7,500 players on 2000 × 2000
 * that is ≈ 5.5M distance checks per pass. When every NPC has many players within R, an NPC needs
 * only its nearest one: a small grid of the players (rebuilt per pass, ≈ 2 players per cell) and
 * a ring search outward from the NPC's cell that stops once the ring's lower bound passes the best
 * distance found: ≈ 9 cells × 2 players per NPC. The pass picks the side by counts: NPC-centric
 * when the expected players per disc (λ = players × πR² / area) is at least
 * `npcSim.npcNearestMinLambda` (default {@link NPC_NEAREST_MIN_LAMBDA}); few players keep the
 * player-centric scans (an NPC far from every player would search up to R).
 *
 * Same result, bit for bit: the player-centric scans offer players in query order and keep a
 * player when its squared distance is strictly below the stored float32 value. Writing m for
 * the least squared distance within R and μ = fround(m), only players with fround(d²) ≤ μ
 * ("core") can decide the outcome: a core player always replaces a value stored by a non-core
 * one (d² ≤ μ + ulp/2 < that value), and once a core player was offered the stored value is ≤ μ,
 * below every non-core d². So the outcome is that of the core players alone, in query order: the
 * search collects them (every player with d² ≤ m (1 + 1e-6), a superset) and replays the
 * sequential rule over them by player rank. Distances are computed with the same expression.
 */
import { query } from 'bitecs';
import { clampCell } from './grid-build.js';
import type { TiersWorld } from './tiers-slot.js';
import type { NpcNearestScratch } from './npc-nearest-scratch.js';
import { spectatorFloor2 } from './spectator-floor.js';

export { NPC_NEAREST_MIN_LAMBDA } from './npc-nearest-scratch.js';

/** Target players per cell of the per-pass player grid. */
const PLAYERS_PER_CELL = 2;

/** Expected players within R of an NPC (players × πR² / grid area). */
export const playersPerDisc = (world: TiersWorld, players: number, R: number): number => {
  const g = world.spatial.npcGrid;
  const cs = 1 / g.inv;
  const area = g.cols * g.rows * cs * cs;
  return area > 0 ? (players * Math.PI * R * R) / area : 0;
};

/** Should this pass search from the NPCs? (See the module comment.) */
export const npcCentricWanted = (world: TiersWorld, players: number, R: number): boolean =>
  players > 0 && world.spatial.npcGrid.n > 0 && playersPerDisc(world, players, R) >= world.npcSim.npcNearestMinLambda;

const grow = (s: NpcNearestScratch, n: number): void => {
  if (s.rank.length >= n) return;
  const m = Math.max(16, n * 2);
  s.rank = new Int32Array(m);
  s.x = new Float64Array(m);
  s.y = new Float64Array(m);
  s.f2 = new Float64Array(m);
  s.cellOf = new Int32Array(m);
};

/**
 * Nearest player within R of every NPC-grid slot into `best2` / `slotNearest` (Infinity / -1
 * when none), exactly as the player-centric scans would leave them (see the module comment).
 */
export const scanNearestByNpc = (world: TiersWorld, R: number): void => {
  const s = world.npcSim;
  const sc = s.nearestScratch;
  const { Position, Player } = world.stores;
  const g = world.spatial.npcGrid;
  const players = query(world, [Position, Player]);
  const P = players.length;
  const best2 = s.best2,
    slotNearest = s.slotNearest;
  best2.fill(Infinity, 0, g.n);
  slotNearest.fill(-1, 0, g.n);
  if (P === 0) return;

  // Player grid over the NPC grid's extent, ≈ PLAYERS_PER_CELL players per cell.
  const gcs = 1 / g.inv;
  const minX = g.minX,
    minY = g.minY,
    W = g.cols * gcs,
    H = g.rows * gcs;
  const cs = Math.min(Math.max(Math.sqrt((PLAYERS_PER_CELL * W * H) / P), 1e-3), Math.max(W, H, 1e-3));
  const inv = 1 / cs;
  const cols = Math.max(1, Math.ceil(W * inv)),
    rows = Math.max(1, Math.ceil(H * inv));
  const nCells = cols * rows;
  if (sc.cellStart.length < nCells + 1) sc.cellStart = new Int32Array(nCells + 1);
  grow(sc, P);
  const start = sc.cellStart;
  start.fill(0, 0, nCells + 1);
  const px = Position.x,
    py = Position.y;
  for (let i = 0; i < P; i++) {
    const e = players[i];
    // A NaN position matches no NPC in the player-centric scans either: left out of the grid.
    if (Number.isNaN(px[e]) || Number.isNaN(py[e])) {
      sc.cellOf[i] = -1;
      continue;
    }
    const c = clampCell(Math.floor((py[e] - minY) * inv), rows) * cols + clampCell(Math.floor((px[e] - minX) * inv), cols);
    sc.cellOf[i] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < nCells; c++) start[c + 1] += start[c];
  // Scatter in rank order (each cell's players ascending by rank), then restore the starts.
  const kindOf = world.spatial.kindOf,
    sim = world.config.simulation;
  for (let i = 0; i < P; i++) {
    if (sc.cellOf[i] < 0) continue;
    const k = start[sc.cellOf[i]]++;
    const e = players[i];
    sc.rank[k] = i;
    sc.x[k] = px[e];
    sc.y[k] = py[e];
    sc.f2[k] = spectatorFloor2(sim, kindOf[e]);
  }
  for (let c = nCells; c > 0; c--) start[c] = start[c - 1];
  start[0] = 0;

  // Coarse counts (cells of side ≥ R, at most ~4096 of them): a player within R of an NPC lies in
  // the 3 × 3 coarse cells around the NPC's (clamping into edge cells only shrinks index gaps).
  const ccs = Math.max(R, W / 64, H / 64, 1e-3);
  const cinv = 1 / ccs;
  const ccols = Math.max(1, Math.ceil(W * cinv)),
    crows = Math.max(1, Math.ceil(H * cinv));
  if (sc.coarse.length < ccols * crows) sc.coarse = new Int32Array(ccols * crows);
  const coarse = sc.coarse;
  coarse.fill(0, 0, ccols * crows);
  for (let i = 0; i < P; i++) {
    const e = players[i];
    if (sc.cellOf[i] < 0) continue;
    coarse[clampCell(Math.floor((py[e] - minY) * cinv), crows) * ccols + clampCell(Math.floor((px[e] - minX) * cinv), ccols)]++;
  }

  const R2 = R * R;
  const kMax = Math.ceil(R * inv) + 1;
  const maxX = minX + cols * cs,
    maxY = minY + rows * cs;
  const { itemX, itemY } = g;
  const st: SearchState = { m: Infinity, mT: Infinity, nc: 0 };
  for (let j = 0; j < g.n; j++) {
    const qx = itemX[j],
      qy = itemY[j];
    const kx = clampCell(Math.floor((qx - minX) * cinv), ccols),
      ky = clampCell(Math.floor((qy - minY) * cinv), crows);
    let any = 0;
    for (let yy = ky > 0 ? ky - 1 : 0, y1c = ky + 1 < crows ? ky + 1 : crows - 1; yy <= y1c && any === 0; yy++)
      for (let xx = kx > 0 ? kx - 1 : 0, x1c = kx + 1 < ccols ? kx + 1 : ccols - 1; xx <= x1c; xx++) any += coarse[yy * ccols + xx];
    if (any === 0) continue; // no player within R: stays Infinity / -1
    const cx = clampCell(Math.floor((qx - minX) * inv), cols),
      cy = clampCell(Math.floor((qy - minY) * inv), rows);
    // Lower bound of the distance to any player in ring k ≥ 1: (k - 1) cells + the NPC's least
    // distance to its own cell's edges (players clamped in from outside are farther still). An
    // NPC outside the grid's extent gets no early stop (its clamped cell says nothing).
    const inside = qx >= minX && qx <= maxX && qy >= minY && qy <= maxY;
    const lx = qx - (minX + cx * cs),
      ly = qy - (minY + cy * cs);
    const edge = Math.max(0, Math.min(lx, cs - lx, ly, cs - ly));
    const slack = 1e-9 * (Math.abs(qx) + Math.abs(qy) + Math.abs(minX) + Math.abs(minY) + W + H);
    st.m = Infinity; // least d² within R so far
    st.mT = Infinity; // collection bound: m (1 + 1e-6), a superset of the deciding players
    st.nc = 0;
    // Rings 0 and 1 as one 3 × 3 block (three contiguous row ranges of the sorted players).
    const bx0 = cx > 0 ? cx - 1 : 0,
      bx1 = cx + 1 < cols ? cx + 1 : cols - 1;
    for (let ry = cy > 0 ? cy - 1 : 0, ry1 = cy + 1 < rows ? cy + 1 : rows - 1; ry <= ry1; ry++)
      offer(sc, st, start[ry * cols + bx0], start[ry * cols + bx1 + 1], qx, qy, R2);
    for (let k = 2; k <= kMax; k++) {
      if (inside) {
        const lb = (k - 1) * cs + edge - slack; // slack: rounding of the cell geometry
        const lb2 = lb > 0 ? lb * lb : 0;
        if (lb2 > R2 || lb2 > st.mT) break;
      }
      const y0 = cy - k,
        y1 = cy + k,
        x0 = cx - k,
        x1 = cx + k;
      if (y0 < 0 && y1 >= rows && x0 < 0 && x1 >= cols) break; // this ring and all further ones lie outside the grid
      const rx0 = x0 < 0 ? 0 : x0,
        rx1 = x1 >= cols ? cols - 1 : x1;
      if (y0 >= 0) offer(sc, st, start[y0 * cols + rx0], start[y0 * cols + rx1 + 1], qx, qy, R2);
      if (y1 < rows) offer(sc, st, start[y1 * cols + rx0], start[y1 * cols + rx1 + 1], qx, qy, R2);
      for (let ry = y0 + 1 < 0 ? 0 : y0 + 1, ry1 = y1 - 1 >= rows ? rows - 1 : y1 - 1; ry <= ry1; ry++) {
        if (x0 >= 0) offer(sc, st, start[ry * cols + x0], start[ry * cols + x0 + 1], qx, qy, R2);
        if (x1 < cols) offer(sc, st, start[ry * cols + x1], start[ry * cols + x1 + 1], qx, qy, R2);
      }
    }
    const nc = st.nc,
      m = st.m;
    if (nc === 0) continue;
    resolve(sc, nc, m, j, best2, slotNearest, players);
  }
};

/** One NPC's search so far: least d² within R, its collection bound, candidates collected. */
interface SearchState {
  m: number;
  mT: number;
  nc: number;
}

/** Offer the players at sorted positions [t0, t1) to the NPC at (qx, qy). */
const offer = (sc: NpcNearestScratch, st: SearchState, t0: number, t1: number, qx: number, qy: number, R2: number): void => {
  const plX = sc.x,
    plY = sc.y,
    plF = sc.f2;
  for (let t = t0; t < t1; t++) {
    const dx = qx - plX[t],
      ey = qy - plY[t];
    const r2 = dx * dx + ey * ey;
    // A spectator counts as at least its floor away (spectator-floor.ts), as in the player-centric
    // scans; the ring bounds below the real distance stay bounds of this one (it is never less).
    const d2 = r2 < plF[t] ? plF[t] : r2;
    if (r2 > R2 || d2 > st.mT) continue;
    if (d2 < st.m) {
      st.m = d2;
      st.mT = d2 * (1 + 1e-6) + 1e-40;
    }
    const nc = st.nc++;
    if (nc >= sc.candRank.length) {
      const r = new Int32Array(nc * 2),
        d = new Float64Array(nc * 2);
      r.set(sc.candRank);
      d.set(sc.candD2);
      sc.candRank = r;
      sc.candD2 = d;
    }
    sc.candRank[nc] = sc.rank[t];
    sc.candD2[nc] = d2;
  }
};

/** Replay the sequential rule over the core candidates of slot `j` (see the module comment). */
const resolve = (
  sc: NpcNearestScratch,
  nc: number,
  m: number,
  j: number,
  best2: Float32Array,
  slotNearest: Int32Array,
  players: ArrayLike<number>,
): void => {
  const mu = Math.fround(m);
  const cr = sc.candRank,
    cd = sc.candD2;
  // Keep the core candidates, then order them by rank (few: almost always one).
  let k = 0;
  for (let i = 0; i < nc; i++) {
    if (Math.fround(cd[i]) <= mu) {
      cr[k] = cr[i];
      cd[k++] = cd[i];
    }
  }
  for (let i = 1; i < k; i++) {
    const r = cr[i],
      d = cd[i];
    let t = i - 1;
    while (t >= 0 && cr[t] > r) {
      cr[t + 1] = cr[t];
      cd[t + 1] = cd[t];
      t--;
    }
    cr[t + 1] = r;
    cd[t + 1] = d;
  }
  let stored = Infinity,
    win = -1;
  for (let i = 0; i < k; i++) {
    if (cd[i] < stored) {
      stored = Math.fround(cd[i]);
      win = i;
    }
  }
  if (win < 0) return;
  best2[j] = cd[win];
  slotNearest[j] = players[cr[win]];
};
