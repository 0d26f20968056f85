/**
 * Coarse movement of dormant NPCs (physics phase, worlds with the tiers slot and at least
 * `npcSim.coarseMoveMinNpcs` NPCs): a dormant NPC is not integrated every step. Every step
 * integrates, by the simulation seconds elapsed since each one last moved:
 *
 *   - every positioned, moving entity that is not an NPC (players, props), every step;
 *   - the NPCs of the detailed, active and ambient tiers (`npcSim.upper`, copied at each tiering
 *     commit), every step (a newly promoted NPC catches up its dormant lag here);
 *   - a rotating slice of the NPC query: 1/`dormantMoveSteps` of the NPCs per step, so each
 *     dormant NPC moves about once every `dormantMoveSteps` steps, by that many steps' worth.
 *
 *   npcs (query order): [ .......... | slice this step | .......... ]
 *                                     ^ moveCursor ──► + ceil(n / K), wraps to 0
 *
 * `npcSim.movedStep[e]` is the step stamp ((clock step + 1) mod 2^16) through which `e` has
 * been integrated. The lag integrated at once is clamped to {@link maxMoveLagSteps} steps (a fresh
 * or long-skipped NPC does not jump across the map), so the stored position of an NPC moves at
 * most speed × (steps since the grid rebuild + that clamp) × step seconds from where the NPC grid
 * saw it: the spatial index's margin starts at that clamp (src/tiers/spatial-index.ts), so
 * `queryRadius` and the tiering scans stay exact on stored positions. Dormant NPCs' positions
 * are therefore up to `dormantMoveSteps` steps old (the design's coarse catch-up); the path
 * between two moves is a straight line at the NPC's current velocity, reflected at the world
 * edges like `movementSystem`. Deterministic: the slice order is the query order.
 *
 * Defaults: `DORMANT_MOVE_STEPS` and `COARSE_MOVE_MIN_NPCS` in src/tiers/tier-state.ts.
 */
import { npcMoversOf, otherMoversOf } from './tier-queries.js';
import type { StepContext } from '../core/world-core.js';
import type { TiersWorld } from './tiers-slot.js';

/** Most steps of movement an NPC catches up at once (twice the rotation length). */
export const maxMoveLagSteps = (dormantMoveSteps: number): number => 2 * Math.max(1, dormantMoveSteps);

/**
 * Integrate entity `e` over `dt` seconds, reflecting at the bounds (position mirrored back inside,
 * velocity component negated). The one integration of plain movement: `movementSystem` and the
 * coarse movement here. Why reflect instead of wrap: wrapping teleports entities across interest areas.
 */
export const moveReflect = (
  e: number,
  dt: number,
  px: Float32Array,
  py: Float32Array,
  vx: Float32Array,
  vy: Float32Array,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): void => {
  let x = px[e] + vx[e] * dt;
  let y = py[e] + vy[e] * dt;
  if (x < minX) {
    x = minX + (minX - x);
    vx[e] = -vx[e];
  } else if (x > maxX) {
    x = maxX - (x - maxX);
    vx[e] = -vx[e];
  }
  if (y < minY) {
    y = minY + (minY - y);
    vy[e] = -vy[e];
  } else if (y > maxY) {
    y = maxY - (y - maxY);
    vy[e] = -vy[e];
  }
  px[e] = x;
  py[e] = y;
};

/** Does this world have enough NPCs for coarse movement (the tiering phase sizes the grid margin by it)? */
export const coarseMovementWanted = (world: TiersWorld): boolean => npcMoversOf(world).length >= world.npcSim.coarseMoveMinNpcs;

/**
 * Does this world move its dormant NPCs coarsely now: enough NPCs, and a tiering pass has run
 * (a world without the tiering phase, or before its first pass, integrates every NPC each step).
 */
export const coarseMovementOn = (world: TiersWorld): boolean => world.npcSim.lastPassStep >= 0 && coarseMovementWanted(world);

