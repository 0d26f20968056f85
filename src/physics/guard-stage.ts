/**
 * The first phase of a physics step's grid build (src/physics/grid-build.ts): the anomaly guard of
 * each body of the step and its staging in row order, per range of the step's body list (inline or
 * on a shard), and the layouts both share.
 *
 *   guarded (5 words per list position, by `guardStageIds` pass 1, read in sequence by pass 2):
 *   ┌────┬────┬────┬────┬──────────────────────────────┐
 *   │ x  │ y  │ vx │ vy │ cx | flags << 20 | steps << 24│   x..vy float32, the packed word int32
 *   └────┴────┴────┴────┴──────────────────────────────┘
 *   stage (6 words per body, in row order: the same plus the id):
 *   ┌────┬────┬────┬────┬────┬──────────────────────────────┐
 *   │ x  │ y  │ vx │ vy │ id │ cx | flags << 20 | steps << 24│
 *   └────┴────┴────┴────┴────┴──────────────────────────────┘
 *   (cx: the column, < 2^20 — a grid that wide could not be allocated; flags: kind | tier << 2, 4
 *   bits; steps: kind >> KIND_STEPS_SHIFT, at most MAX_BODY_STEPS = 63)
 */
import { TierCode } from '../../components/tier.js';
import { fitGridScratch, type GridScratch } from './grid-scratch.js';
import { BodyKind, C, KIND_STEPS_SHIFT, P, type PhysicsShared } from './physics-types.js';

/** Words per list position in `shared.guarded` (x, y, vx, vy, packed word). */
export const GUARDED_STRIDE = 5;
/** Words per body in `stage`. */
export const STAGE_STRIDE = 6;
/** Bit offsets of the flags and the steps in a staged body's packed word (the column below them). */
export const FLAGS_SHIFT = 20,
  STEPS_SHIFT = 24,
  CX_MASK = (1 << FLAGS_SHIFT) - 1;

const NONE = BodyKind.none,
  PLAYER = BodyKind.player;
const DETAILED = TierCode.detailed,
  DORMANT = TierCode.dormant;

/** {@link guardBody} results. */
export const QUARANTINED = 1,
  POS_CLAMPED = 2,
  VEL_CLAMPED = 4;

/**
 * The anomaly guard of one body: its sanitised start-of-step state into `o` (x, y, vx, vy) and
 * what was wrong, as bits: {@link QUARANTINED} (non-finite position: the body sits out the step,
 * restored to its last good position at rest by the copy-back), {@link POS_CLAMPED} (outside the
 * world: clamped in), {@link VEL_CLAMPED} (non-finite velocity → 0, above `maxSpeed` → scaled).
 * Pure: the guard and the staging pass both call it (each may run on a worker, and be re-run), and
 * so does the coarse catch-up of bodies outside the step (src/physics/physics-lod.ts).
 */
export const guardBody = (s: PhysicsShared, e: number, o: Float64Array): number => {
  const prm = s.params;
  const minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY],
    maxS = prm[P.maxSpeed];
  let x = s.px[e],
    y = s.py[e];
  // x - x is 0 for a finite x and NaN for NaN/±Infinity: one test for both coordinates.
  if (x - x + (y - y) !== 0) return QUARANTINED;
  let bad = 0;
  if (x < minX || x > maxX || y < minY || y > maxY) {
    x = x < minX ? minX : x > maxX ? maxX : x;
    y = y < minY ? minY : y > maxY ? maxY : y;
    bad = POS_CLAMPED;
  }
  let ux = s.vx[e],
    uy = s.vy[e];
  const v2 = ux * ux + uy * uy;
  // NaN/Infinity fail `v2 <= maxS²` too: one test on the common path.
  if (!(v2 <= maxS * maxS)) {
    if (ux - ux + (uy - uy) !== 0) ux = uy = 0;
    else {
      const f = maxS / Math.sqrt(v2);
      ux *= f;
      uy *= f;
    }
    bad |= VEL_CLAMPED;
  }
  o[0] = x;
  o[1] = y;
  o[2] = ux;
  o[3] = uy;
  return bad;
};

/** Bodies whose store lines {@link guardStageIds} touches ahead of guarding them (a few hundred lines: in L1/L2). */
const TOUCH_BLOCK = 64;

/**
 * Guard and staging of the bodies `ids[idLo..idHi)` (list positions; or ids idLo..idHi-1 themselves
 * when `params[P.byRange]` is 1) as id partition `part`, in one phase (no barrier between them): a
 * counting sort local to the partition.
 *   pass 1  anomaly guard: each body's row (`rowOf`; -1 when quarantined or not a body), what was
 *           wrong (`guardBits`) and its sanitised state with its column and flags (`guarded`) —
 *           all indexed by list position (the id itself with `P.byRange`), so a listed step
 *           touches them in sequence, not at ids spread over the stores — its row counted in
 *           `rowCounts` row `part`, and the guard counters of counter slot `part`. The common body
 *           (finite, inside the world, speed within the cap: one test) is taken as stored; any
 *           other goes through {@link guardBody};
 *   plan    the partition's own region of `stage` is slots [idLo, idHi) (a list position holds at
 *           most one body): its rows in order from `idLo`, each row's first slot in `stageBase`
 *           row `part` — no other partition's counts needed;
 *   pass 2  each body's `guarded` words and id into its row's slots (ids ascending), on the caches
 *           pass 1 just filled.
 * The build then reads a row's bodies partition by partition (grid-build.ts `buildRows`):
 * partitions are ascending ranges of the ascending list, so a row's bodies stay ids ascending.
 * Reads the stores, writes none: it may be re-run, even concurrently with a late run of itself
 * (every write is of a value computed from unchanged inputs, to this partition's own slots).
 */
