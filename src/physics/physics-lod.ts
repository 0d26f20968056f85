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
import { coarseMovementOn, maxMoveLagSteps } from '../tiers/coarse-movement.js';
import type { TiersSlot } from '../tiers/tiers-slot.js';
import { coarseMove, coarseSlice } from './coarse-catch-up.js';
import { setStepBodies, type PhysicsState } from './physics-state.js';
import { BodyKind, KIND_STEPS_SHIFT, MAX_BODY_STEPS } from './physics-types.js';
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
  /** Scratch: the non-NPC bodies, sorted; the upper NPCs in the step; one guard/obstacle result. */
  others: Int32Array;
  kept: Int32Array;
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
  kept: new Int32Array(64),
  o: new Float64Array(4),
});

const hasTiers = (world: PhysicsLodWorld): world is TieredWorld => (world as PhysicsLodWorld & Partial<TiersSlot>).npcSim !== undefined;

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
  // The kernel's turn test, (phase + e % every) % every === 0, as e % every === turn (a mask when
  // every is a power of two): no integer division per ambient NPC.
  const turn = (every - phase) % every,
    turnMask = (every & (every - 1)) === 0 ? every - 1 : -1;
  const stepCap = Math.min(maxLag, MAX_BODY_STEPS);
  // Liveness without a probe per body (two random reads into bitecs's 1M-entry arrays, most of the
  // listing's cost at a million NPCs): with no dead id in the index (no versioning, every id ever
  // handed out — 1..maxId, one dense entry each — alive), an id exists iff it is in 1..maxId.
  // Exact; otherwise (a despawned id not yet reused, a restored index with gaps) probe each.
  const index = (world as TieredWorld & InternalWorld)[$internal].entityIndex;
  const allAlive = !index.versioning && index.aliveCount === index.dense.length && index.dense.length === index.maxId;
  const maxId = index.maxId;
  // The upper NPCs in the step, in list order: a tight filtering pass (most of them are ambient
  // NPCs off their turn), then the merge with the other bodies below walks only those kept.
  if (lod.kept.length < nu) lod.kept = new Int32Array(Math.max(nu, lod.kept.length * 2));
  const kept = lod.kept;
  let nk = 0;
  for (let i = 0; i < nu; i++) {
    const e = up[i],
      t = tier[e];
    // Demoted since the last commit (tier store ahead of the list): outside the step. Ambient NPCs
    // join only on their collision turn (the kernel's stagger: (step + e) % every === 0) and move
    // coarsely in between (caught up as they rejoin). Written always, kept by the count's step.
    kept[nk] = e;
    nk += t < AMBIENT || (t === AMBIENT && (turnMask >= 0 ? e & turnMask : e % every) === turn) ? 1 : 0;
  }
  let rejoined = 0;
  let i = 0,
    j = 0,
    n = 0;
  while (i < nk || j < m) {
    let e: number;
    if (j >= m || (i < nk && kept[i] < ot[j])) {
      e = kept[i++];
      // Despawned: outside the step.
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
