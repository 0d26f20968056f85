/**
 * Per-tier due-time heaps: the selection's index of "who is due next", so a step touches the
 * NPCs that are due (and the ones ticked last step), not the whole population.
 *
 * One binary min-heap per tier of entries (entity id, `nextTickAt` when pushed), ordered by
 * (key, id) — exactly the selection's "most overdue first, ties by id" order. Entries are
 * checked when popped (lazy deletion): an entry is live when the entity is still in that tier,
 * not frozen, and its `nextTickAt` still equals the key. Code that changes `nextTickAt` outside
 * a tick or a pass must call {@link noteRescheduled} (otherwise the NPC waits for the next
 * rebuild of its tier's heap). Two entries equal in (key, id) pop one
 * after the other, so a duplicate is dropped by comparing with the previous pop.
 *
 * Who pushes: a tiering pass (every NPC whose tier or frozen flag changed, or all of them when
 * the NPC set changed: {@link rebuildDueHeap}); the next step for every NPC ticked in the last
 * one (its `nextTickAt` moved: {@link flushTicked}); and {@link noteRescheduled} for code that
 * lowers an NPC's `nextTickAt` outside a tick (chain waits). A pass compacts a heap that holds
 * many dead entries.
 */

/** One tier's heap: `ids[0..size)` and `keys[0..size)` (parallel), grown on demand. */
export interface DueHeap {
  ids: Int32Array;
  keys: Float64Array;
  size: number;
}

/** An empty heap with room for `initial` entries. */
export const createDueHeap = (initial = 64): DueHeap => ({ ids: new Int32Array(initial), keys: new Float64Array(initial), size: 0 });

const less = (ka: number, a: number, kb: number, b: number): boolean => ka < kb || (ka === kb && a < b);

const grow = (h: DueHeap, need: number): void => {
  if (need <= h.ids.length) return;
  const cap = Math.max(need, Math.ceil(h.ids.length * 1.25), 64);
  const ids = new Int32Array(cap),
    keys = new Float64Array(cap);
  ids.set(h.ids.subarray(0, h.size));
  keys.set(h.keys.subarray(0, h.size));
  h.ids = ids;
  h.keys = keys;
};

const siftDown = (ids: Int32Array, keys: Float64Array, n: number, i: number): void => {
  const e = ids[i],
    k = keys[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && less(keys[c + 1], ids[c + 1], keys[c], ids[c])) c++;
    if (!less(keys[c], ids[c], k, e)) break;
    ids[i] = ids[c];
    keys[i] = keys[c];
    i = c;
  }
  ids[i] = e;
  keys[i] = k;
};

/** Push entity `e` with key `key` (its `nextTickAt`). */
export const heapPush = (h: DueHeap, e: number, key: number): void => {
  grow(h, h.size + 1);
  const ids = h.ids,
    keys = h.keys;
  let i = h.size++;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(key, e, keys[p], ids[p])) break;
    ids[i] = ids[p];
    keys[i] = keys[p];
    i = p;
  }
  ids[i] = e;
  keys[i] = key;
};

/** Remove the smallest entry (the caller read it at index 0). */
export const heapPop = (h: DueHeap): void => {
  const n = --h.size;
  if (n <= 0) {
    h.size = Math.max(0, n);
    return;
  }
  h.ids[0] = h.ids[n];
  h.keys[0] = h.keys[n];
  siftDown(h.ids, h.keys, n, 0);
};

/**
 * Replace the heap's content with `members[0..n)` keyed by `nextTickAt`, skipping frozen ones
 * (O(n) heapify). Used by a pass when the NPC set changed and to compact a heap.
 */
export const rebuildDueHeap = (h: DueHeap, members: Int32Array, n: number, nextTickAt: Float64Array, frozen: Uint8Array): void => {
  grow(h, n);
  const ids = h.ids,
    keys = h.keys;
  let m = 0;
  for (let j = 0; j < n; j++) {
    const e = members[j];
    if (frozen[e] !== 0) continue;
    ids[m] = e;
    keys[m++] = nextTickAt[e];
  }
  h.size = m;
  for (let i = (m >> 1) - 1; i >= 0; i--) siftDown(ids, keys, m, i);
};

/** The slice of tier state the heaps live in (see tier-state.ts). */
export interface DueIndex {
  dueHeap: DueHeap[];
  /** Entities whose `nextTickAt` was lowered outside a tick, pushed at the next flush. */
  rescheduled: Int32Array;
  rescheduledCount: number;
  /** NPCs selected in the last step (`selected[0..selectedCount)`), not yet pushed back. */
  selected: Int32Array;
  selectedCount: number;
  selectedPending: boolean;
  /** The heaps hold every non-frozen NPC (false in a new or restored world until a full pass or selection rebuilds them). */
  heapsBuilt: boolean;
  /** Scratch of {@link countDue}: a mark per entity (all 0 between calls) and the walk's stack. */
  dueMark: Uint8Array;
  dueStack: Int32Array;
  /** Scratch of the selection: 1 for a tier whose due entries it popped to count them (fallback of {@link countDue}). */
  duePopped: Uint8Array;
}

