import type { FieldArray, Store } from './alloc.js';

/**
 * Helpers of the tables that hold one row per member instead of one per entity id (the player
 * table, the chain-timer table). Row 0 of every field holds its default.
 */

/**
 * Grow every field of `stores` from `have` rows to at least `rows` (doubling, but never past
 * `max` rows; new SharedArrayBuffers, defaults filled).
 */
export const growTableStores = (stores: readonly Store[], have: number, rows: number, max = Infinity): void => {
  if (rows <= have) return;
  let next = Math.max(1, have);
  while (next < rows) next *= 2;
  next = Math.max(rows, Math.min(next, max));
  for (const store of stores) {
    for (const key of Object.keys(store)) {
      const old = store[key];
      const Ctor = old.constructor as { new (b: SharedArrayBuffer): FieldArray };
      const arr = new Ctor(new SharedArrayBuffer(next * old.BYTES_PER_ELEMENT));
      arr.set(old);
      arr.fill(old[0], have);
      store[key] = arr;
    }
  }
};

/** Reset row `row` of every field of `stores` to the field's default (row 0). */
export const resetTableRow = (stores: readonly Store[], row: number): void => {
  for (const store of stores) for (const key in store) store[key][row] = store[key][0];
};
