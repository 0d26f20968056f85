/**
 * Deterministic quickselect over entity-id lists keyed by a per-entity array: after
 * `partialSelect(ids, lo, hi, k, key)`, `ids[lo .. lo+k)` hold the k smallest ids by
 * (key[id], id) — ties broken by id, so every run picks the same set. O(hi - lo) on average,
 * no allocation. Used for "most overdue first" (key = nextTickAt) and "farthest demoted first"
 * (key = distance).
 */

const less = (key: ArrayLike<number>, a: number, b: number): boolean => {
  const ka = key[a],
    kb = key[b];
  return ka < kb || (ka === kb && a < b);
};

/** Reorder `ids[lo..hi)` so that its first `k` entries are the k smallest by (key[id], id). */
export const partialSelect = (ids: Int32Array, lo: number, hi: number, k: number, key: ArrayLike<number>): void => {
  if (k <= 0 || k >= hi - lo) return;
  const target = lo + k; // ids[lo..target) must be the k smallest
  let l = lo,
    r = hi - 1;
  while (r > l) {
    // Median of three as pivot (deterministic: no randomness).
    const m = l + ((r - l) >> 1);
    let a = ids[l],
      b = ids[m],
      c = ids[r];
    if (less(key, b, a)) {
      const t = a;
      a = b;
      b = t;
    }
    if (less(key, c, b)) {
      const t = b;
      b = c;
      c = t;
      if (less(key, b, a)) {
        const u = a;
        a = b;
        b = u;
      }
    }
    const pivot = b;
    // Hoare-style partition around the pivot value.
    let i = l,
      j = r;
    while (i <= j) {
      while (less(key, ids[i], pivot)) i++;
      while (less(key, pivot, ids[j])) j--;
      if (i <= j) {
        const t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        i++;
        j--;
      }
    }
    // Now ids[l..j] <= pivot <= ids[i..r]; elements between j and i equal the pivot.
    if (target - 1 <= j) r = j;
    else if (target - 1 >= i) l = i;
    else return;
  }
};

/**
 * The caps' histogram pass: `keys[0..n)` counted into `hist` (bucket = key × scale, the last
 * bucket open-ended), and the boundary bucket returned — the first whose cumulative count reaches
 * `cap` (the buckets below it hold fewer than `cap` keys).
 */
const boundaryBucket = (keys: Float32Array, n: number, cap: number, scale: number, hist: Int32Array): number => {
  const NB = hist.length;
  hist.fill(0);
  for (let k = 0; k < n; k++) {
    let b = (keys[k] * scale) | 0;
    if (b >= NB) b = NB - 1;
    hist[b]++;
  }
  let below = 0;
  for (let b = 0; b < NB; b++) {
    if (below + hist[b] >= cap) return b;
    below += hist[b];
  }
  return 0;
};

/**
 * Reorder `ids[0..n)` (with parallel distances `keys[0..n)`, all finite and in [0, maxKey]) so
 * that `ids[0..cap)` are the `cap` nearest by (distance, id) and `ids[cap..n)` the rest; `keys`
 * is reordered alongside. A 1,024-bucket histogram finds the boundary bucket in two sequential
 * passes; only that bucket is ordered exactly (quickselect on `exact`, keyed per entity id).
 * `tmp` must hold n ids and `tmpKeys` n keys. Used by the tier caps ("demote farthest first").
 */
export const keepNearest = (
  ids: Int32Array,
  keys: Float32Array,
  n: number,
  cap: number,
  maxKey: number,
  exact: ArrayLike<number>,
  hist: Int32Array,
  tmp: Int32Array,
  tmpKeys: Float32Array,
): void => {
  if (cap >= n) return;
  const NB = hist.length;
  const scale = maxKey > 0 ? NB / maxKey : 0;
  const bstar = boundaryBucket(keys, n, cap, scale, hist);
  let below = 0;
  for (let b = 0; b < bstar; b++) below += hist[b];
  // Partition: keep (< bstar) to the front of ids, boundary bucket to tmp[0..nb), demoted to the back of tmp.
  let w = 0,
    nb = 0,
    nd = n;
  for (let k = 0; k < n; k++) {
    const key = keys[k];
    let b = (key * scale) | 0;
    if (b >= NB) b = NB - 1;
    const e = ids[k];
    if (b < bstar) {
      ids[w] = e;
      keys[w++] = key;
    } else if (b === bstar) {
      tmp[nb] = e;
      tmpKeys[nb++] = key;
    } else {
      tmp[--nd] = e;
      tmpKeys[nd] = key;
    }
  }
  partialSelect(tmp, 0, nb, cap - below, exact);
  for (let k = 0; k < nb; k++) {
    const e = tmp[k];
    ids[w] = e;
    keys[w++] = exact[e];
  }
  for (let k = nd; k < n; k++) {
    ids[w] = tmp[k];
    keys[w++] = tmpKeys[k];
  }
};

/**
 * {@link keepNearest} for a cap that demotes into a list: `ids[0..cap)` (and `keys`) end up exactly
 * as {@link keepNearest} leaves them, and the `n − cap` others are appended to `next[nk..)` (their
 * keys to `nextKeys`, unless null) straight from the partition — the same set {@link keepNearest}
 * leaves in `ids[cap..n)`, in another order, without its two extra copies (≈ 80k entries per cap
 * at 100k NPCs + 1k players). Returns the new length of `next`; `next` must have room for them.
 */
export const keepNearestInto = (
  ids: Int32Array,
  keys: Float32Array,
  n: number,
  cap: number,
  maxKey: number,
  exact: ArrayLike<number>,
  hist: Int32Array,
  tmp: Int32Array,
  next: Int32Array,
  nextKeys: Float32Array | null,
  nk: number,
): number => {
  if (cap >= n) return nk;
  const NB = hist.length;
  const scale = maxKey > 0 ? NB / maxKey : 0;
  const bstar = boundaryBucket(keys, n, cap, scale, hist);
  let below = 0;
  for (let b = 0; b < bstar; b++) below += hist[b];
  let w = 0,
    nb = 0;
  for (let k = 0; k < n; k++) {
    const key = keys[k];
    let b = (key * scale) | 0;
    if (b >= NB) b = NB - 1;
    const e = ids[k];
    if (b < bstar) {
      ids[w] = e;
      keys[w++] = key;
    } else if (b === bstar) tmp[nb++] = e;
    else {
      if (nextKeys !== null) nextKeys[nk] = key;
      next[nk++] = e;
    }
  }
  const keep = cap - below;
  partialSelect(tmp, 0, nb, keep, exact);
  for (let k = 0; k < keep; k++) {
    const e = tmp[k];
    ids[w] = e;
    keys[w++] = exact[e];
  }
  for (let k = keep; k < nb; k++) {
    const e = tmp[k];
    if (nextKeys !== null) nextKeys[nk] = exact[e];
    next[nk++] = e;
  }
  return nk;
};
