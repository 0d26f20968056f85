/**
 * Tier assignment (a "tiering pass"): distance of every NPC to its nearest player, tier by
 * radius with hysteresis, per-tier caps (overflow demoted to the next tier, farthest first) and
 * the dormant cap (dormant NPCs beyond it are frozen, in a rotating window).
 *
 * Cost: players query the spatial grid for NPCs within ambient radius + hysteresis (work ∝
 * players × NPCs per interest disc, not ∝ players × NPCs); then one linear pass over all NPCs;
 * caps use a deterministic quickselect (O(n)). See docs/TIERS.md.
 */
import type { SimulationConfig } from '../config/scheduler-config.js';
import type { TiersWorld } from './tiers-slot.js';
import { clampCell } from './grid-build.js';
import type { Grid } from './spatial-index.js';
import { spectatorFloor2 } from './spectator-floor.js';
import { keepNearest, keepNearestInto, partialSelect } from './partial-select.js';
import { collectFloors, floorFirst, floorsChanged } from './tier-floors.js';
import { flushTicked, heapPush, rebuildDueHeap } from './due-heap.js';
import { growSelected, growTierList, growTmpKeys } from './tier-state.js';
import { refreshUpper } from './coarse-movement.js';
import { npcsOf, playersOf } from './tier-queries.js';
import { npcCentricWanted, scanNearestByNpc } from './npc-nearest.js';

const TIER_KEYS = ['detailed', 'active', 'ambient', 'dormant'] as const;

/**
 * World seconds between ticks of an NPC in tier `t`: the tier's `tickSeconds`, multiplied by the
 * controller's `tierFrequencyScale` (≥ 1) for every tier but detailed.
 */
export const tierPeriod = (sim: SimulationConfig, t: number, frequencyScale: number): number =>
  sim.tiers[TIER_KEYS[t]].tickSeconds * (t === 0 ? 1 : Math.max(1, frequencyScale));

/**
 * Tier for an NPC at distance `d` (world units) from its nearest player that is currently in
 * tier `cur`, with radii r0 < r1 < r2 (detailed, active, ambient) and hysteresis `h`: its
 * natural tier, unless `d` is still inside the current tier's band widened by `h` on both sides.
 */
export const tierForDistance = (d: number, cur: number, r0: number, r1: number, r2: number, h: number): number => {
  const nat = d <= r0 ? 0 : d <= r1 ? 1 : d <= r2 ? 2 : 3;
  if (nat === cur) return nat;
  const lo = cur === 0 ? -Infinity : cur === 1 ? r0 : cur === 2 ? r1 : r2;
  const hi = cur === 0 ? r0 : cur === 1 ? r1 : cur === 2 ? r2 : Infinity;
  return d > lo - h && d <= hi + h ? cur : nat;
};

/** {@link tieringDue} answers: no pass; a pass split over this step and the next; a pass now. */
export const TieringNeed = { none: 0, scheduled: 1, urgent: 2 } as const;

/**
 * Does the world need a tiering pass? `urgent` (NPC grid rebuild and pass this step) on the
 * first step, after a config change, when the number of NPCs changed, when pins or tier zones
 * changed (or a pin expired), or when `tieringIntervalSteps` is 1. `scheduled` (rebuild the NPC grid this step, run the pass next
 * step: the two costs land in different frames) one step before the interval is up, when the
 * number of players changed, or when any player moved more than half the hysteresis margin
 * since the last pass.
 */
export const tieringDue = (world: TiersWorld): number => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { Position } = world.stores;
  if (s.lastPassStep < 0 || s.lastConfigVersion !== world.configVersion || sim.tieringIntervalSteps === 1) return TieringNeed.urgent;
  if (npcsOf(world).length !== s.lastNpcCount) return TieringNeed.urgent;
  if (floorsChanged(world)) return TieringNeed.urgent;
  if (world.clock.step - s.lastPassStep >= sim.tieringIntervalSteps - 1) return TieringNeed.scheduled;
  const players = playersOf(world);
  if (players.length !== s.lastPlayerCount) return TieringNeed.scheduled;
  const lim = Math.max(sim.tierHysteresis * 0.5, 1e-6);
  const lim2 = lim * lim;
  for (let i = 0; i < players.length; i++) {
    const e = players[i];
    const dx = Position.x[e] - s.playerX[i],
      dy = Position.y[e] - s.playerY[i];
    if (dx * dx + dy * dy > lim2) return TieringNeed.scheduled;
  }
  return TieringNeed.none;
};

/**
 * Offer player `p` at (x, y) as the nearest player to every NPC-grid slot within R, at a squared
 * distance of at least `f2` (spectator-floor.ts): rows of the disc only (each row's column range narrowed to the chord), strictly nearer wins (players are
 * offered in a fixed order, so ties are deterministic).
 */
