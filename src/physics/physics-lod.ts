/**
 * Level of detail of the physics step by tier, in a world with tiers whose dormant NPCs move
 * coarsely (`coarseMovementOn`: a tiering pass has run and there are at least
 * `npcSim.coarseMoveMinNpcs` NPCs). The per-step phases (guard, stage, grid build, kernel) then
 * cost what the bodies in the step cost, not the population:
 *
 *   in the step (shared.ids, ids ascending)        outside the step
 *   ───────────────────────────────────────        ───────────────────────────────────────────
 *   players and other moving non-NPCs               dormant NPCs: a rotating slice of the NPC
 *   detailed and active NPCs (`npcSim.upper`,         query, 1/`dormantMoveSteps` per step, each
 *     the members at the last tiering commit,         catching up the seconds since it last moved
 *     still in those tiers), every step               (coarseMove): anomaly guard, straight line
 *   ambient NPCs on their collision turn only         reflected inside the edges, swept against
 *     (every `ambientCollideEvery` steps,             the obstacles (stops and turns at the first
 *     staggered by id as the kernel's turn)           wall), pushed out of any it started in; no
 *                                                     collision, no perception
 *                                                   ambient NPCs between their turns (moved by
 *                                                     the kernel when they rejoin)
 *
 * `npcSim.movedStep[e]` (the coarse movement's stamp, (step + 1) mod 2^16, checkpointed with the
 * tier state) is the step through which NPC `e` has been moved, whoever moved it. An NPC that
 * rejoins the step after steps outside it (an ambient NPC's turn, a promotion out of dormant)
 * integrates all of them in the kernel (`kind` carries the steps, src/physics/physics-types.ts
 * `KIND_STEPS_SHIFT`), that move swept against the obstacles (src/physics/swept.ts): collision
 * push, obstacles and edges once, at the end. One that leaves it
 * is picked up by the slice with its lag counted from its last full step — so no simulated time
 * is lost or doubled at a tier change (a lag beyond `maxMoveLagSteps`, or 63 steps, is clamped,
 * as in coarse movement). Without level of detail (small worlds, before the first tiering pass)
 * every body is in the step and every NPC is stamped; a step that turns it off first catches
 * every lagging NPC up coarsely. Everything here runs on the main thread in a fixed order (list
 * order, query order), so the result does not depend on shards. `lod.on` (did the last step run
 * with level of detail) is saved by checkpoints (src/persist/world-snapshot.ts).
 */
import { $internal, entityExists, type InternalWorld, Not, query, type World } from 'bitecs';
import type { StepContext, WorldCore } from '../core/world-core.js';
import { coarseMovementOn, maxMoveLagSteps, moveReflect } from '../tiers/coarse-movement.js';
import type { TiersSlot } from '../tiers/tiers-slot.js';
import { pushOutOfObstacles } from './collide-kernel.js';
import { guardBody, POS_CLAMPED, QUARANTINED, VEL_CLAMPED } from './grid-build.js';
import { P } from './physics-types.js';
import { setStepBodies, type PhysicsState } from './physics-state.js';
import { BodyKind, KIND_STEPS_SHIFT, MAX_BODY_STEPS } from './physics-types.js';
import { nearObstacles, sweptReflect } from './coarse-sweep.js';
import { TierCode } from '../../components/tier.js';

const AMBIENT = TierCode.ambient,
  NPC = BodyKind.npc;

/** A world (with physics; its tiers are detected). */
export type PhysicsLodWorld = World<WorldCore>;
type TieredWorld = PhysicsLodWorld & TiersSlot;

/** Per-world level-of-detail state (in the `physics` slot): plain data, no module state. */
export interface PhysicsLod {
  /** The last step ran with level of detail (dormant NPCs outside the step). */
  on: boolean;
  /** Bodies in the last step; NPCs moved coarsely in it (the slice); NPCs that rejoined it with a lag. */
  lastStepBodies: number;
  lastCoarse: number;
  lastRejoined: number;
  /** Wall ms of the last step's slice catch-ups (operational; 0 when it had none). */
  lastSliceMs: number;
  /** Scratch: the non-NPC bodies, sorted; one guard/obstacle result. */
  others: Int32Array;
  readonly o: Float64Array;
}

/** A fresh {@link PhysicsLod}. */
export const createPhysicsLod = (): PhysicsLod => ({
  on: false,
  lastStepBodies: 0,
  lastCoarse: 0,
  lastRejoined: 0,
  lastSliceMs: 0,
  others: new Int32Array(64),
  o: new Float64Array(4),
});

const hasTiers = (world: PhysicsLodWorld): world is TieredWorld => (world as PhysicsLodWorld & Partial<TiersSlot>).npcSim !== undefined;

