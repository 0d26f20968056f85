import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createServerCodec } from '../../../src/net/codec.js';
import { parseServerFrame } from '../../../src/net/protocol-parse.js';
import { Unpackr } from 'msgpackr';

const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

describe('transaction messages on the wire (docs/PROTOCOL.md bytes)', () => {
  const c = createServerCodec();
  it('purchase decodes; shapes are checked, values are left to the ledger', () => {
    expect(c.decode(pack([4, 'k1', 'potion', 3, 10]))).toEqual({
      ok: true,
      msg: { type: 4, key: 'k1', item: 'potion', quantity: 3, expectedPrice: 10 },
    });
    expect(c.decode(pack([4, 'k1', 'potion', 0.5, -1]))).toMatchObject({ ok: true });
    expect(c.decode(pack([4, 'k1', 'potion', 3]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    expect(c.decode(pack([4, 1, 'potion', 3, 10]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    expect(c.decode(pack([4, 'k', 'potion', '3', 10]))).toMatchObject({ ok: false, code: 'BAD_FIELD' });
    expect(c.decode(pack([4, 'k'.repeat(129), 'potion', 3, 10]))).toMatchObject({ ok: false, code: 'OUT_OF_RANGE' });
  });
  it('txResult and wallet bytes match the documentation and parse back', () => {
    const ok = c.txResult({
      key: 'k1',
      status: 'ok',
      code: null,
      seq: 7,
      item: 'potion',
      quantity: 3,
      coinsDelta: -30,
      coins: 70,
      items: { potion: 3 },
      replayed: false,
    });
    expect(hex(ok)).toBe('9b 15 a2 6b 31 a2 6f 6b c0 07 a6 70 6f 74 69 6f 6e 03 e2 46 81 a6 70 6f 74 69 6f 6e 03 c2');
    const w = c.wallet(70, { potion: 3 }, 7);
    expect(hex(w)).toBe('94 16 46 81 a6 70 6f 74 69 6f 6e 03 07');
    const dec = new Unpackr({ useRecords: false, mapsAsObjects: true });
    expect(parseServerFrame(dec.unpack(ok))).toEqual({
      type: 21,
      key: 'k1',
      status: 'ok',
      code: null,
      seq: 7,
      item: 'potion',
      quantity: 3,
      coinsDelta: -30,
      coins: 70,
      items: { potion: 3 },
      replayed: false,
    });
    expect(parseServerFrame(dec.unpack(w))).toEqual({ type: 22, coins: 70, items: { potion: 3 }, appliedSeq: 7 });
  });
});