export const guardStageIds = (s: PhysicsShared, idLo: number, idHi: number, part: number, sc?: GridScratch): void => {
  const prm = s.params;
  // Positions are ids themselves when the step's bodies are an id range (P.byRange).
  const byRange = prm[P.byRange] === 1;
  const side = prm[P.side] | 0,
    minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY],
    maxS = prm[P.maxSpeed],
    maxS2 = maxS * maxS,
    inv = 1 / prm[P.cellSize];
  const kind = s.kind,
    ids = s.ids,
    tier = s.tier,
    rowOf = s.rowOf,
    guardBits = s.guardBits,
    stage = s.stage,
    stageI = s.stageI,
    gd = s.guarded,
    gdI = s.guardedI;
  const g = fitGridScratch(sc, side);
  const o = g.o;
  // Counted locally (thread-local scratch) and published: a late worker re-publishes the same counts.
  const counts = g.counts;
  counts.fill(0);
  let quarantined = 0,
    posClamped = 0,
    velClamped = 0;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  let sink = 0;
  for (let i = idLo; i < idHi; i++) {
    // A listed step's ids are spread over the stores (six cache misses per body): touch the next
    // block's lines first in a loop with nothing between the loads, so the misses overlap (the
    // guard's branches keep only a few bodies' loads in flight), then guard it on warm caches.
    if (!byRange && (i - idLo) % TOUCH_BLOCK === 0) {
      for (let j = i, jEnd = i + TOUCH_BLOCK < idHi ? i + TOUCH_BLOCK : idHi; j < jEnd; j++) {
        const f = ids[j];
        sink += kind[f] + tier[f] + px[f] + py[f] + vx[f] + vy[f];
      }
      o[0] = sink; // consumed (guardBody overwrites o)
    }
    const e = byRange ? i : ids[i];
    const kb = kind[e];
    if (kb === NONE) {
      rowOf[i] = -1; // not a body: pass 2 skips it without another look at `kind`
      continue;
    }
    let x = px[e],
      y = py[e],
      ux = vx[e],
      uy = vy[e];
    // guardBody's tests in one chain (NaN fails every comparison): nothing wrong → the stored values.
    if (x >= minX && x <= maxX && y >= minY && y <= maxY && ux * ux + uy * uy <= maxS2) guardBits[i] = 0;
    else {
      const bad = guardBody(s, e, o);
      guardBits[i] = bad;
      if (bad === QUARANTINED) {
        // Out of the grid this step: restored after the copy-back (restoreQuarantined).
        rowOf[i] = -1;
        quarantined++;
        continue;
      }
      if (bad & POS_CLAMPED) posClamped++;
      if (bad & VEL_CLAMPED) velClamped++;
      x = o[0];
      y = o[1];
      ux = o[2];
      uy = o[3];
    }
    let gx = Math.floor((x - minX) * inv),
      gy = Math.floor((y - minY) * inv);
    gx = gx >= side ? side - 1 : gx;
    gy = gy >= side ? side - 1 : gy;
    rowOf[i] = gy;
    counts[gy]++;
    // Everything pass 2 needs, by position.
    const g = i * GUARDED_STRIDE;
    gd[g] = x;
    gd[g + 1] = y;
    gd[g + 2] = ux;
    gd[g + 3] = uy;
    const kd = kb & 3;
    // Level of detail: players are always full; an unknown tier code counts as dormant.
    const t = kd === PLAYER ? DETAILED : tier[e] > DORMANT ? DORMANT : tier[e];
    gdI[g + 4] = gx | ((kd | (t << 2)) << FLAGS_SHIFT) | ((kb >> KIND_STEPS_SHIFT) << STEPS_SHIFT);
  }
  const row = part * side;
  s.rowCounts.set(counts, row);
  const cnt = s.counters,
    c = part * C.stride;
  cnt[c + C.quarantined] = quarantined;
  cnt[c + C.positionClamped] = posClamped;
  cnt[c + C.velocityClamped] = velClamped;
  // The partition's rows from idLo on; `counts` becomes the per-row cursor (L1-sized).
  const stageBase = s.stageBase;
  let acc = idLo;
  for (let gy = 0; gy < side; gy++) {
    const k = counts[gy];
    stageBase[row + gy] = acc;
    counts[gy] = acc;
    acc += k;
  }
  for (let i = idLo; i < idHi; i++) {
    const gy = rowOf[i];
    if (gy < 0) continue;
    const j = counts[gy]++;
    const q = j * STAGE_STRIDE;
    const g = i * GUARDED_STRIDE;
    stage[q] = gd[g];
    stage[q + 1] = gd[g + 1];
    stage[q + 2] = gd[g + 2];
    stage[q + 3] = gd[g + 3];
    stageI[q + 4] = byRange ? i : ids[i];
    stageI[q + 5] = gdI[g + 4];
  }
};