/**
 * Move body `e` (an NPC outside the step) coarsely over `seconds` of simulation: the anomaly guard
 * of the step (non-finite position → back at its last good position at rest; absurd speed or a
 * position outside the world clamped; each counted), then a straight line at its velocity
 * reflected `npcRadius` inside the world edges (`moveReflect`, as plain movement) — swept against
 * the obstacles: at the first wall on that path it stops, turns away as an NPC of the step does
 * (velocity component into the wall reflected) and goes on for the time left, at most
 * `MAX_SWEPT_BOUNCES` contacts (then it stays at the last) — then pushed out of the obstacles of
 * the cell it ends in (a body that started overlapping one). So a long catch-up cannot cross a thin
 * wall; a path that meets none is the plain one, bit for bit. No collision with other bodies.
 */
export const coarseMove = (ps: PhysicsState, e: number, seconds: number, o: Float64Array): void => {
  const s = ps.shared,
    st = ps.stats,
    b = ps.bounds,
    r = ps.config.npcRadius;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  st.coarseMoves++;
  const bad = guardBody(s, e, o);
  if (bad === QUARANTINED) {
    st.quarantined++;
    const x = s.lastX[e],
      y = s.lastY[e];
    const good = Number.isFinite(x) && Number.isFinite(y) && x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY;
    px[e] = good ? x : (b.minX + b.maxX) / 2;
    py[e] = good ? y : (b.minY + b.maxY) / 2;
    vx[e] = 0;
    vy[e] = 0;
    return;
  }
  if (bad !== 0) {
    if (bad & POS_CLAMPED) st.positionClamped++;
    if (bad & VEL_CLAMPED) st.velocityClamped++;
    px[e] = o[0];
    py[e] = o[1];
    vx[e] = o[2];
    vy[e] = o[3];
  }
  const loX = b.minX + r,
    loY = b.minY + r,
    hiX = b.maxX - r,
    hiY = b.maxY - r;
  // Within reach of a wall: swept; elsewhere, nearly always, the plain move (the push-out below
  // would find nothing there either).
  const near =
    s.obsStart[s.obsStart.length - 1] > 0 &&
    nearObstacles(ps, px[e], py[e], Math.abs(vx[e]) * seconds + 2 * r, Math.abs(vy[e]) * seconds + 2 * r, r);
  if (near) sweptReflect(ps, e, seconds, loX, loY, hiX, hiY, o);
  else moveReflect(e, seconds, px, py, vx, vy, loX, loY, hiX, hiY);
  // One reflection per axis: a move longer than the world (a huge lag × maxSpeed) is clamped.
  if (!(px[e] >= loX)) px[e] = loX;
  else if (px[e] > hiX) px[e] = hiX;
  if (!(py[e] >= loY)) py[e] = loY;
  else if (py[e] > hiY) py[e] = hiY;
  if (near) {
    const side = ps.side,
      cell = ps.config.cellSize;
    let gx = Math.floor((px[e] - b.minX) / cell),
      gy = Math.floor((py[e] - b.minY) / cell);
    gx = gx < 0 ? 0 : gx >= side ? side - 1 : gx;
    gy = gy < 0 ? 0 : gy >= side ? side - 1 : gy;
    const oc = gy * side + gx;
    if ((s.obsBits[oc >> 5] & (1 << (oc & 31))) !== 0) {
      o[0] = px[e];
      o[1] = py[e];
      o[2] = vx[e];
      o[3] = vy[e];
      st.obstaclePushes += pushOutOfObstacles(s, oc, r, false, o);
      px[e] = o[0];
      py[e] = o[1];
      vx[e] = o[2];
      vy[e] = o[3];
    }
  }
  s.lastX[e] = px[e];
  s.lastY[e] = py[e];
};

/**
 * The dormant slice's catch-ups, NPCs `npcs[c..end)` not yet moved through `stamp`: {@link coarseMove}
 * each, in one pass whose common case — nothing anomalous (finite, inside the world, speed within
 * the cap) and no obstacle cell under the move's box (the cell bits, in cache) — is the plain
 * reflected move inline, as cheap as coarse movement without physics; any other body takes the
 * full `coarseMove` (which re-reads it: nothing was written). Bit for bit the result of
 * `coarseMove` on every body. Returns the number moved.
 */