/** The Tier store fields the heaps read. */
export interface DueTierFields {
  tier: Uint8Array;
  frozen: Uint8Array;
  nextTickAt: Float64Array;
}

const pushCurrent = (x: DueIndex, T: DueTierFields, e: number): void => {
  if (T.frozen[e] !== 0) return;
  const t = T.tier[e];
  if (t < 4) heapPush(x.dueHeap[t], e, T.nextTickAt[e]);
};

/**
 * Mark entity `e`'s `nextTickAt` as lowered outside a tick (e.g. a chain wait that ends before
 * its next tick): it is pushed into its tier's heap at the next tiering pass or selection.
 */
export const noteRescheduled = (x: DueIndex, e: number): void => {
  if (x.rescheduledCount >= x.rescheduled.length) {
    const r = new Int32Array(Math.max(64, x.rescheduled.length * 2));
    r.set(x.rescheduled);
    x.rescheduled = r;
  }
  x.rescheduled[x.rescheduledCount++] = e;
};

/**
 * Push back the NPCs ticked in the last step (their `nextTickAt` moved on) and the rescheduled
 * ones, at their current tier and key. Idempotent within a step (the tiering pass and the
 * selection both call it; the first does the work).
 */
export const flushTicked = (x: DueIndex, T: DueTierFields): void => {
  if (x.selectedPending) {
    for (let i = 0; i < x.selectedCount; i++) pushCurrent(x, T, x.selected[i]);
    x.selectedPending = false;
  }
  for (let i = 0; i < x.rescheduledCount; i++) pushCurrent(x, T, x.rescheduled[i]);
  x.rescheduledCount = 0;
  if (x.rescheduled.length > 4096) x.rescheduled = new Int32Array(64);
};

/**
 * Pop up to `limit` live entries of tier `t` that are due (`key ≤ now`) into `out[base ..)`, smallest
 * (key, id) first; returns how many. Dead entries met on the way are dropped.
 */
export const popDue = (x: DueIndex, T: DueTierFields, t: number, now: number, limit: number, out: Int32Array, base = 0): number => {
  const h = x.dueHeap[t];
  const { tier, frozen, nextTickAt } = T;
  let d = 0,
    lastE = -1,
    lastK = NaN;
  while (d < limit && h.size > 0) {
    const k = h.keys[0];
    if (k > now) break;
    const e = h.ids[0];
    heapPop(h);
    if (e === lastE && k === lastK) continue; // duplicate entry
    lastE = e;
    lastK = k;
    // Dead: left the tier, frozen, or rescheduled since (its live entry carries the new key).
    if (tier[e] !== t || frozen[e] !== 0 || nextTickAt[e] !== k) continue;
    out[base + d++] = e;
  }
  return d;
};

/**
 * Count the live due entries of tier `t` (`key ≤ now`), up to `limit`, without removing any: a
 * depth-first walk of the heap's due part (a node's children are never smaller than it, so the due
 * entries form a subtree at the root). Live as in {@link popDue}; a duplicate live entry (same id,
 * hence same key) counts once, through `mark` (per entity, all 0 on entry and on return). The
 * counted ids go to `out[base ..)` (scratch). `stack` needs one slot per heap level (64 suffice).
 * Returns -1 once more than `maxVisits` entries were looked at (many dead due entries: the caller
 * pops instead, which drops them for good). Equal to what {@link popDue} with `limit` would return.
 */
export const countDue = (
  x: DueIndex,
  T: DueTierFields,
  t: number,
  now: number,
  limit: number,
  maxVisits: number,
  mark: Uint8Array,
  stack: Int32Array,
  out: Int32Array,
  base: number,
): number => {
  const h = x.dueHeap[t];
  const { ids, keys, size } = h;
  const { tier, frozen, nextTickAt } = T;
  let d = 0,
    visits = 0,
    sp = 0;
  if (limit > 0 && size > 0 && keys[0] <= now) stack[sp++] = 0;
  while (sp > 0 && d < limit) {
    const i = stack[--sp];
    if (++visits > maxVisits) {
      d = -1 - d; // unmark below, then report -1
      break;
    }
    const e = ids[i],
      k = keys[i];
    if (tier[e] === t && frozen[e] === 0 && nextTickAt[e] === k && mark[e] === 0) {
      mark[e] = 1;
      out[base + d++] = e;
    }
    // LIFO, right child below left: the stack holds at most one pending sibling per level.
    const c = 2 * i + 1;
    if (c + 1 < size && keys[c + 1] <= now) stack[sp++] = c + 1;
    if (c < size && keys[c] <= now) stack[sp++] = c;
  }
  const n = d < 0 ? -1 - d : d;
  for (let j = 0; j < n; j++) mark[out[base + j]] = 0;
  return d < 0 ? -1 : d;
};

/** Bytes of the heaps' typed arrays. */
export const dueIndexBytes = (x: DueIndex): number => {
  let b = x.rescheduled.byteLength + x.dueMark.byteLength + x.dueStack.byteLength;
  for (const h of x.dueHeap) b += h.ids.byteLength + h.keys.byteLength;
  return b;
};
