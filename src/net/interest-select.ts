/**
 * Which entities a session keeps when more are in range than it may receive
 * (`maxEntitiesPerSession`): its own player always, then by a priority key, smallest first:
 *
 *   key = -1                 the session's own player (always kept)
 *   key =  0                 an NPC interacting with this player (Interaction.target)
 *   key = d² / 4             other players and NPCs in the detailed tier (count as half as far)
 *   key = d²                 everything else (d = distance to the player, world units)
 *
 * The farthest (largest keys) are dropped. Selection is a partial quickselect over two reused
 * typed arrays (keys, ids) sized to the world: O(n) per session, nothing allocated per entity.
 */
import { query } from 'bitecs';
import type { CoreWorld } from '../core/world-core.js';

/** Weight of an important entity's squared distance (players, detailed NPCs): ¼ = half as far. */
export const IMPORTANT_WEIGHT = 0.25;

/** Reused scratch of the selection (one per world). */
export interface SelectScratch {
  keys: Float64Array;
  ids: Int32Array;
  /**
   * Bit e set ⇔ e is a player this replicate run ({@link isPlayer}; hasComponent per entity costs
   * more than the rest). A bitset (capacity / 8 bytes) stays in cache where a stamp per entity
   * was one more cache miss per newly cached row at 100k NPCs.
   */
  playerBits: Int32Array;
  /** The players set in `playerBits` by the last `markPlayers` (cleared by the next). */
  marked: Int32Array;
  nMarked: number;
}

/** Scratch for a world of `capacity` entities (ids 1..capacity). */
export const createSelectScratch = (capacity: number): SelectScratch => ({
  keys: new Float64Array(capacity + 1),
  ids: new Int32Array(capacity + 1),
  playerBits: new Int32Array((capacity >>> 5) + 1),
  marked: new Int32Array(16),
  nMarked: 0,
});

/** Is e a player this replicate run (marked by the last `markPlayers`)? */
export const isPlayer = (bits: Int32Array, e: number): boolean => (bits[e >>> 5] & (1 << (e & 31))) !== 0;

/** Stamp the world's players (once per replicate run, before any `keepNearest`). */
export const markPlayers = (world: CoreWorld, sc: SelectScratch): void => {
  const bits = sc.playerBits;
  let marked = sc.marked;
  for (let i = 0; i < sc.nMarked; i++) bits[marked[i] >>> 5] = 0;
  const players = query(world, [world.stores.Player]);
  const n = players.length;
  if (marked.length < n) marked = sc.marked = new Int32Array(Math.max(n, 2 * marked.length));
  for (let i = 0; i < n; i++) {
    const e = players[i];
    marked[i] = e;
    bits[e >>> 5] |= 1 << (e & 31);
  }
  sc.nMarked = n;
};

/**
 * Partially order `keys`/`ids`[0, n) so that the `k` smallest keys occupy [0, k) (in no
 * particular order). Hoare partition with a median-of-three pivot, iterative.
 */
export const selectSmallest = (keys: Float64Array, ids: Int32Array, n: number, k: number): void => {
  if (k <= 0 || k >= n) return;
  const t = k - 1;
  let lo = 0,
    hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = keys[lo],
      b = keys[mid],
      c = keys[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo,
      j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const tk = keys[i];
        keys[i] = keys[j];
        keys[j] = tk;
        const ti = ids[i];
        ids[i] = ids[j];
        ids[j] = ti;
        i++;
        j--;
      }
    }
    // [lo, j] <= pivot, [i, hi] >= pivot, (j, i) == pivot.
    if (t <= j) hi = j;
    else if (t >= i) lo = i;
    else return;
  }
};

/**
 * Cut `visible`[0, n) to the `max` entities with the smallest priority keys around the player
 * `self` at (x, y); the player itself is always among them (added if the query missed it).
 * Players are those marked by the last `markPlayers`.
 * Returns the new count (≤ max).
 */
export const keepNearest = (
  world: CoreWorld,
  sc: SelectScratch,
  visible: number[],
  n: number,
  max: number,
  self: number,
  x: number,
  y: number,
): number => {
  const { Position, Tier, Interaction } = world.stores;
  const px = Position.x,
    py = Position.y,
    target = Interaction.target,
    tier = Tier.tier;
  const keys = sc.keys,
    ids = sc.ids,
    pm = sc.playerBits;
  let m = 0,
    haveSelf = false;
  for (let i = 0; i < n; i++) {
    const e = visible[i];
    let key: number;
    if (e === self) {
      key = -1;
      haveSelf = true;
    } else if (target[e] === self) key = 0;
    else {
      const dx = px[e] - x,
        dy = py[e] - y;
      key = dx * dx + dy * dy;
      if (Number.isNaN(key))
        key = Infinity; // NaN position: last
      else if (tier[e] === 0 || isPlayer(pm, e)) key *= IMPORTANT_WEIGHT;
    }
    keys[m] = key;
    ids[m++] = e;
  }
  if (!haveSelf && m < ids.length) {
    keys[m] = -1;
    ids[m++] = self;
  }
  const k = m < max ? m : max;
  selectSmallest(keys, ids, m, k);
  for (let i = 0; i < k; i++) visible[i] = ids[i];
  return k;
};