export const coarseSlice = (
  ps: PhysicsState,
  npcs: ArrayLike<number>,
  c: number,
  end: number,
  moved: Uint16Array,
  stamp: number,
  maxLag: number,
  dt: number,
  o: Float64Array,
): number => {
  const s = ps.shared,
    b = ps.bounds,
    r = ps.config.npcRadius,
    cell = ps.config.cellSize,
    side = ps.side,
    bits = ps.obstacles.obsBits,
    prm = s.params;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    lastX = s.lastX,
    lastY = s.lastY;
  // The guard's limits (guardBody): a body outside them takes the full path.
  const gMinX = prm[P.minX],
    gMinY = prm[P.minY],
    gMaxX = prm[P.maxX],
    gMaxY = prm[P.maxY],
    maxS = prm[P.maxSpeed],
    maxS2 = maxS * maxS;
  const loX = b.minX + r,
    loY = b.minY + r,
    hiX = b.maxX - r,
    hiY = b.maxY - r;
  // nearObstacles' box and cells, same arithmetic (a bit set there: the full path decides).
  const inv = 1 / cell,
    slack = cell * 1e-6,
    long = 2 * cell,
    bMinX = b.minX,
    bMinY = b.minY;
  let moves = 0,
    fast = 0;
  for (let k = c; k < end; k++) {
    const e = npcs[k];
    const last = moved[e];
    if (last === stamp) continue;
    let lag = (stamp - last) & 0xffff;
    if (lag > maxLag) lag = maxLag;
    moved[e] = stamp;
    moves++;
    const seconds = dt * lag;
    const x = px[e],
      y = py[e],
      ux = vx[e],
      uy = vy[e];
    const ax = Math.abs(ux) * seconds + 2 * r,
      ay = Math.abs(uy) * seconds + 2 * r;
    // NaN fails every comparison: one chain covers non-finite, outside and too fast.
    let plain = x >= gMinX && x <= gMaxX && y >= gMinY && y <= gMaxY && ux * ux + uy * uy <= maxS2 && ax <= long && ay <= long;
    if (plain) {
      let gx0 = ((x - ax - slack - bMinX) * inv) | 0,
        gx1 = ((x + ax + slack - bMinX) * inv) | 0,
        gy0 = ((y - ay - slack - bMinY) * inv) | 0,
        gy1 = ((y + ay + slack - bMinY) * inv) | 0;
      gx0 = gx0 < 0 ? 0 : gx0 >= side ? side - 1 : gx0;
      gx1 = gx1 < 0 ? 0 : gx1 >= side ? side - 1 : gx1;
      gy0 = gy0 < 0 ? 0 : gy0 >= side ? side - 1 : gy0;
      gy1 = gy1 < 0 ? 0 : gy1 >= side ? side - 1 : gy1;
      for (let gy = gy0; gy <= gy1 && plain; gy++)
        for (let q = gy * side + gx0, qEnd = gy * side + gx1; q <= qEnd; q++)
          if ((bits[q >> 5] & (1 << (q & 31))) !== 0) {
            plain = false;
            break;
          }
    }
    if (!plain) {
      coarseMove(ps, e, seconds, o);
      continue;
    }
    fast++;
    // moveReflect, then coarseMove's clamp on the stored (float32) values.
    let nx = x + ux * seconds,
      ny = y + uy * seconds;
    if (nx < loX) {
      nx = loX + (loX - nx);
      vx[e] = -ux;
    } else if (nx > hiX) {
      nx = hiX - (nx - hiX);
      vx[e] = -ux;
    }
    if (ny < loY) {
      ny = loY + (loY - ny);
      vy[e] = -uy;
    } else if (ny > hiY) {
      ny = hiY - (ny - hiY);
      vy[e] = -uy;
    }
    nx = Math.fround(nx);
    ny = Math.fround(ny);
    if (!(nx >= loX)) nx = loX;
    else if (nx > hiX) nx = hiX;
    if (!(ny >= loY)) ny = loY;
    else if (ny > hiY) ny = hiY;
    px[e] = nx;
    py[e] = ny;
    lastX[e] = nx;
    lastY[e] = ny;
  }
  ps.stats.coarseMoves += fast;
  return moves;
};

/** Catch NPC `e` up to the start of this step (stamp `stamp`) coarsely: its lag minus the step itself, clamped. Returns 1 when it moved. */
const catchUp = (ps: PhysicsState, e: number, moved: Uint16Array, stamp: number, maxLag: number, dt: number, o: Float64Array): number => {
  let lag = (stamp - moved[e]) & 0xffff;
  moved[e] = stamp;
  if (lag <= 1) return 0;
  if (lag > maxLag) lag = maxLag;
  coarseMove(ps, e, dt * (lag - 1), o);
  return 1;
};

/**
 * Prepare this step's bodies in a world with physics (before navigation and the physics step).
 * With level of detail (see the module comment): list the step's bodies in `shared.ids` (kinds
 * set), catch up the NPCs rejoining it, move the dormant slice coarsely; returns true. Otherwise
 * (no tiers, or coarse movement off) returns false and leaves the listing to the caller (every
 * body, `shared.kind`), after stamping every NPC (and, when level of detail was on the step
 * before, catching up those that lag).
 */
