/**
 * Incremental ("near") tiering pass: re-tier only the NPCs near players, so a pass costs
 * ∝ players × NPCs per interest disc + NPCs in the detailed/active/ambient tiers, not ∝ the
 * population.
 *
 * An NPC that was plain far dormant at the last pass (tier dormant, no player within
 * R = ambient radius + hysteresis, no floor) stays so unless a player comes within R, and the
 * player scans find exactly those. So a near pass looks at: the NPCs the last pass left near
 * (tier above dormant, or a player within R), the NPCs the scans find, and the floored ones
 * (pins, zones). The scans read the NPC grid as of its last rebuild (no rebuild here) with
 * R + the index's movement margin and check current positions exactly, like `queryRadius`.
 * Caps, commit and due-heap entries are those of a full pass ({@link finishPass}).
 *
 * When it runs instead of a full pass ({@link nearPassAllowed}): the world has at least
 * `npcSim.nearMinNpcs` NPCs (default {@link NEAR_MIN_NPCS}: below it a full pass is cheap), at
 * most `npcSim.nearMaxShare` (default {@link NEAR_MAX_SHARE}: all) of them with a player within R at the last pass, no
 * tier zones (zones match NPCs on grid positions, so they keep full passes), the NPC set is the
 * one of the last full pass, the dormant cap cannot bind (NPCs ≤ dormant.maxNpcs, nothing
 * frozen), and the grid's movement margin is at most half a cell. The tiering phase keeps the
 * margin down by rebuilding the NPC grid in slices (src/tiers/grid-build.ts), or whole in one step
 * when only the margin is in the way. Otherwise a full pass (grid rebuild + scans + all NPCs)
 * runs and the next near pass starts from it. The tiering phase runs near passes in slices
 * over several steps (src/tiers/near-slices.ts).
 */
import { entityExists, hasComponent, query } from 'bitecs';
import { clampCell } from './grid-build.js';
import type { Grid } from './spatial-index.js';
import type { TiersWorld } from './tiers-slot.js';
import { flushTicked } from './due-heap.js';
import { rebuildDueHeaps } from './select.js';
import { collectFloors } from './tier-floors.js';
import { capUpperTiers, finishPass, tierForDistance } from './tier-assign.js';
import { spectatorFloor2 } from './spectator-floor.js';
import { refreshUpper } from './coarse-movement.js';
import { growInt32, growTierList } from './tier-state.js';

/** Default `npcSim.nearMinNpcs`: fewest NPCs for near passes. */
export const NEAR_MIN_NPCS = 20_000;

/**
 * Largest share of the NPCs that may have a player within R (`Tier.dist` finite) for a near
 * pass. A full pass over a world the players' discs cover costs less per pass (sequential), but
 * it runs every `tieringIntervalSteps` steps in two heavy steps, where a sliced near pass spreads
 * over ≈ 17 light ones: at 100k NPCs + 1k players covering them all (60 Hz), the tiering phase
 * costs about half (mean and p99) with near passes, so the default no longer falls back (1).
 * Lower it to prefer full passes (fresher tiers at a higher per-step cost).
 */
export const NEAR_MAX_SHARE = 1;

/** NPCs with a finite `Tier.dist` (a player within R at the last pass), from the store. */
const countFinite = (world: TiersWorld): number => {
  const npcs = query(world, [world.stores.Position, world.stores.Npc]);
  const dist = world.stores.Tier.dist;
  let k = 0;
  for (let i = 0; i < npcs.length; i++) if (dist[npcs[i]] < Infinity) k++;
  return k;
};

/** Largest NPC-grid movement margin, in cells, a near pass accepts (beyond it: a full pass). */
export const NEAR_MAX_MARGIN_CELLS = 0.5;

/** NPC-grid margin, in cells, at which the tiering phase starts a sliced grid rebuild (src/tiers/grid-build.ts). */
export const NEAR_BUILD_MARGIN_CELLS = 0.2;

/**
 * May the next scheduled pass be a near pass? (See the module comment.) With `ignoreMargin`,
 * everything but the grid's movement margin is checked: the tiering phase then rebuilds the NPC
 * grid alone (the near set and the clean scratch stay valid: they are per entity, or uniform)
 * instead of running a full pass.
 */
