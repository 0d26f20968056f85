/**
 * The physics state a checkpoint needs for a bit-exact continuation (src/persist/world-snapshot.ts
 * stores it next to the rest of the world), beyond the component stores:
 *
 *   header `physics.lodOn`   did the last step run with level of detail (the step that turns it
 *                            off catches lagging NPCs up; src/physics/physics-lod.ts)
 *   header `physics.config`  (schema 7) the world's physics block — shards, mode, mainRuns, tuning,
 *   `physics.obstacles`      navigation — and its obstacles (f64, 5 per rect: minX, minY, maxX,
 *                            maxY, kind): what a restore given no `physics` option rebuilds the
 *                            world with ({@link physicsOptionOf}), so a physics world never comes
 *                            back as a movement one
 *   `physics.lastX/lastY`    each body's last good position (where a quarantined body goes back)
 *   `nav.*`                  navigation of the NPCs that are not idle — ids, state, outcome, goal,
 *                            waypoints (only the `wpCount` used), progress — and the plan queue in
 *                            FIFO order (src/physics/navigation.ts)
 *
 * Idle NPCs' navigation fields are not read until a new goal rewrites them, so only the others are
 * saved. A section absent (a checkpoint written before it existed) leaves the fresh state; a
 * world restored without physics ignores them all.
 */
import { addFollower, NavState, type NavigationOptions } from './navigation.js';
import type { PhysicsOptions } from './physics-config.js';
import type { WorldPhysics } from './physics-world.js';

/** A section: a name and a typed array (copied by the caller). */
export interface PhysicsSection {
  name: string;
  data: Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;
}

/** The world's physics block as a checkpoint header keeps it (obstacles in section `physics.obstacles`). */
export interface PhysicsConfigHeader {
  shards: number;
  mode: string;
  mainRuns: boolean;
  tuning: Required<PhysicsOptions>;
  navigation: Required<NavigationOptions>;
}

/** What a checkpoint header holds for physics. */
export interface PhysicsCheckpointHeader {
  /** `lod.on`: the last step ran with level of detail. */
  lodOn: boolean;
  /** The physics block (schema 7; absent in older checkpoints). */
  config?: PhysicsConfigHeader;
}

/** Values per obstacle in section `physics.obstacles`: minX, minY, maxX, maxY, kind. */
const OBSTACLE_VALUES = 5;

/** The header part and the sections of `wp`'s state, over entity rows [0, rows). */
export const capturePhysics = (wp: WorldPhysics, rows: number): { header: PhysicsCheckpointHeader; sections: PhysicsSection[] } => {
  const s = wp.state.shared,
    nav = wp.nav,
    W = nav.opts.maxWaypoints;
  const n = Math.min(rows, nav.state.length);
  let count = 0,
    wps = 0;
  for (let e = 0; e < n; e++)
    if (nav.state[e] !== NavState.idle) {
      count++;
      wps += nav.wpCount[e];
    }
  const ids = new Int32Array(count),
    state = new Uint8Array(count),
    outcome = new Uint8Array(count),
    goal = new Float32Array(2 * count),
    wpCount = new Uint16Array(count),
    wpIndex = new Uint16Array(count),
    idleSteps = new Uint16Array(count),
    replans = new Uint8Array(count),
    lastDist = new Float32Array(count),
    points = new Float32Array(2 * wps);
  let k = 0,
    w = 0;
  for (let e = 0; e < n; e++) {
    if (nav.state[e] === NavState.idle) continue;
    ids[k] = e;
    state[k] = nav.state[e];
    outcome[k] = nav.outcome[e];
    goal[2 * k] = nav.goalX[e];
    goal[2 * k + 1] = nav.goalY[e];
    wpCount[k] = nav.wpCount[e];
    wpIndex[k] = nav.wpIndex[e];
    idleSteps[k] = nav.idleSteps[e];
    replans[k] = nav.replans[e];
    lastDist[k] = nav.lastDist[e];
    points.set(nav.wp.subarray(e * W * 2, (e * W + nav.wpCount[e]) * 2), w);
    w += 2 * nav.wpCount[e];
    k++;
  }
  const queue = new Int32Array(nav.size);
  for (let i = 0; i < nav.size; i++) queue[i] = nav.queue[(nav.head + i) % nav.queue.length];
  const c = wp.config;
  const obstacles = new Float64Array(OBSTACLE_VALUES * c.obstacles.length);
  c.obstacles.forEach((r, i) => {
    obstacles.set([r.minX, r.minY, r.maxX, r.maxY, r.kind ?? 0], OBSTACLE_VALUES * i);
  });
  const config = { shards: c.shards, mode: c.mode, mainRuns: c.mainRuns, tuning: { ...c.tuning }, navigation: { ...c.navigation } };
  return {
    header: { lodOn: wp.lod.on, config },
    sections: [
      { name: 'physics.obstacles', data: obstacles },
      { name: 'physics.lastX', data: s.lastX.subarray(0, Math.min(rows, s.lastX.length)) },
      { name: 'physics.lastY', data: s.lastY.subarray(0, Math.min(rows, s.lastY.length)) },
      { name: 'nav.ids', data: ids },
      { name: 'nav.state', data: state },
      { name: 'nav.outcome', data: outcome },
      { name: 'nav.goal', data: goal },
      { name: 'nav.wpCount', data: wpCount },
      { name: 'nav.wpIndex', data: wpIndex },
      { name: 'nav.idleSteps', data: idleSteps },
      { name: 'nav.replans', data: replans },
      { name: 'nav.lastDist', data: lastDist },
      { name: 'nav.wp', data: points },
      { name: 'nav.queue', data: queue },
    ],
  };
};

