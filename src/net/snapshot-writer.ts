/**
 * A minimal msgpack writer for the snapshot hot path: integers, float64 and array headers
 * written straight into a reused byte buffer, no JS arrays or objects built per entity.
 * Output is standard msgpack (any decoder reads it); integers use the shortest encoding.
 *
 * Why not msgpackr here: per session we would first build a JS array of ~100 numbers and then
 * pack it; writing the bytes directly skips both (bench `net` compares the two).
 */

/** A growable byte buffer with a write position. Reuse it: `reset` then write. */
export interface ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
}

/** New writer with `initial` bytes of room (it grows by doubling when needed). */
export const createWriter = (initial = 4096): ByteWriter => {
  const bytes = new Uint8Array(initial);
  return { bytes, view: new DataView(bytes.buffer), pos: 0 };
};

/** Ensure room for `n` more bytes. */
export const ensure = (w: ByteWriter, n: number): void => {
  if (w.pos + n <= w.bytes.length) return;
  let size = w.bytes.length * 2;
  while (size < w.pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(w.bytes.subarray(0, w.pos));
  w.bytes = next;
  w.view = new DataView(next.buffer);
};

/** Write an integer (|v| < 2^31 or unsigned < 2^32) in its shortest msgpack form. */
export const writeInt = (w: ByteWriter, v: number): void => {
  ensure(w, 5);
  w.pos = putInt(w.bytes, w.pos, v);
};

/**
 * `writeInt`'s bytes at `b[p]` without a room check (the caller ensured 5 bytes per int); returns
 * the position after them. Byte stores, no DataView (the same values: ToUint32 / ToInt32 wrap).
 */
export const putInt = (b: Uint8Array, p: number, v: number): number => {
  if (v >= 0) {
    if (v < 128) {
      b[p] = v;
      return p + 1;
    }
    if (v < 256) {
      b[p] = 0xcc;
      b[p + 1] = v;
      return p + 2;
    }
    if (v < 65536) {
      b[p] = 0xcd;
      b[p + 1] = v >>> 8;
      b[p + 2] = v & 0xff;
      return p + 3;
    }
    b[p] = 0xce;
    b[p + 1] = v >>> 24;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 8;
    b[p + 4] = v >>> 0;
    return p + 5;
  }
  if (v >= -32) {
    b[p] = 0xe0 | (v + 32);
    return p + 1;
  }
  if (v >= -128) {
    b[p] = 0xd0;
    b[p + 1] = v & 0xff;
    return p + 2;
  }
  if (v >= -32768) {
    b[p] = 0xd1;
    b[p + 1] = v >> 8;
    b[p + 2] = v;
    return p + 3;
  }
  b[p] = 0xd2;
  b[p + 1] = v >> 24;
  b[p + 2] = v >> 16;
  b[p + 3] = v >> 8;
  b[p + 4] = v >> 0;
  return p + 5;
};

/** Write a float64 (world time, wall time). */
export const writeFloat64 = (w: ByteWriter, v: number): void => {
  ensure(w, 9);
  w.bytes[w.pos] = 0xcb;
  w.view.setFloat64(w.pos + 1, v);
  w.pos += 9;
};

/** Write an array header for `n` elements (fixarray, array16 or array32). */
export const writeArrayHeader = (w: ByteWriter, n: number): void => {
  ensure(w, 5);
  const b = w.bytes;
  if (n < 16) b[w.pos++] = 0x90 | n;
  else if (n < 65536) {
    b[w.pos] = 0xdc;
    b[w.pos + 1] = n >>> 8;
    b[w.pos + 2] = n & 0xff;
    w.pos += 3;
  } else {
    b[w.pos] = 0xdd;
    w.view.setUint32(w.pos + 1, n);
    w.pos += 5;
  }
};

/** Append the first `len` bytes of another writer. */
export const writeBytes = (w: ByteWriter, src: ByteWriter): void => {
  const n = src.pos;
  ensure(w, n);
  if (n > 256) w.bytes.set(src.bytes.subarray(0, n), w.pos);
  else {
    // Short runs (most snapshots): a loop beats allocating a subarray for `set`; four bytes per
    // step through the DataViews (unaligned is fine), then the tail.
    const b = w.bytes,
      from = src.bytes,
      dv = w.view,
      sv = src.view;
    let i = 0,
      p = w.pos;
    for (const n4 = n - 3; i < n4; i += 4, p += 4) dv.setUint32(p, sv.getUint32(i));
    for (; i < n; i++) b[p++] = from[i];
  }
  w.pos += n;
};