const scanDisc = (g: Grid, x: number, y: number, R: number, p: number, f2: number, best2: Float32Array, slotNearest: Int32Array): void => {
  const { cols, rows, minX, minY, inv, cellStart, itemX, itemY } = g;
  const R2 = R * R;
  const cs = 1 / inv;
  let cy0 = Math.floor((y - R - minY) * inv),
    cy1 = Math.floor((y + R - minY) * inv);
  cy0 = clampCell(cy0, rows);
  cy1 = clampCell(cy1, rows);
  for (let cy = cy0; cy <= cy1; cy++) {
    // Nearest y of this row to the centre bounds the chord's half-width.
    const rowLo = minY + cy * cs,
      rowHi = rowLo + cs;
    const dy = y < rowLo ? rowLo - y : y > rowHi ? y - rowHi : 0;
    const half = Math.sqrt(Math.max(0, R2 - dy * dy));
    let cx0 = Math.floor((x - half - minX) * inv),
      cx1 = Math.floor((x + half - minX) * inv);
    cx0 = clampCell(cx0, cols);
    cx1 = clampCell(cx1, cols);
    // Entities clamped into edge cells from outside the bounds are farther than the row/column
    // band suggests, so the chord still covers them.
    for (let j = cellStart[cy * cols + cx0], end = cellStart[cy * cols + cx1 + 1]; j < end; j++) {
      const dx = itemX[j] - x,
        ey = itemY[j] - y;
      const d2 = dx * dx + ey * ey;
      const e2 = d2 < f2 ? f2 : d2; // a spectator counts as at least √f2 away
      if (d2 <= R2 && e2 < best2[j]) {
        best2[j] = e2;
        slotNearest[j] = p;
      }
    }
  }
};

/**
 * Tiering pass, part 1: the nearest player (within ambient radius + hysteresis) of every slot of
 * the NPC grid, by player-centric scans (work ∝ players × NPCs per disc); results stay in
 * `world.npcSim` scratch for {@link assignTiers}. Returns its wall cost in ms (operational stat).
 */
export const scanNearestPlayers = (world: TiersWorld): number => {
  const t0 = performance.now(); // operational stat (lastTieringMs), not gameplay
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { Position } = world.stores;
  const px = Position.x,
    py = Position.y;
  const g = world.spatial.npcGrid;
  const R = Math.max(sim.tiers.detailed.radius, sim.tiers.active.radius, sim.tiers.ambient.radius) + sim.tierHysteresis;
  const best2 = s.best2,
    slotNearest = s.slotNearest;
  best2.fill(Infinity, 0, g.n);
  slotNearest.fill(-1, 0, g.n);
  const players = playersOf(world);
  // Many players per NPC disc: each NPC searches its nearest player instead (same result).
  if (npcCentricWanted(world, players.length, R)) {
    scanNearestByNpc(world, R);
    return performance.now() - t0;
  }
  const kindOf = world.spatial.kindOf;
  for (let i = 0; i < players.length; i++) {
    const p = players[i];
    scanDisc(g, px[p], py[p], R, p, spectatorFloor2(sim, kindOf[p]), best2, slotNearest);
  }
  return performance.now() - t0;
};

/** Run a whole tiering pass now: {@link scanNearestPlayers} then {@link assignTiers}. */
export const runTieringPass = (world: TiersWorld): void => {
  assignTiers(world, scanNearestPlayers(world));
};

/**
 * Tiering pass, part 2 (after {@link scanNearestPlayers} on the same NPC grid): tentative tiers
 * with hysteresis, caps (farthest demoted first), the dormant cap's rotating window, commit,
 * stats. `scanMs` is added to `tierStats.lastTieringMs`.
 */
