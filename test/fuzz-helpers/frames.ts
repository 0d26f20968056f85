/**
 * Seeded generators of hostile game-protocol frames (docs/PROTOCOL.md): random bytes, mutated
 * valid frames, structure-less msgpack values with every extension type msgpackr knows, records,
 * lying length headers, deep nesting, and well-shaped messages with boundary values.
 */
import { Packr, pack } from 'msgpackr';
import { EDGE_NUMBERS, ODD_KEYS, type Rng } from './rng.js';

/** A string planted in generated values: error messages must never echo it. */
export const MARKER = 'ZQXmarker';

const anything = new Packr({ useRecords: false, moreTypes: true, structuredClone: true, variableMapSize: true });
const records = new Packr({ useRecords: true, structures: [] });
const float64 = new Packr({ useRecords: false, useFloat32: 0 as never });

/** A random JS value of many kinds (for a structure-less packer). */
export const wildValue = (rng: Rng, depth = 3): unknown => {
  const r = rng.int(0, depth > 0 ? 17 : 11);
  switch (r) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return rng.chance(0.5);
    case 3:
      return rng.pick(EDGE_NUMBERS);
    case 4:
      return rng.int(-70000, 70000);
    case 5:
      return MARKER + rng.str(rng.int(0, 20));
    case 6:
      return new Date(rng.pick([0, -1, 8.64e15, 1e20, NaN]));
    case 7:
      return rng.pick([/a+$/, /(a|b)*c/giu, new RegExp(MARKER)]);
    case 8:
      return BigInt(rng.pick(['0', '-1', '9007199254740993', '18446744073709551615', '-9223372036854775808']));
    case 9:
      return rng.pick<unknown>([new Uint8Array(rng.int(0, 40)), new Float64Array(3), new Int32Array([1, -1]), new Uint16Array(5)]);
    case 10:
      return new Error(MARKER);
    case 11:
      return rng.str(rng.int(0, 8));
    case 12:
      return new Set([wildValue(rng, depth - 1), 1]);
    case 13:
      return new Map<unknown, unknown>([
        [wildValue(rng, depth - 1), wildValue(rng, depth - 1)],
        [{}, 1],
      ]);
    case 14:
    case 15: {
      const a: unknown[] = [];
      const n = rng.int(0, 5);
      for (let i = 0; i < n; i++) a.push(wildValue(rng, depth - 1));
      return a;
    }
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) {
        Object.defineProperty(o, rng.pick(ODD_KEYS), {
          value: wildValue(rng, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return o;
    }
  }
};

/** A field value near the protocol's boundaries (or of the wrong type). */
export const edgeField = (rng: Rng): unknown => {
  const r = rng.next();
  if (r < 0.55) return rng.pick(EDGE_NUMBERS);
  if (r < 0.75) return rng.pick(['', '1', 'w1', MARKER, 'x'.repeat(rng.pick([31, 32, 33, 64, 65, 256, 257, 900]))]);
  if (r < 0.85) return rng.pick<unknown>([null, true, [], {}, [1]]);
  return wildValue(rng, 1);
};

/** A well-shaped message (right type code, right arity mostly) with boundary field values. */
export const shapedFrame = (rng: Rng, worldId: string): unknown[] => {
  const t = rng.pick([1, 1, 2, 2, 2, 3, 3, 4, 0, 5, 6, 15, 16, 20, -1, 2 ** 32, 1.5]);
  const arity =
    t === 1
      ? rng.pick([5, 6, 6, 4, 7])
      : t === 2
        ? rng.pick([5, 5, 5, 4, 6])
        : t === 3
          ? rng.pick([2, 2, 1, 3])
          : t === 6
            ? rng.pick([1, 1, 2])
            : rng.int(1, 6);
  const a: unknown[] = [t];
  for (let i = 1; i < arity; i++) a.push(edgeField(rng));
  if (t === 1 && rng.chance(0.6)) {
    a[1] = rng.chance(0.85) ? 1 : rng.pick([0, 2, 99, -1, 1.5]);
    a[2] = rng.chance(0.7) ? worldId : a[2];
    a[3] = rng.chance(0.7) ? `fz${rng.int(0, 999)}` : a[3];
    a[4] = rng.chance(0.7) ? '' : a[4];
    if (a.length > 5 && rng.chance(0.5)) a[5] = rng.pick<unknown>([null, '', `forged-${rng.str(10, 'abcdef0123456789')}`]);
  }
  // A non-empty token names an identity (docs/PROTOCOL.md "One identity is one player per world"):
  // a later hello of it takes that player over (welcome resumed, no RESUME_REFUSED, the other
  // socket closed 4011), which a per-connection model cannot predict across concurrent lanes (at
  // WT_FUZZ_SCALE=5, seeds 1002-1004 and 1010-1012 failed on token '1'). So each shaped token is an
  // identity of its own: random, at least 12 characters, a longer one's length kept (the limit stays tried).
  if (t === 1 && typeof a[4] === 'string' && a[4] !== '') a[4] = rng.str(Math.max(12, a[4].length));
  // A purchase shaped like one ([4, key, item, quantity, expectedPrice]) half the time: unshaped, a valid one
  // came so rarely that a seed could decode none in 90,000 frames (codec fuzz seed 80298 at 3x).
  if (t === 4 && rng.chance(0.5)) {
    a.length = 5;
    a[1] = rng.chance(0.8) ? rng.str(rng.int(0, 24)) : edgeField(rng);
    a[2] = rng.chance(0.8) ? rng.pick(['arrow', 'potion', '', MARKER]) : edgeField(rng);
    a[3] = rng.chance(0.8) ? rng.int(0, 5) : edgeField(rng);
    a[4] = rng.chance(0.8) ? rng.int(0, 100) : edgeField(rng);
  }
  if (t === 2 && rng.chance(0.6)) {
    a[1] = rng.chance(0.7) ? rng.int(1, 100) : a[1];
    a[2] = rng.chance(0.6) ? rng.next() * 2 - 1 : a[2];
    a[3] = rng.chance(0.6) ? rng.pick([-1, 1, -0, 0.25]) : a[3];
    a[4] = rng.chance(0.7) ? rng.int(0, 10) : a[4];
  }
  return a;
};

/** Header bytes that declare far more data than follows. */
const LYING: readonly number[][] = [
  [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4G elements
  [0xdd, 0x00, 0x10, 0x00, 0x00, 0x02],
  [0xdf, 0xff, 0xff, 0xff, 0xff], // map32
  [0xdb, 0xff, 0xff, 0xff, 0xff, 0x41], // str32
  [0xc6, 0x7f, 0xff, 0xff, 0xff], // bin32
  [0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01], // ext32
  [0x92, 0x03, 0xdc, 0xff, 0xff],
  [0x95, 0x02, 0x01],
];

/** Extension type codes msgpackr reads (records, structures, bundles, dates, typed arrays...). */
const EXT_TYPES = [0x00, 0x42, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78, 0xff, 0x40, 0x3f, 0x7f, 0x01, 0xfe];

/** One hostile binary frame of at most `maxBytes` bytes. */
export const hostileFrame = (rng: Rng, worldId: string, maxBytes: number): Uint8Array => {
  const r = rng.next();
  let b: Uint8Array;
  if (r < 0.15) b = rng.bytes(rng.int(0, 64));
  else if (r < 0.2) b = rng.bytes(rng.chance(0.5) ? maxBytes : rng.int(64, maxBytes));
  else if (r < 0.3) {
    const base = pack(shapedFrame(rng, worldId));
    b = new Uint8Array(base);
    for (let i = rng.int(1, 3); i > 0; i--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
  } else if (r < 0.45) {
    const v = rng.chance(0.5) ? [rng.int(0, 4), wildValue(rng, 3), wildValue(rng, 2)] : wildValue(rng, 3);
    try {
      b = anything.pack(v);
    } catch {
      b = pack([MARKER]);
    }
  } else if (r < 0.5) b = records.pack(rng.chance(0.5) ? { a: 1, [MARKER]: [1, 2] } : [{ x: 1 }, { x: 2 }]);
  else if (r < 0.55) b = Uint8Array.from([...rng.pick(LYING), ...rng.bytes(rng.int(0, 8))]);
  else if (r < 0.6) {
    const k = rng.int(0, 3);
    const ext = rng.pick(EXT_TYPES);
    const body = rng.bytes(rng.int(1, 30));
    const head = k === 0 ? [0xd4, ext] : k === 1 ? [0xd5, ext] : k === 2 ? [0xd6, ext] : [0xc7, body.length, ext];
    b = Uint8Array.from([...(rng.chance(0.5) ? [0x92, 0x02] : []), ...head, ...body]);
  } else if (r < 0.65) {
    // Deep nesting: arrays (or maps) inside a frame, up to the payload limit.
    const depth = rng.int(50, maxBytes - 8);
    const open = rng.chance(0.5) ? 0x91 : 0x81;
    const bytes: number[] = [0x95, 0x02];
    for (let i = 0; i < depth; i++) {
      bytes.push(open);
      if (open === 0x81) bytes.push(0xa1, 0x61);
    }
    bytes.push(0x01, 0, 0, 0);
    b = Uint8Array.from(bytes.slice(0, maxBytes));
  } else if (r < 0.7) {
    // Huge (but in-limit) arrays and maps.
    const n = rng.int(100, Math.floor((maxBytes - 8) / 2));
    const bytes = [0x92, rng.int(1, 4), 0xdc, n >> 8, n & 0xff];
    for (let i = 0; i < n; i++) bytes.push(rng.chance(0.5) ? 0xc0 : 0x01);
    b = Uint8Array.from(bytes.slice(0, maxBytes));
  } else b = (rng.chance(0.3) ? float64 : anything).pack(shapedFrame(rng, worldId));
  return b.length > maxBytes ? b.subarray(0, maxBytes) : b;
};
