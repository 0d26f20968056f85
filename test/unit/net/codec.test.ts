import { pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createServerCodec, validateClientFrame } from '../../../src/net/codec.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { createWriter, writeArrayHeader, writeFloat64, writeInt } from '../../../src/net/snapshot-writer.js';

describe('client frame validation', () => {
  const codec = createServerCodec();
  it('accepts the documented messages', () => {
    expect(codec.decode(pack([1, 1, 'w', 'n', '', null]))).toEqual({
      ok: true,
      msg: { type: 1, version: 1, worldId: 'w', name: 'n', token: '', resumeToken: null, ticket: null },
    });
    expect(codec.decode(pack([1, 1, 'w', 'n', 't']))).toMatchObject({ ok: true });
    expect(codec.decode(pack([1, 1, 'w', 'n', '', null, 'v1.abc.def']))).toMatchObject({ ok: true, msg: { ticket: 'v1.abc.def' } });
    expect(codec.decode(pack([1, 1, 'w', 'n', '', null, 7]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    // A string of the right type but over the documented 0..2048 is out of range, like every other string limit.
    expect(codec.decode(pack([1, 1, 'w', 'n', '', null, 'x'.repeat(2049)]))).toMatchObject({ ok: false, code: 'OUT_OF_RANGE' });
    expect(codec.decode(pack([1, 1, 'w', 'n', '', null, 'x'.repeat(2048)]))).toMatchObject({ ok: true });
    expect(codec.decode(pack([2, 7, -1, 0.25, 3]))).toEqual({ ok: true, msg: { type: 2, seq: 7, moveX: -1, moveY: 0.25, actions: 3 } });
    expect(codec.decode(pack([3, 1.5]))).toEqual({ ok: true, msg: { type: 3, clientTime: 1.5 } });
    expect(codec.decode(pack([6]))).toEqual({ ok: true, msg: { type: 6 } });
  });
  it.each([
    [[2, 1, 0, 0], 'BAD_FIELD'],
    [[2, 1.5, 0, 0, 0], 'BAD_FIELD'],
    [[2, 0, 0, 0, 0], 'OUT_OF_RANGE'],
    [[2, 1, Number.NaN, 0, 0], 'BAD_FIELD'],
    [[2, 1, 0, 1.01, 0], 'OUT_OF_RANGE'],
    [[2, 1, 0, 0, -1], 'OUT_OF_RANGE'],
    [[2, 2 ** 32, 0, 0, 0], 'OUT_OF_RANGE'],
    [[1, 1, 'w', '', ''], 'OUT_OF_RANGE'],
    [[1, 1, 'w', 'x'.repeat(33), ''], 'OUT_OF_RANGE'],
    [[1, 1, 5, 'n', ''], 'BAD_FIELD'],
    [[1, 1.5, 'w', 'n', ''], 'BAD_FIELD'],
    [[1, '1', 'w', 'n', ''], 'BAD_FIELD'],
    [[1, 1, 'w', 'n', '', 7], 'BAD_FIELD'],
    [[3], 'BAD_FIELD'],
    [[6, null], 'BAD_FIELD'],
    [[6, 'bye'], 'BAD_FIELD'],
    [[50], 'UNKNOWN_TYPE'],
    [['x'], 'BAD_FRAME'],
    [[], 'BAD_FRAME'],
    [{ 0: 1 }, 'BAD_FRAME'],
    ['str', 'BAD_FRAME'],
  ])('%j → %s', (frame, code) => {
    expect(validateClientFrame(frame)).toMatchObject({ ok: false, code });
  });
  it('any integer version decodes: the server answers one other than 1 with BAD_VERSION (docs/PROTOCOL.md)', () => {
    for (const v of [-1, 0, 2, 2 ** 32])
      expect(codec.decode(pack([1, v, 'w', 'n', '']))).toMatchObject({ ok: true, msg: { type: 1, version: v } });
  });
  it('string limits count UTF-16 code units and their messages say so', () => {
    const units = / UTF-16 code units$/;
    const cases: Array<[unknown[], string]> = [
      [[1, 1, 'w', '😀'.repeat(17), ''], 'hello.name must be 1..32'],
      [[1, 1, 'w'.repeat(65), 'n', ''], 'hello.worldId must be 1..64'],
      [[1, 1, 'w', 'n', 't'.repeat(257)], 'hello.token must be at most 256'],
      [[1, 1, 'w', 'n', '', 'r'.repeat(257)], 'hello.resumeToken must be at most 256'],
      [[1, 1, 'w', 'n', '', null, 'x'.repeat(2049)], 'hello.ticket must be at most 2048'],
      [[4, 'k'.repeat(129), 'arrow', 1, 1], 'purchase.key is at most 128 and purchase.item at most 64'],
      [[5, 'n'.repeat(65), 1], 'game message name must be 1..64'],
    ];
    for (const [frame, text] of cases) {
      const r = validateClientFrame(frame);
      expect(r).toMatchObject({ ok: false, code: 'OUT_OF_RANGE' });
      expect(r.ok === false && r.message.startsWith(text) && units.test(r.message), JSON.stringify(r)).toBe(true);
    }
    expect(validateClientFrame([1, 1, 'w', '😀'.repeat(16), ''])).toMatchObject({ ok: true });
  });
  it('garbage bytes are BAD_FRAME and never echo decoded data', () => {
    const r = codec.decode(new Uint8Array([0xd9, 0x05, 0x41, 0x42]));
    expect(r).toMatchObject({ ok: false, code: 'BAD_FRAME', message: 'frame is not valid msgpack' });
    expect(codec.decode(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).toMatchObject({ ok: false, code: 'BAD_FRAME' });
  });
  it('map and extension types decode to values validation refuses', () => {
    expect(codec.decode(pack([2, new Map([[1, 2]]), 0, 0, 0]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    expect(codec.decode(pack([2, new Date(0), 0, 0, 0]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    expect(codec.decode(pack([2, 1n << 60n, 0, 0, 0]))).toMatchObject({ ok: false });
  });
});

describe('snapshot writer emits standard msgpack', () => {
  it('integers of every width, floats and array headers round-trip through msgpackr', () => {
    const values = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31)];
    const w = createWriter(4);
    writeArrayHeader(w, values.length + 1);
    for (const v of values) writeInt(w, v);
    writeFloat64(w, 1234.5678);
    expect(unpack(w.bytes.subarray(0, w.pos))).toEqual([...values, 1234.5678]);
    for (const n of [0, 15, 16, 65535, 65536]) {
      const a = createWriter(8);
      writeArrayHeader(a, n);
      for (let i = 0; i < n; i++) writeInt(a, i & 1);
      expect((unpack(a.bytes.subarray(0, a.pos)) as unknown[]).length).toBe(n);
    }
  });
});

describe('net config validation', () => {
  it('names every bad field', () => {
    expect(() => resolveNetConfig({ idleTimeoutSeconds: 4, maxStrikes: 0, bogus: 1 } as never)).toThrow(
      /net\.bogus is not a known option.*net\.maxStrikes must be an integer between 1 and 1000000.*net\.idleTimeoutSeconds must be 0 or 8\.\.960/,
    );
    expect(() => resolveNetConfig({ skipBufferedBytes: 2048, maxBackpressure: 1024 })).toThrow(
      'net.skipBufferedBytes must be below net.maxBackpressure (got 2048 and 1024)',
    );
    // A default the operator never set is named as such.
    expect(() => resolveNetConfig({ maxBackpressure: 1027 })).toThrow(
      /must be below net\.maxBackpressure \(got \d+ \(the default\) and 1027\)/,
    );
    expect(resolveNetConfig({}).positionScale).toBe(16);
  });
});
