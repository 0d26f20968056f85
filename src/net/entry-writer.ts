/**
 * Entry writers of the snapshot encoder (replication.ts): copies of the per-run shared entries
 * into a session's frame, and the update entry of an entity whose change is not the common
 * "x and y only" (whose shared bytes are copied instead).
 */
import { EntityField } from './protocol.js';
import { bitCount } from './replicated-fields.js';
import { ensure, putInt, type ByteWriter } from './snapshot-writer.js';

/** Append bytes [start, end) of `src` (a short run: a loop beats creating a subarray for `set`). */
export const copyShared = (w: ByteWriter, src: ByteWriter, start: number, end: number): void => {
  const len = end - start;
  ensure(w, len);
  const b = w.bytes;
  let p = w.pos;
  if (len >= COPY_SET_BYTES) b.set(src.bytes.subarray(start, end), p);
  else {
    // Four bytes per step through the two DataViews (unaligned is fine), then the tail.
    const dv = w.view,
      sv = src.view,
      sb = src.bytes;
    let i = start;
    for (const e4 = end - 3; i < e4; i += 4, p += 4) dv.setUint32(p, sv.getUint32(i));
    for (; i < end; i++) b[p++] = sb[i];
  }
  w.pos += len;
};
/** Runs at least this long are copied by `Uint8Array.set` (cheaper than the loop despite the subarray). */
const COPY_SET_BYTES = 96;

/**
 * Append an update entry `[e, mask, x?, y?, kind?, tier?]` from the row's packed kind | tier
 * `kt` and the known `kkt` (custom fields in `extMask` follow: the caller writes them).
 */
export const writeUpdate = (
  w: ByteWriter,
  e: number,
  x: number,
  y: number,
  kt: number,
  kkt: number,
  dX: boolean,
  dY: boolean,
  extMask: number,
): void => {
  const kind = kt & 0xffff,
    tier = kt >>> 16,
    dKind = kind !== (kkt & 0xffff),
    dTier = tier !== kkt >>> 16;
  let mask = extMask,
    nf = 2 + bitCount(extMask);
  if (dX) {
    mask |= EntityField.X;
    nf++;
  }
  if (dY) {
    mask |= EntityField.Y;
    nf++;
  }
  if (dKind) {
    mask |= EntityField.KIND;
    nf++;
  }
  if (dTier) {
    mask |= EntityField.TIER;
    nf++;
  }
  // One room check for the whole entry (header, e, mask and at most four fields: 1 + 6 × 5 bytes);
  // nf < 16 (at most 2 + 4 + MAX_CUSTOM_FIELDS), so the header is one fixarray byte.
  ensure(w, 31);
  const b = w.bytes;
  let p = w.pos;
  b[p++] = 0x90 | nf;
  p = putInt(b, p, e);
  p = putInt(b, p, mask);
  if (dX) p = putInt(b, p, x);
  if (dY) p = putInt(b, p, y);
  if (dKind) p = putInt(b, p, kind);
  if (dTier) p = putInt(b, p, tier);
  w.pos = p;
};