/**
 * Restore what {@link capturePhysics} saved into a fresh `wp` (after the stores). `lodOn`
 * undefined (an older header) takes `lodDefault`. Sections are read with `get` (undefined: absent,
 * the fresh state stays); ids beyond this world's capacity and waypoints beyond its
 * `maxWaypoints` are skipped.
 */
export const restorePhysics = (
  wp: WorldPhysics,
  lodOn: boolean | undefined,
  lodDefault: () => boolean,
  get: (name: string) => ArrayLike<number> | undefined,
): void => {
  wp.lod.on = typeof lodOn === 'boolean' ? lodOn : lodDefault();
  const s = wp.state.shared;
  const lx = get('physics.lastX'),
    ly = get('physics.lastY');
  if (lx && ly)
    for (let e = 0, n = Math.min(lx.length, ly.length, s.lastX.length); e < n; e++) {
      s.lastX[e] = lx[e] ?? Number.NaN;
      s.lastY[e] = ly[e] ?? Number.NaN;
    }
  const nav = wp.nav,
    W = nav.opts.maxWaypoints;
  const ids = get('nav.ids'),
    state = get('nav.state'),
    outcome = get('nav.outcome'),
    goal = get('nav.goal'),
    wpCount = get('nav.wpCount'),
    wpIndex = get('nav.wpIndex'),
    idleSteps = get('nav.idleSteps'),
    replans = get('nav.replans'),
    lastDist = get('nav.lastDist'),
    wps = get('nav.wp'),
    queue = get('nav.queue');
  if (!ids || !state || !outcome || !goal || !wpCount || !wpIndex || !idleSteps || !replans || !lastDist || !wps || !queue) return;
  let w = 0;
  for (let k = 0; k < ids.length; k++) {
    const e = ids[k] ?? 0,
      c = wpCount[k] ?? 0;
    if (e > 0 && e < nav.state.length) {
      nav.state[e] = state[k] ?? 0;
      if (nav.state[e] === NavState.following) addFollower(nav, e);
      nav.outcome[e] = outcome[k] ?? 0;
      nav.goalX[e] = goal[2 * k] ?? 0;
      nav.goalY[e] = goal[2 * k + 1] ?? 0;
      nav.wpCount[e] = Math.min(c, W);
      nav.wpIndex[e] = wpIndex[k] ?? 0;
      nav.idleSteps[e] = idleSteps[k] ?? 0;
      nav.replans[e] = replans[k] ?? 0;
      nav.lastDist[e] = lastDist[k] ?? 0;
      for (let i = 0; i < Math.min(c, W); i++) {
        nav.wp[(e * W + i) * 2] = wps[w + 2 * i] ?? 0;
        nav.wp[(e * W + i) * 2 + 1] = wps[w + 2 * i + 1] ?? 0;
      }
    }
    w += 2 * c;
  }
  nav.head = 0;
  nav.size = 0;
  for (let i = 0; i < queue.length && nav.size < nav.queue.length; i++) {
    const e = queue[i] ?? 0;
    if (e > 0 && e < nav.state.length) nav.queue[nav.size++] = e;
  }
};

/**
 * The physics option a restore given none builds the world with: the checkpoint's own block
 * (header `physics.config` plus section `physics.obstacles`), as a raw block that world creation
 * validates like any other (bad values: `WT_ERR_CONFIG_INVALID`). Undefined when the checkpointed
 * world had no physics or the checkpoint predates the block (schema < 7): the world is then built
 * without physics, as before.
 */
export const physicsOptionOf = (
  header: PhysicsCheckpointHeader | undefined,
  get: (name: string) => ArrayLike<number> | undefined,
): unknown => {
  const c = header?.config;
  if (typeof c !== 'object' || c === null) return undefined;
  const data = get('physics.obstacles') ?? [];
  const obstacles: Array<{ minX: number; minY: number; maxX: number; maxY: number; kind: number }> = [];
  for (let i = 0; i + OBSTACLE_VALUES <= data.length; i += OBSTACLE_VALUES)
    obstacles.push({ minX: data[i] ?? 0, minY: data[i + 1] ?? 0, maxX: data[i + 2] ?? 0, maxY: data[i + 3] ?? 0, kind: data[i + 4] ?? 0 });
  // Only the block's own fields: never a `map` (a server file path) from checkpoint bytes.
  const { shards, mode, mainRuns, tuning, navigation } = c;
  return { enabled: true, shards, mode, mainRuns, tuning, navigation, obstacles };
};
