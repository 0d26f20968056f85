/**
 * NPCs walking to activity locations: goal requests queued FIFO, planned by A* within a
 * per-step budget (`maxPlansPerStep` searches of at most `maxExpansions` cells each — never a
 * hang), then followed by steering Velocity toward the next waypoint.
 *
 * Per NPC (typed arrays indexed by entity id): `state` ({@link NavState}), the outcome of its
 * last plan (index into {@link NAV_OUTCOMES}), up to `maxWaypoints` waypoints. A plan that
 * ends `budget-exceeded` is followed to its closest point and re-planned from there; a body
 * that makes no progress for `stuckSteps` steps (a crowd in the way) is re-planned once, then
 * gives up with outcome `stuck`.
 */
import { optionInvalid } from '../errors.js';
import { findPath, type PathOutcome, type Pathfinder } from './pathfinding.js';

/** Navigation states. */
export const NavState = { idle: 0, queued: 1, following: 2, arrived: 3, failed: 4 } as const;

/** Outcome codes stored per NPC (index = code). */
export const NAV_OUTCOMES: readonly (PathOutcome | 'none' | 'stuck')[] = [
  'none',
  'found',
  'start-blocked',
  'goal-blocked',
  'unreachable',
  'budget-exceeded',
  'out-of-bounds',
  'stuck',
];

/** Options of {@link createNavigation}. */
export interface NavigationOptions {
  maxPlansPerStep?: number;
  maxExpansions?: number;
  maxWaypoints?: number;
  /** Walking speed (world units per simulation second). */
  speed?: number;
  /** Distance at which a waypoint counts as reached. */
  arriveRadius?: number;
  stuckSteps?: number;
}

/** Navigation of one world. */
export interface Navigation {
  readonly pf: Pathfinder;
  readonly opts: Required<NavigationOptions>;
  readonly state: Uint8Array;
  readonly outcome: Uint8Array;
  readonly goalX: Float32Array;
  readonly goalY: Float32Array;
  readonly wp: Float32Array;
  readonly wpCount: Uint16Array;
  readonly wpIndex: Uint16Array;
  readonly replans: Uint8Array;
  readonly lastDist: Float32Array;
  readonly idleSteps: Uint16Array;
  /** FIFO ring of entity ids waiting for a plan. */
  readonly queue: Int32Array;
  /**
   * The NPCs that may be following a path (`follow[0..followCount)`; every id whose state is
   * `following` is in it, flagged in `inFollow`; entries that stopped following are dropped at the
   * next steering pass), so steering costs what the navigating NPCs cost, not the id range. Sorted
   * ascending before steering (`followSorted`): steering runs in id order, as a scan of the ids would.
   */
  follow: Int32Array;
  followCount: number;
  followSorted: boolean;
  readonly inFollow: Uint8Array;
  head: number;
  size: number;
  /** Counters. */
  readonly stats: { plans: number; expansions: number; queueFull: number; byOutcome: Record<string, number> };
}

/** Create navigation for entity ids 0..capacity. Throws `WT_ERR_OPTION_INVALID`. */
export const createNavigation = (pf: Pathfinder, capacity: number, o: NavigationOptions = {}): Navigation => {
  const opts: Required<NavigationOptions> = {
    maxPlansPerStep: 16,
    maxExpansions: 4096,
    maxWaypoints: 32,
    speed: 2,
    arriveRadius: 0.75,
    stuckSteps: 40,
    ...o,
  };
  const p: string[] = [];
  for (const k of ['maxPlansPerStep', 'maxExpansions', 'maxWaypoints', 'stuckSteps'] as const)
    if (!Number.isInteger(opts[k]) || opts[k] < 1 || opts[k] > 1_000_000)
      p.push(`navigation.${k} must be an integer between 1 and 1000000`);
  for (const k of ['speed', 'arriveRadius'] as const)
    if (!(opts[k] > 0 && Number.isFinite(opts[k]))) p.push(`navigation.${k} must be a number > 0`);
  if (p.length) throw optionInvalid(p);
  const n = capacity + 1;
  return {
    pf,
    opts,
    state: new Uint8Array(n),
    outcome: new Uint8Array(n),
    goalX: new Float32Array(n),
    goalY: new Float32Array(n),
    wp: new Float32Array(n * opts.maxWaypoints * 2),
    wpCount: new Uint16Array(n),
    wpIndex: new Uint16Array(n),
    replans: new Uint8Array(n),
    lastDist: new Float32Array(n),
    idleSteps: new Uint16Array(n),
    queue: new Int32Array(n),
    follow: new Int32Array(64),
    followCount: 0,
    followSorted: true,
    inFollow: new Uint8Array(n),
    head: 0,
    size: 0,
    stats: { plans: 0, expansions: 0, queueFull: 0, byOutcome: Object.fromEntries(NAV_OUTCOMES.map((k) => [k, 0])) },
  };
};

/** Ask NPC `eid` to walk to (x, y). Returns false (counted) if the queue is full. */
export const requestGoal = (nav: Navigation, eid: number, x: number, y: number): boolean => {
  if (nav.state[eid] !== NavState.queued) {
    if (nav.size >= nav.queue.length) {
      nav.stats.queueFull++;
      return false;
    }
    nav.queue[(nav.head + nav.size++) % nav.queue.length] = eid;
  }
  nav.state[eid] = NavState.queued;
  nav.goalX[eid] = x;
  nav.goalY[eid] = y;
  nav.replans[eid] = 0;
  return true;
};