export const physicsLodStep = (world: PhysicsLodWorld, ps: PhysicsState, lod: PhysicsLod, ctx: StepContext): boolean => {
  if (!hasTiers(world)) return false;
  const sim = world.npcSim;
  const { Position, Velocity, Npc, Player } = world.stores;
  const moved = sim.movedStep;
  const stamp = (ctx.step + 1) & 0xffff;
  const dt = ctx.stepSeconds;
  const K = Math.max(1, sim.dormantMoveSteps);
  const maxLag = maxMoveLagSteps(K);
  const o = lod.o;
  let coarse = 0;
  lod.lastSliceMs = 0;
  if (!coarseMovementOn(world)) {
    const npcs = query(world, [Position, Velocity, Npc]);
    if (lod.on) for (let i = 0; i < npcs.length; i++) coarse += catchUp(ps, npcs[i], moved, stamp, maxLag, dt, o);
    else for (let i = 0; i < npcs.length; i++) moved[npcs[i]] = stamp;
    lod.on = false;
    lod.lastCoarse = coarse;
    return false;
  }
  const s = ps.shared,
    kind = s.kind,
    ids = s.ids,
    tier = world.stores.Tier.tier;
  // Non-NPC bodies (players, props): every step, sorted to merge with the sorted upper list.
  const others = query(world, [Position, Velocity, Not(Npc)]);
  const m = others.length;
  if (lod.others.length < m) lod.others = new Int32Array(Math.max(m, lod.others.length * 2));
  for (let j = 0; j < m; j++) {
    lod.others[j] = others[j];
    kind[others[j]] = BodyKind.npc;
  }
  const ot = lod.others.subarray(0, m).sort();
  const players = query(world, [Position, Velocity, Player]);
  for (let j = 0; j < players.length; j++) kind[players[j]] = BodyKind.player;
  const up = sim.upper,
    nu = sim.upperCount;
  const every = Math.max(1, ps.config.ambientCollideEvery),
    phase = ctx.step % every;
  const stepCap = Math.min(maxLag, MAX_BODY_STEPS);
  // Liveness without a probe per body (two random reads into bitecs's 1M-entry arrays, most of the
  // listing's cost at a million NPCs): with no dead id in the index (no versioning, every id ever
  // handed out — 1..maxId, one dense entry each — alive), an id exists iff it is in 1..maxId.
  // Exact; otherwise (a despawned id not yet reused, a restored index with gaps) probe each.
  const index = (world as TieredWorld & InternalWorld)[$internal].entityIndex;
  const allAlive = !index.versioning && index.aliveCount === index.dense.length && index.dense.length === index.maxId;
  const maxId = index.maxId;
  let rejoined = 0;
  let i = 0,
    j = 0,
    n = 0;
  while (i < nu || j < m) {
    let e: number;
    if (j >= m || (i < nu && up[i] < ot[j])) {
      e = up[i++];
      const t = tier[e];
      // Demoted since the last commit (tier store ahead of the list), or despawned: outside the
      // step. Ambient NPCs join only on their collision turn (the kernel's stagger: (step + e) %
      // every === 0) and move coarsely in between (caught up as they rejoin).
      if (t > AMBIENT || (t === AMBIENT && (phase + (e % every)) % every !== 0)) continue;
      if (allAlive ? e < 1 || e > maxId : !entityExists(world, e)) continue;
      // A recycled id listed already as a non-NPC (equal ids take the non-NPC first): keep its kind.
      if (n > 0 && ids[n - 1] === e) continue;
      // Rejoining after steps outside the step: the kernel integrates them all (steps in `kind`).
      let lag = (stamp - moved[e]) & 0xffff;
      moved[e] = stamp;
      if (lag > 1) {
        if (lag > stepCap) lag = stepCap;
        kind[e] = NPC | (lag << KIND_STEPS_SHIFT);
        rejoined++;
      } else kind[e] = NPC;
    } else e = ot[j++];
    if (n > 0 && ids[n - 1] === e) continue;
    ids[n++] = e;
  }
  setStepBodies(ps, n);
  // The rotating slice: NPCs not in the step catch up (the slice order is the query order).
  const ts = performance.now(); // wall time, operational only (lastSliceMs)
  const npcs = query(world, [Position, Velocity, Npc]);
  const total = npcs.length;
  if (total > 0) {
    const per = Math.ceil(total / K);
    let c = sim.moveCursor;
    if (c >= total) c = 0;
    const end = Math.min(total, c + per);
    coarse += coarseSlice(ps, npcs, c, end, moved, stamp, maxLag, dt, o);
    sim.moveCursor = end >= total ? 0 : end;
  }
  lod.lastSliceMs = performance.now() - ts;
  ps.maxEid = ps.capacity;
  lod.on = true;
  lod.lastStepBodies = n;
  lod.lastCoarse = coarse;
  lod.lastRejoined = rejoined;
  return true;
};