/** One step of movement with coarse dormant NPCs (see the module comment). */
export const coarseMovement = (world: TiersWorld, ctx: StepContext): void => {
  const s = world.npcSim;
  const { Position, Velocity, Tier } = world.stores;
  const px = Position.x,
    py = Position.y,
    vx = Velocity.x,
    vy = Velocity.y;
  const tier = Tier.tier;
  const movedStep = s.movedStep;
  const { minX, minY, maxX, maxY } = world.bounds;
  const dt = ctx.stepSeconds;
  const stamp = (ctx.step + 1) & 0xffff;
  const K = Math.max(1, s.dormantMoveSteps);
  const maxLag = maxMoveLagSteps(K);

  // 1. Everything that moves and is not an NPC: every step.
  const others = otherMoversOf(world);
  for (let i = 0; i < others.length; i++) moveReflect(others[i], dt, px, py, vx, vy, minX, minY, maxX, maxY);

  // 2. Upper-tier NPCs: every step, by their lag (1 unless just promoted).
  const upper = s.upper;
  for (let i = 0; i < s.upperCount; i++) {
    const e = upper[i];
    const last = movedStep[e];
    if (tier[e] > 2 || last === stamp) continue;
    let lag = (stamp - last) & 0xffff;
    if (lag > maxLag) lag = maxLag;
    moveReflect(e, dt * lag, px, py, vx, vy, minX, minY, maxX, maxY);
    movedStep[e] = stamp;
  }

  // 3. The rotating slice of all NPCs: the ones not moved yet this step catch up.
  const npcs = npcMoversOf(world);
  const n = npcs.length;
  if (n === 0) return;
  const per = Math.ceil(n / K);
  let c = s.moveCursor;
  if (c >= n) c = 0;
  const end = Math.min(n, c + per);
  for (let i = c; i < end; i++) {
    const e = npcs[i];
    const last = movedStep[e];
    if (last === stamp) continue;
    let lag = (stamp - last) & 0xffff;
    if (lag > maxLag) lag = maxLag;
    moveReflect(e, dt * lag, px, py, vx, vy, minX, minY, maxX, maxY);
    movedStep[e] = stamp;
  }
  s.moveCursor = end >= n ? 0 : end;
};

/**
 * Copy the members of the detailed, active and ambient tiers (as committed by the last pass:
 * `tierList[0..2]`) into `npcSim.upper`, sorted by entity id so coarse movement walks the stores
 * forward (src/tiers/coarse-movement.ts). Until it runs after a commit, movement uses the last
 * copy: a newly promoted NPC is moved by the rotating slice, a demoted one is skipped.
 */
export const refreshUpper = (world: TiersWorld): void => {
  const s = world.npcSim;
  const lists = s.tierList,
    cnt = s.tierCount;
  const nUp = cnt[0] + cnt[1] + cnt[2];
  if (s.upper.length < nUp) s.upper = new Int32Array(Math.max(nUp, s.upper.length * 2));
  s.upper.set(lists[0].subarray(0, cnt[0]), 0);
  s.upper.set(lists[1].subarray(0, cnt[1]), cnt[0]);
  s.upper.set(lists[2].subarray(0, cnt[2]), cnt[0] + cnt[1]);
  s.upperCount = nUp;
  if (s.upperTmp.length < nUp) s.upperTmp = new Int32Array(s.upper.length);
  radixSortIds(s.upper, s.upperTmp, nUp, world.capacity, s.radixCount);
};

/**
 * Sort `a[0..n)` (entity ids in 0..maxId) ascending with an LSD radix sort of 11-bit digits
 * through `tmp` (≥ n) and `count` (2048 entries): ≈ 4× faster than `TypedArray.prototype.sort`
 * on the 55k upper-tier ids of a million-NPC world. The result is in `a`.
 */
export const radixSortIds = (a: Int32Array, tmp: Int32Array, n: number, maxId: number, count: Int32Array): void => {
  let src = a,
    dst = tmp;
  for (let shift = 0; maxId >>> shift > 0; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i] >>> shift) & 2047]++;
    let acc = 0;
    for (let k = 0; k < 2048; k++) {
      const v = count[k];
      count[k] = acc;
      acc += v;
    }
    for (let i = 0; i < n; i++) {
      const v = src[i];
      dst[count[(v >>> shift) & 2047]++] = v;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== a) a.set(src.subarray(0, n));
};