/** Stop navigating NPC `eid` (its behaviour chose another way to move); a queued plan is dropped. */
export const cancelGoal = (nav: Navigation, eid: number): void => {
  const st = nav.state[eid];
  if (st === NavState.queued || st === NavState.following) nav.state[eid] = NavState.idle;
};

/** Put NPC `eid` (its state set to `following`) on the steering list, once. */
export const addFollower = (nav: Navigation, eid: number): void => {
  if (nav.inFollow[eid] === 1) return;
  if (nav.followCount >= nav.follow.length) {
    const next = new Int32Array(Math.max(64, nav.follow.length * 2));
    next.set(nav.follow);
    nav.follow = next;
  }
  nav.follow[nav.followCount++] = eid;
  nav.inFollow[eid] = 1;
  nav.followSorted = false;
};

const setOutcome = (nav: Navigation, eid: number, o: (typeof NAV_OUTCOMES)[number]): void => {
  nav.outcome[eid] = NAV_OUTCOMES.indexOf(o);
  nav.stats.byOutcome[o] = (nav.stats.byOutcome[o] ?? 0) + 1;
};

/**
 * Plan queued goals (bounded), then steer following NPCs: writes `vx/vy` of each follower
 * toward its next waypoint. Call before the physics step, on the main thread.
 */
export const navigationStep = (
  nav: Navigation,
  px: Float32Array,
  py: Float32Array,
  vx: Float32Array,
  vy: Float32Array,
  maxEid: number,
): void => {
  const o = nav.opts,
    W = o.maxWaypoints;
  for (let k = 0; k < o.maxPlansPerStep && nav.size > 0; k++) {
    const e = nav.queue[nav.head];
    nav.head = (nav.head + 1) % nav.queue.length;
    nav.size--;
    if (nav.state[e] !== NavState.queued) continue;
    const r = findPath(nav.pf, px[e], py[e], nav.goalX[e], nav.goalY[e], o.maxExpansions);
    nav.stats.plans++;
    nav.stats.expansions += r.expansions;
    setOutcome(nav, e, r.outcome);
    if (r.outcome !== 'found' && r.outcome !== 'budget-exceeded') {
      nav.state[e] = NavState.failed;
      vx[e] = 0;
      vy[e] = 0;
      continue;
    }
    const pts = Math.min(W, r.path.length / 2);
    for (let i = 0; i < pts; i++) {
      nav.wp[(e * W + i) * 2] = r.path[2 * i];
      nav.wp[(e * W + i) * 2 + 1] = r.path[2 * i + 1];
    }
    nav.wpCount[e] = pts;
    nav.wpIndex[e] = 0;
    nav.idleSteps[e] = 0;
    nav.lastDist[e] = Infinity;
    nav.state[e] = NavState.following;
    addFollower(nav, e);
  }
  const arrive = o.arriveRadius,
    speed = o.speed;
  // The followers in id order (what a scan of 1..maxEid would visit), dropping those that stopped.
  if (!nav.followSorted) {
    nav.follow.subarray(0, nav.followCount).sort();
    nav.followSorted = true;
  }
  const list = nav.follow,
    count = nav.followCount;
  let kept = 0;
  for (let k = 0; k < count; k++) {
    const e = list[k];
    if (nav.state[e] !== NavState.following) {
      nav.inFollow[e] = 0;
      continue;
    }
    list[kept++] = e;
    if (e < 1 || e > maxEid) continue;
    let i = nav.wpIndex[e];
    const base = e * W;
    let tx = nav.wp[(base + i) * 2],
      ty = nav.wp[(base + i) * 2 + 1];
    let dx = tx - px[e],
      dy = ty - py[e];
    let d = Math.sqrt(dx * dx + dy * dy);
    while (d <= arrive && i + 1 < nav.wpCount[e]) {
      i++;
      tx = nav.wp[(base + i) * 2];
      ty = nav.wp[(base + i) * 2 + 1];
      dx = tx - px[e];
      dy = ty - py[e];
      d = Math.sqrt(dx * dx + dy * dy);
      nav.lastDist[e] = Infinity;
    }
    nav.wpIndex[e] = i;
    if (d <= arrive) {
      const gdx = nav.goalX[e] - px[e],
        gdy = nav.goalY[e] - py[e];
      vx[e] = 0;
      vy[e] = 0;
      if (gdx * gdx + gdy * gdy <= 4 * arrive * arrive) nav.state[e] = NavState.arrived;
      else requestGoal(nav, e, nav.goalX[e], nav.goalY[e]); // partial path: plan the rest
      continue;
    }
    if (d < nav.lastDist[e] - 1e-3) {
      nav.lastDist[e] = d;
      nav.idleSteps[e] = 0;
    } else if (++nav.idleSteps[e] >= o.stuckSteps) {
      vx[e] = 0;
      vy[e] = 0;
      if (nav.replans[e] < 1) {
        const n = nav.replans[e] + 1;
        requestGoal(nav, e, nav.goalX[e], nav.goalY[e]);
        nav.replans[e] = n;
      } else {
        nav.state[e] = NavState.failed;
        setOutcome(nav, e, 'stuck');
      }
      continue;
    }
    vx[e] = (dx / d) * speed;
    vy[e] = (dy / d) * speed;
  }
  nav.followCount = kept;
};