export const assignTiers = (world: TiersWorld, scanMs = 0): void => {
  const t0 = performance.now(); // operational stat (lastTieringMs), not gameplay
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { Tier } = world.stores;
  const { tier, nearest, dist } = Tier;
  const spatial = world.spatial;
  const g = spatial.npcGrid;
  const items = g.items;
  const r0 = sim.tiers.detailed.radius,
    r1 = Math.max(r0, sim.tiers.active.radius),
    r2 = Math.max(r1, sim.tiers.ambient.radius);
  const h = sim.tierHysteresis;
  const best2 = s.best2,
    slotNearest = s.slotNearest;
  const nSlots = g.n;
  flushTicked(s, Tier); // last step's ticked NPCs back into the due heaps (keepNearest reuses `selected`)

  // 1. Floors from pins and tier zones (nothing to do in a world without them).
  collectFloors(world);
  const floorTier = s.floorTier;

  // 2. Tentative tier by distance with hysteresis, tightened by the NPC's floor, into per-tier
  // lists (grid-slot order).
  const lists = s.tierList,
    keys = s.listKey,
    cnt = s.tierCount;
  cnt.fill(0);
  let finite = 0;
  for (let j = 0; j < nSlots; j++) {
    const e = items[j];
    const d = Math.sqrt(best2[j]);
    nearest[e] = slotNearest[j];
    dist[e] = d;
    let t = tierForDistance(d, tier[e], r0, r1, r2, h);
    const f = floorTier[e]; // NO_PIN (255) when unfloored
    if (f < t) t = f;
    const k = cnt[t]++;
    if (k >= lists[t].length) growTierList(s, t, k + 1);
    lists[t][k] = e;
    if (t < 3) keys[t][k] = d; // dormant needs no key list (its cap keys on Tier.dist)
    if (d < Infinity) finite++;
  }
  s.nearSize = finite;

  s.nearScratchClean = false; // best2 / slotNearest hold slot data now (src/tiers/tier-near.ts)
  s.nearBuilt = false;
  finishPass(world, t0, scanMs, nSlots, false);
};

/**
 * Step 3 of {@link finishPass}: the caps of tiers 0..2 over the tier lists (keep the nearest
 * maxNpcs, demote the rest one tier down). Only the lists change (no tiers): a sliced near pass
 * runs it one step before the commit (src/tiers/near-slices.ts), with the same result.
 * Uses `selected` as scratch: the caller flushed the last step's selection ({@link flushTicked}).
 * Tiers `from` ≤ t < `to` only (a sliced pass may cap tiers 0–1 and tier 2 in two steps: each
 * tier's cap reads its own list, which the caps of the tiers above it have completed).
 */
export const capUpperTiers = (world: TiersWorld, from = 0, to = 3): void => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const dist = world.stores.Tier.dist;
  const R = Math.max(sim.tiers.detailed.radius, sim.tiers.active.radius, sim.tiers.ambient.radius) + sim.tierHysteresis;
  const floorTier = s.floorTier;
  const anyFloor = s.floorCount > 0;
  const lists = s.tierList,
    keys = s.listKey,
    cnt = s.tierCount;
  // Keep the nearest maxNpcs of tiers 0..2, demote the rest (farthest) one tier down.
  // Floored NPCs (pins, zones) are kept first, nearest first among themselves.
  for (let t = from; t < to; t++) {
    const cap = sim.tiers[TIER_KEYS[t]].maxNpcs;
    const n = cnt[t];
    if (n <= cap) continue;
    growTierList(s, t + 1, cnt[t + 1] + n - cap);
    const list = lists[t],
      key = keys[t];
    const tmpKeys = growTmpKeys(s, n);
    growSelected(s, n); // keepNearest's id scratch (last step's selection was flushed above)
    const nf = anyFloor ? floorFirst(list, key, n, floorTier, R) : 0;
    const next = lists[t + 1],
      nextKey = keys[t + 1] ?? key;
    if (nf === 0) {
      // No floors: the demoted go straight into the next tier's list (same sets, no extra copies).
      cnt[t + 1] = keepNearestInto(list, key, n, cap, R, dist, s.hist, s.selected, next, t < 2 ? nextKey : null, cnt[t + 1]);
      cnt[t] = cap;
      continue;
    }
    if (nf >= cap) keepNearest(list, key, nf, cap, R, dist, s.hist, s.selected, tmpKeys);
    else keepNearest(list.subarray(nf), key.subarray(nf), n - nf, cap - nf, R, dist, s.hist, s.selected, tmpKeys);
    for (let j = cap; j < n; j++) {
      const k = cnt[t + 1]++;
      next[k] = list[j];
      if (t < 2) nextKey[k] = key[j];
    }
    cnt[t] = cap;
  }
};

/**
 * Steps 3–6 of a tiering pass, on `world.npcSim.tierList` / `listKey` / `tierCount` as filled by
 * step 2: caps (farthest demoted first), the dormant cap (only when `partialDormant` is false:
 * the incremental pass lists only the dormant NPCs it looked at, and runs only when the dormant
 * cap cannot bind), commit (with due-heap entries for every changed NPC), stats.
 */
