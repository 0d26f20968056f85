/**
 * The light bots' frame readers (src/bots/light-bot.ts): the fixed head of a snapshot or region
 * frame (type, step, world time, server send time, input ack) read with a tiny msgpack reader, in
 * place, without decoding the entity arrays or allocating (docs/PROTOCOL.md `snapshot`, `region`).
 */
import { MsgType } from '../net/protocol.js';

/** The fixed head of a snapshot frame (docs/PROTOCOL.md `snapshot`, fields 1..5). */
export interface SnapshotHead {
  step: number;
  worldTime: number;
  /** Server wall time at send, Unix epoch ms. */
  sendTime: number;
  /** Highest input seq the server had applied. */
  ack: number;
}

/** Bytes after the type byte of each msgpack number encoding, by type byte (0 = not a number). */
const NUM_LEN = ((): Uint8Array => {
  const t = new Uint8Array(256);
  for (const [k, n] of [
    [0xcc, 1],
    [0xcd, 2],
    [0xce, 4],
    [0xcf, 8],
    [0xd0, 1],
    [0xd1, 2],
    [0xd2, 4],
    [0xd3, 8],
    [0xca, 4],
    [0xcb, 8],
  ] as const)
    t[k] = n;
  return t;
})();

/** Read one msgpack number at `p` (before `end`) into `out.v`; returns the next offset, or -1 if not a number. */
const readNum = (b: Uint8Array, dv: DataView, p: number, end: number, out: { v: number }): number => {
  if (p >= end) return -1;
  const t = b[p];
  if (t < 0x80) {
    out.v = t;
    return p + 1;
  }
  if (t >= 0xe0) {
    out.v = t - 256;
    return p + 1;
  }
  const len = NUM_LEN[t];
  if (!len || p + 1 + len > end) return -1;
  const q = p + 1;
  switch (t) {
    case 0xcc:
      out.v = dv.getUint8(q);
      break;
    case 0xcd:
      out.v = dv.getUint16(q);
      break;
    case 0xce:
      out.v = dv.getUint32(q);
      break;
    case 0xcf:
      out.v = Number(dv.getBigUint64(q));
      break;
    case 0xd0:
      out.v = dv.getInt8(q);
      break;
    case 0xd1:
      out.v = dv.getInt16(q);
      break;
    case 0xd2:
      out.v = dv.getInt32(q);
      break;
    case 0xd3:
      out.v = Number(dv.getBigInt64(q));
      break;
    case 0xca:
      out.v = dv.getFloat32(q);
      break;
    default:
      out.v = dv.getFloat64(q);
  }
  return q + len;
};

/** Read a frame's step, world time and send time (three numbers from `p`) into `out`; returns the next position or -1. */
const readTimes = (b: Uint8Array, dv: DataView, p: number, end: number, r: { v: number }, out: SnapshotHead): number => {
  if ((p = readNum(b, dv, p, end, r)) < 0) return -1;
  out.step = r.v;
  if ((p = readNum(b, dv, p, end, r)) < 0) return -1;
  out.worldTime = r.v;
  if ((p = readNum(b, dv, p, end, r)) < 0) return -1;
  out.sendTime = r.v;
  return p;
};

/**
 * {@link readSnapshotHead} of the frame in `b[start, end)`, with `dv` a DataView of `b` (same
 * offsets) and `r` a scratch cell: no allocation (the bots' hot path).
 */
export const readSnapshotHeadAt = (
  b: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
  r: { v: number },
  out: SnapshotHead,
): boolean => {
  if (end - start < 6) return false;
  let p: number;
  if (b[start] === 0x98) p = start + 1;
  else if (b[start] === 0xdc && b[start + 1] === 0 && b[start + 2] === 8) p = start + 3;
  else return false;
  if (b[p] !== MsgType.SNAPSHOT) return false;
  p++;
  if ((p = readTimes(b, dv, p, end, r, out)) < 0) return false;
  if ((p = readNum(b, dv, p, end, r)) < 0) return false;
  out.ack = r.v;
  return true;
};

/**
 * Parse the head of a snapshot frame without decoding its entity arrays. Returns false when
 * `b` is not a snapshot (a msgpack array of 8 whose first element is 17) or is malformed.
 */
export const readSnapshotHead = (b: Uint8Array, out: SnapshotHead): boolean =>
  readSnapshotHeadAt(b, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.length, { v: 0 }, out);

/** Read a msgpack array header at `p`: its length into `out.v`; returns the next offset, or -1. */
const readArrayHeader = (b: Uint8Array, dv: DataView, p: number, end: number, out: { v: number }): number => {
  if (p >= end) return -1;
  const t = b[p];
  if (t >= 0x90 && t <= 0x9f) {
    out.v = t - 0x90;
    return p + 1;
  }
  if (t === 0xdc && p + 3 <= end) {
    out.v = dv.getUint16(p + 1);
    return p + 3;
  }
  if (t === 0xdd && p + 5 <= end) {
    out.v = dv.getUint32(p + 1);
    return p + 5;
  }
  return -1;
};

/** {@link readRegionHead} of the frame in `b[start, end)` (see {@link readSnapshotHeadAt}). */
export const readRegionHeadAt = (
  b: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
  player: number,
  r: { v: number },
  out: SnapshotHead,
): boolean => {
  if (end - start < 6 || b[start] !== 0x99 || b[start + 1] !== MsgType.REGION) return false;
  let p = start + 2;
  if ((p = readTimes(b, dv, p, end, r, out)) < 0) return false;
  if ((p = readArrayHeader(b, dv, p, end, r)) < 0) return false;
  const n = r.v;
  out.ack = -1;
  for (let i = 0; i + 1 < n; i += 2) {
    if ((p = readNum(b, dv, p, end, r)) < 0) return false;
    const id = r.v;
    if ((p = readNum(b, dv, p, end, r)) < 0) return false;
    if (id === player) {
      out.ack = r.v;
      break;
    }
  }
  return true;
};

/**
 * Parse the head of a region frame (docs/PROTOCOL.md `region`: `[24, step, worldTime, sendTime,
 * acks, ...]`) without decoding its entities; `out.ack` is `player`'s entry of the acks (−1 when
 * the frame does not name the player: a consistency failure, the frame is for another cell).
 * Returns false when `b` is not a region frame or is malformed.
 */
export const readRegionHead = (b: Uint8Array, player: number, out: SnapshotHead): boolean =>
  readRegionHeadAt(b, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.length, player, { v: 0 }, out);