export const nearPassAllowed = (world: TiersWorld, ignoreMargin = false): boolean => {
  const s = world.npcSim;
  const sp = world.spatial;
  const n = sp.npcGrid.n;
  if (n < s.nearMinNpcs || s.zones.byId.size > 0) return false;
  if (s.nearSize < 0) s.nearSize = countFinite(world);
  return (
    s.nearSize <= n * s.nearMaxShare &&
    s.lastPassStep >= 0 &&
    !s.passPending &&
    n === s.lastNpcCount &&
    n <= world.config.simulation.tiers.dormant.maxNpcs &&
    world.tierStats.frozen === 0 &&
    (ignoreMargin || sp.margin() <= sp.cellSize * NEAR_MAX_MARGIN_CELLS)
  );
};

/** The near set from the stores (NPCs above dormant or with a player within R at the last pass). */
const deriveNear = (world: TiersWorld): void => {
  const s = world.npcSim;
  const { tier, dist } = world.stores.Tier;
  const npcs = query(world, [world.stores.Position, world.stores.Npc]);
  let k = 0;
  for (let i = 0; i < npcs.length; i++) {
    const e = npcs[i];
    if (tier[e] < 3 || dist[e] < Infinity) {
      s.near = growInt32(s.near, k + 1);
      s.near[k++] = e;
    }
  }
  s.nearCount = k;
  s.nearBuilt = true;
};

/**
 * Offer player `p` at (x, y) as nearest to every NPC in the (stale) grid whose current position
 * is within R; slots are pre-filtered on their grid position with R + margin. Slot-
 * indexed scratch (sequential): `best2[j]` squared distance, `slotNearest[j]` player (-1
 * untouched); newly touched slots are appended to `s.touched`. `M`: the grid's movement margin. Returns the new touched count.
 */
const scanDiscNear = (world: TiersWorld, g: Grid, x: number, y: number, R: number, M: number, p: number, f2: number, c: number): number => {
  const s = world.npcSim;
  const Rm = R + M;
  // Lower bound of a slot's current distance: its grid distance − the movement margin (− slack
  // for the rounding of the two distances, far below float32 positions' ulp).
  const Mlb = M + 1e-6 * (1 + R + M);
  const { cols, rows, minX, minY, inv, cellStart, items, itemX, itemY } = g;
  const px = world.stores.Position.x,
    py = world.stores.Position.y;
  const best2 = s.best2,
    near = s.slotNearest;
  const R2 = R * R,
    Rm2 = Rm * Rm;
  const cs = 1 / inv;
  let cy0 = Math.floor((y - Rm - minY) * inv),
    cy1 = Math.floor((y + Rm - minY) * inv);
  cy0 = clampCell(cy0, rows);
  cy1 = clampCell(cy1, rows);
  for (let cy = cy0; cy <= cy1; cy++) {
    const rowLo = minY + cy * cs,
      rowHi = rowLo + cs;
    const dy = y < rowLo ? rowLo - y : y > rowHi ? y - rowHi : 0;
    const half = Math.sqrt(Math.max(0, Rm2 - dy * dy));
    let cx0 = Math.floor((x - half - minX) * inv),
      cx1 = Math.floor((x + half - minX) * inv);
    cx0 = clampCell(cx0, cols);
    cx1 = clampCell(cx1, cols);
    for (let j = cellStart[cy * cols + cx0], end = cellStart[cy * cols + cx1 + 1]; j < end; j++) {
      const gx = itemX[j] - x,
        gy = itemY[j] - y;
      const g2 = gx * gx + gy * gy;
      if (g2 > Rm2) continue;
      // A slot already offered a nearer player keeps it unless this one can be strictly nearer:
      // the current distance is at least √g2 − margin, so when that bound's square reaches the
      // stored value the exact check below would fail — skip it and the position reads (cache
      // misses by entity id). Same result, fewer reads: an NPC is offered ≈ 7 players per pass at
      // 100k NPCs + 1k players, most of them farther than the best so far.
      const b = best2[j];
      if (b < Infinity) {
        const lb = Math.sqrt(g2) - Mlb;
        if (lb > 0 && lb * lb >= b) continue;
      }
      const e = items[j];
      const dx = px[e] - x,
        ey = py[e] - y;
      const d2 = dx * dx + ey * ey;
      const e2 = d2 < f2 ? f2 : d2; // a spectator counts as at least √f2 away (tier-assign.ts spectatorFloor2)
      if (d2 <= R2 && e2 < b) {
        if (near[j] === -1) {
          if (c >= s.touched.length) s.touched = growInt32(s.touched, c + 1);
          s.touched[c++] = j;
        }
        best2[j] = e2;
        near[j] = p;
      }
    }
  }
  return c;
};