export const finishPass = (
  world: TiersWorld,
  t0: number,
  scanMs: number,
  nSlots: number,
  partialDormant: boolean,
  capsDone = false,
): void => {
  const s = world.npcSim;
  const sim = world.config.simulation;
  const { Position, Tier } = world.stores;
  const px = Position.x,
    py = Position.y;
  const { tier, nextTickAt, lastTickedAt, dist, frozen } = Tier;
  const best2 = s.best2;
  const players = playersOf(world);
  const lists = s.tierList,
    cnt = s.tierCount;
  // The NPC set changed (or the heaps were never built, e.g. after a restore): rebuild them.
  const rebuild = nSlots !== s.lastNpcCount || !s.heapsBuilt;

  // 3. Caps (unless the caller ran them in an earlier step: {@link capUpperTiers}).
  if (!capsDone) capUpperTiers(world);

  // 4. Dormant cap: keep NPCs with a known distance first (demoted from ambient, nearest
  // first), then a rotating window of the others by entity id; the rest are frozen.
  const dcap = sim.tiers.dormant.maxNpcs;
  const dl = lists[3];
  let dn = cnt[3];
  let frozenCount = 0;
  let changes = 0;
  const frozenStart = dcap; // frozen ids end up in dl[dcap .. dn)
  if (!partialDormant && dn > dcap) {
    let finite = 0; // move finite-distance NPCs to the front
    for (let j = 0; j < dn; j++) {
      const e = dl[j];
      if (dist[e] < Infinity) {
        dl[j] = dl[finite];
        dl[finite++] = e;
      }
    }
    if (finite >= dcap) partialSelect(dl, 0, finite, dcap, dist);
    else {
      const M = world.capacity + 1;
      const period = tierPeriod(sim, 3, world.ctx.budgets.tierFrequencyScale);
      const pi = period > 0 ? Math.floor(world.clock.now / period) : world.clock.step;
      if (pi !== s.rotationPeriod) {
        if (s.rotationPeriod >= 0) s.rotationCursor = s.rotationNext;
        s.rotationPeriod = pi;
      }
      const cur = s.rotationCursor;
      for (let j = finite; j < dn; j++) {
        const e = dl[j];
        best2[e] = (e - cur + M) % M;
      }
      const k = dcap - finite;
      partialSelect(dl, finite, dn, k, best2);
      let maxKey = -1,
        maxE = cur;
      for (let j = finite; j < finite + k; j++) {
        const e = dl[j];
        if (best2[e] > maxKey) {
          maxKey = best2[e];
          maxE = e;
        }
      }
      s.rotationNext = k > 0 ? (maxE + 1) % M : cur;
    }
    frozenCount = dn - dcap;
    for (let j = frozenStart; j < dn; j++) {
      const e = dl[j];
      if (!frozen[e] || tier[e] !== 3) changes++;
      tier[e] = 3;
      frozen[e] = 1;
    }
    dn = dcap;
    cnt[3] = dcap;
  }

  // 5. Commit tiers; a promoted NPC becomes due no later than one period of its new tier
  // after its last tick (catch-up covers the gap). Every changed NPC gets an entry in its new
  // tier's due heap (its old entries die: tier no longer matches); a heap with many dead
  // entries, or every heap when the NPC set changed, is rebuilt from the tier's members.
  const scale = world.ctx.budgets.tierFrequencyScale;
  for (let t = 0; t < 4; t++) {
    const list = lists[t];
    const period = tierPeriod(sim, t, scale);
    const n = cnt[t];
    const heap = s.dueHeap[t];
    const compact = (rebuild || heap.size > n + (n >> 2) + 1024) && !(partialDormant && t === 3);
    for (let j = 0; j < n; j++) {
      const e = list[j];
      if (tier[e] !== t || frozen[e]) {
        changes++;
        tier[e] = t;
        frozen[e] = 0;
        const due = lastTickedAt[e] + period;
        if (due < nextTickAt[e]) nextTickAt[e] = due;
        if (!compact) heapPush(heap, e, nextTickAt[e]);
      }
    }
    if (compact) rebuildDueHeap(heap, list, n, nextTickAt, frozen);
  }

  // 6. The upper tiers' members, for coarse movement: a full pass now, a sliced near pass in its
  // next slice (so the commit step does not pay for the sort).
  if (!partialDormant) refreshUpper(world);

  // 7. Remember what this pass saw; publish stats.
  if (s.playerX.length < players.length) {
    s.playerX = new Float64Array(Math.max(16, players.length * 2));
    s.playerY = new Float64Array(Math.max(16, players.length * 2));
  }
  for (let i = 0; i < players.length; i++) {
    s.playerX[i] = px[players[i]];
    s.playerY[i] = py[players[i]];
  }
  s.lastPassStep = world.clock.step;
  s.lastNpcCount = nSlots;
  s.lastPlayerCount = players.length;
  s.lastConfigVersion = world.configVersion;
  const st = world.tierStats;
  for (let t = 0; t < 4; t++) st.npcsPerTier[t] = cnt[t];
  if (partialDormant) st.npcsPerTier[3] = nSlots - cnt[0] - cnt[1] - cnt[2];
  if (rebuild && !partialDormant) s.heapsBuilt = true;
  st.frozen = frozenCount;
  st.tieringPasses++;
  st.lastTierChanges = changes;
  st.lastTieringMs = scanMs + performance.now() - t0;
};
