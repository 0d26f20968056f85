/**
 * src/net/frame-strings.ts: the byte walk of a client frame's strings, and the codec's answers
 * built on it (BAD_FIELD naming the field for invalid UTF-8, BAD_FRAME for msgpackr's own
 * extensions in hello, purchase and game frames).
 */
import { Packr, pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createServerCodec } from '../../../src/net/codec.js';
import { checkFrameStrings } from '../../../src/net/frame-strings.js';
import { createRng, fuzzSeed, type Rng } from '../../fuzz-helpers/rng.js';

const u8 = (...b: number[]): Uint8Array => new Uint8Array(b);
/** A str of the given bytes in its shortest header (fixstr / str8 / str16). */
const str = (bytes: number[]): number[] => {
  const n = bytes.length;
  if (n < 32) return [0xa0 | n, ...bytes];
  if (n < 256) return [0xd9, n, ...bytes];
  return [0xda, n >> 8, n & 0xff, ...bytes];
};

/** A random plain msgpack value: every type the walk must step over. */
const plainValue = (rng: Rng, depth: number): unknown => {
  const k = rng.int(0, depth > 3 ? 6 : 8);
  if (k === 0) return rng.int(-2_000_000_000, 2_000_000_000) * (rng.chance(0.3) ? 1e6 : 1);
  if (k === 1) return rng.next() * 1e6;
  if (k === 2) return rng.chance(0.5) ? null : rng.chance(0.5);
  if (k === 3) return rng.str(rng.int(0, rng.chance(0.1) ? 300 : 20));
  if (k === 4) return String.fromCodePoint(...Array.from({ length: rng.int(0, 8) }, () => rng.int(0x80, 0x10ffff) & ~0x800));
  if (k === 5) return Buffer.from(rng.bytes(rng.int(0, rng.chance(0.1) ? 300 : 10)));
  if (k === 6) return rng.int(-32, 127);
  if (k === 7) return Array.from({ length: rng.int(0, rng.chance(0.05) ? 40 : 5) }, () => plainValue(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(0, 5); i > 0; i--) o[rng.str(rng.int(1, 6))] = plainValue(rng, depth + 1);
  return o;
};

describe('checkFrameStrings', () => {
  it('passes every plain frame msgpackr writes (seeded: ints, floats, nil, bools, str8/16, bin, arrays, maps)', () => {
    const rng = createRng(fuzzSeed(7301));
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    for (let i = 0; i < 2000; i++) {
      const frame = [5, rng.str(rng.int(1, 20)), plainValue(rng, 0)];
      expect(checkFrameStrings(packr.pack(frame)), `seed ${rng.seed} frame ${i}`).toEqual({ ok: true });
    }
  });

  it('names the top-level element holding invalid UTF-8, at any depth and in map keys', () => {
    // [4, "k\xc1", "potion", 1, 10]
    expect(checkFrameStrings(u8(0x95, 0x04, ...str([0x6b, 0xc1]), ...str([0x70]), 0x01, 0x0a))).toEqual({
      ok: false,
      problem: 'utf8',
      element: 1,
    });
    // [5, "m", {"a": [1, {"\xff": 2}]}]: a map key two levels down
    expect(checkFrameStrings(u8(0x93, 0x05, ...str([0x6d]), 0x81, ...str([0x61]), 0x92, 0x01, 0x81, ...str([0xff]), 0x02))).toEqual({
      ok: false,
      problem: 'utf8',
      element: 2,
    });
    // A str8 and a str16 past valid prefixes; bin bytes are not strings.
    const long = Array.from({ length: 40 }, () => 0x61);
    expect(checkFrameStrings(u8(0x93, 0x05, 0xc4, 0x02, 0xc1, 0xff, ...str([...long, 0xe2, 0x82])))).toEqual({
      ok: false,
      problem: 'utf8',
      element: 2,
    });
    expect(checkFrameStrings(u8(0x92, 0x05, ...str([...Array.from({ length: 300 }, () => 0x62), 0xed, 0xa0, 0x80])))).toMatchObject({
      problem: 'utf8',
    });
  });

  it('refuses overlong forms, surrogates and code points above U+10FFFF; accepts a real U+FFFD', () => {
    const at1 = (bytes: number[]) => checkFrameStrings(u8(0x92, 0x05, ...str(bytes)));
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xb0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82]]) {
      expect(at1(bad), Buffer.from(bad).toString('hex')).toEqual({ ok: false, problem: 'utf8', element: 1 });
    }
    expect(at1([0x6b, 0xef, 0xbf, 0xbd])).toEqual({ ok: true });
    expect(at1([0xf0, 0x9f, 0x98, 0x80])).toEqual({ ok: true });
  });

  it("reports msgpackr's own extensions (records, bundled strings, timestamps) and a frame that is not an array; d4 00 00 is a missing value", () => {
    expect(checkFrameStrings(new Packr({ useRecords: true }).pack([5, 'm', { a: 'x' }]))).toEqual({
      ok: false,
      problem: 'extension',
      element: 2,
    });
    expect(checkFrameStrings(new Packr({ useRecords: false, bundleStrings: true }).pack([4, 'key-1', 'potion', 1, 10]))).toEqual({
      ok: false,
      problem: 'extension',
      element: 1,
    });
    expect(checkFrameStrings(pack([5, 'm', new Date(0)]))).toEqual({ ok: false, problem: 'extension', element: 2 });
    expect(checkFrameStrings(pack({ type: 1 }))).toEqual({ ok: false, problem: 'extension', element: 0 });
    expect(checkFrameStrings(u8(0x96, 0x01, 0x01, ...str([0x31]), ...str([0x6e]), 0xa0, 0xd4, 0x00, 0x00))).toEqual({ ok: true });
  });
});

describe('the codec on string bytes', () => {
  const codec = createServerCodec();
  it('invalid UTF-8 in hello, purchase and game frames is BAD_FIELD naming the field', () => {
    expect(codec.decode(u8(0x95, 0x01, 0x01, ...str([0x31]), ...str([0x6e, 0xc1]), 0xa0))).toEqual({
      ok: false,
      code: 'BAD_FIELD',
      message: 'hello.name is not valid UTF-8',
    });
    expect(codec.decode(u8(0x95, 0x04, ...str([0x6b]), ...str([0x70, 0xff]), 0x01, 0x0a))).toMatchObject({
      message: 'purchase.item is not valid UTF-8',
    });
    expect(codec.decode(u8(0x93, 0x05, ...str([0x6d]), 0x91, ...str([0xc3])))).toMatchObject({
      code: 'BAD_FIELD',
      message: 'game message payload is not valid UTF-8',
    });
  });

  it('records and bundled strings in those frames are BAD_FRAME; the same frames in plain msgpack decode', () => {
    const rec = codec.decode(new Packr({ useRecords: true }).pack([5, 'm', { a: 'x' }]));
    expect(rec).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    expect(!rec.ok && rec.message).toContain('game message payload uses a msgpack extension');
    expect(codec.decode(new Packr({ useRecords: false, bundleStrings: true }).pack([4, 'key-1', 'potion', 1, 10]))).toMatchObject({
      ok: false,
      code: 'BAD_FRAME',
    });
    const plain = new Packr({ useRecords: false });
    expect(codec.decode(plain.pack([5, 'm', { a: 'x' }]))).toMatchObject({ ok: true });
    expect(codec.decode(plain.pack([4, 'key-1', 'potion', 1, 10]))).toMatchObject({ ok: true });
  });
});