/**
 * Near pass, part 1 (step A): the player scans into the slot-indexed scratch (`best2`,
 * `slotNearest`, untouched slots stay Infinity / -1, so a full {@link assignTiers}-style part 2
 * on it would give the same tiers). Returns its wall cost in ms (operational stat).
 */
export const scanNear = (world: TiersWorld): number => {
  const t0 = performance.now(); // operational stat, not gameplay
  beginScan(world);
  const players = query(world, [world.stores.Position, world.stores.Player]);
  scanPlayers(world, players, 0, players.length);
  return performance.now() - t0;
};

/** Part 1a: clean the scratch (after a full pass, or a scan whose part 2 never ran). */
export const beginScan = (world: TiersWorld): void => {
  const s = world.npcSim;
  if (!s.nearScratchClean) {
    s.best2.fill(Infinity);
    s.slotNearest.fill(-1);
    s.nearMark.fill(0);
    s.nearScratchClean = true;
  }
  for (let i = 0; i < s.touchedCount; i++) {
    const j = s.touched[i];
    s.best2[j] = Infinity;
    s.slotNearest[j] = -1;
  }
  s.touchedCount = 0;
};

/**
 * Part 1b: scan the discs of `players[from, to)` (clamped to its length; ids that are no longer
 * players are skipped). Scans split over steps see each player where it is at its own scan
 * (within the hysteresis).
 */
export const scanPlayers = (world: TiersWorld, players: ArrayLike<number>, from: number, to: number): void => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { Position, Player } = world.stores;
  const R = Math.max(sim.tiers.detailed.radius, sim.tiers.active.radius, sim.tiers.ambient.radius) + sim.tierHysteresis;
  const g = world.spatial.npcGrid;
  const M = world.spatial.margin();
  const end = Math.min(to, players.length);
  const kindOf = world.spatial.kindOf;
  let nt = s.touchedCount;
  for (let i = from; i < end; i++) {
    const p = players[i];
    // A player that left since the list was taken (sliced passes scan a snapshot) offers nothing.
    if (!entityExists(world, p) || !hasComponent(world, p, Player)) continue;
    nt = scanDiscNear(world, g, Position.x[p], Position.y[p], R, M, p, spectatorFloor2(sim, kindOf[p]), nt);
  }
  s.touchedCount = nt;
};

/** Run a whole near pass now (the caller checked {@link nearPassAllowed}). */
export const runNearPass = (world: TiersWorld): void => {
  finishNear(world, scanNear(world));
};

/**
 * Near pass, part 2 (step B, after {@link scanNear}): floors, tentative tiers of the candidates
 * (touched slots, the last pass's near set, floored NPCs), then caps, commit and stats. In one
 * step; the tiering system runs the same parts spread over several steps (src/tiers/near-slices.ts).
 */
export const finishNear = (world: TiersWorld, scanMs = 0): void => {
  const t0 = performance.now() - scanMs; // operational stat (lastTieringMs), not gameplay
  const total = beginPlace(world);
  placeRange(world, 0, total);
  commitNear(world, t0);
  refreshUpper(world);
  nextNearRange(world, 0, world.npcSim.candCount);
  endNear(world);
};

/**
 * Part 2a: floors, clear the tier lists, size the candidate list. Returns the number of
 * candidate positions {@link placeRange} walks: touched slots, then the last near set, then the
 * floored NPCs.
 */
export const beginPlace = (world: TiersWorld): number => {
  const s = world.npcSim;
  if (!s.nearBuilt) deriveNear(world);
  collectFloors(world);
  s.tierCount.fill(0);
  const total = s.touchedCount + s.nearCount + s.floorCount;
  s.cand = growInt32(s.cand, total);
  s.candCount = 0;
  s.nearFinite = 0;
  return total;
};

/** Part 2b: tentative tiers of candidate positions [from, to) (see {@link beginPlace}). */
export const placeRange = (world: TiersWorld, from: number, to: number): void => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { tier, nearest, dist } = world.stores.Tier;
  const best2 = s.best2,
    near = s.slotNearest;
  const r0 = sim.tiers.detailed.radius,
    r1 = Math.max(r0, sim.tiers.active.radius),
    r2 = Math.max(r1, sim.tiers.ambient.radius);
  const h = sim.tierHysteresis;
  const items = world.spatial.npcGrid.items;
  const nt = s.touchedCount,
    nn = s.nearCount;
  const floorTier = s.floorTier,
    mark = s.nearMark;
  const lists = s.tierList,
    keys = s.listKey,
    cnt = s.tierCount;
  const cand = s.cand,
    touched = s.touched;
  let c = s.candCount;
  for (let i = from; i < to; i++) {
    let e: number, d: number, p: number;
    if (i < nt) {
      const j = touched[i];
      e = items[j];
      d = Math.sqrt(best2[j]);
      p = near[j];
      best2[j] = Infinity;
      near[j] = -1;
    } else {
      e = i < nt + nn ? s.near[i - nt] : s.floored[i - nt - nn];
      if (mark[e] !== 0) continue;
      d = Infinity;
      p = -1;
    }
    mark[e] = 1;
    cand[c++] = e;
    nearest[e] = p;
    dist[e] = d;
    let t = tierForDistance(d, tier[e], r0, r1, r2, h);
    const f = floorTier[e];
    if (f < t) t = f;
    const k = cnt[t]++;
    if (k >= lists[t].length) growTierList(s, t, k + 1);
    lists[t][k] = e;
    if (t < 3) keys[t][k] = d; // dormant needs no key list (its cap keys on Tier.dist)
  }
  s.candCount = c;
};

/**
 * Part 2c: caps (unless `capsDone`: {@link capsNear} ran them in an earlier step), commit (due-heap
 * entries), stats. `t0`: wall ms the pass started (stat).
 */
export const commitNear = (world: TiersWorld, t0: number, capsDone = false): void => {
  const s = world.npcSim;
  if (!s.heapsBuilt) rebuildDueHeaps(world);
  flushTicked(s, world.stores.Tier);
  finishPass(world, t0, 0, world.spatial.npcGrid.n, true, capsDone);
};

/**
 * Part 2c, first half for sliced passes: the caps of tiers `from` ≤ t < `to` (default 0..2) over the
 * tier lists (no tier changes), so the commit step does not also pay for them; {@link commitNear}
 * with `capsDone` follows once tiers 0..2 are capped.
 */
export const capsNear = (world: TiersWorld, from = 0, to = 3): void => {
  flushTicked(world.npcSim, world.stores.Tier); // keepNearest reuses `selected`
  capUpperTiers(world, from, to);
};

/** Part 2d: candidates [from, to) that are not plain far dormant now form the next near set. */
export const nextNearRange = (world: TiersWorld, from: number, to: number): void => {
  const s = world.npcSim;
  const { tier, dist } = world.stores.Tier;
  const mark = s.nearMark,
    cand = s.cand;
  let k = from === 0 ? 0 : s.nearNext,
    finite = s.nearFinite;
  for (let i = from; i < to; i++) {
    const e = cand[i];
    mark[e] = 0;
    if (dist[e] < Infinity) finite++;
    if (tier[e] < 3 || dist[e] < Infinity) {
      // The next near set is built over the last one (its old entries were read in placeRange).
      if (k >= s.near.length) s.near = growInt32(s.near, k + 1);
      s.near[k++] = e;
    }
  }
  s.nearNext = k;
  s.nearFinite = finite;
};

/** Part 2e: publish the next near set. */
export const endNear = (world: TiersWorld): void => {
  const s = world.npcSim;
  s.nearCount = s.nearNext;
  s.nearSize = s.nearFinite;
  s.touchedCount = 0;
  s.candCount = 0;
};
