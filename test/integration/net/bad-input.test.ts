import type WebSocket from 'ws';
import { Packr, pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldtickClient } from '../../../src/client/client.js';
import { inputFrame, helloFrame, type ErrorMsg } from '../../../src/net/protocol.js';
import { startTestServer, settle, type TestServer } from './harness.js';

let ts: TestServer;
let good: WorldtickClient;
let goodSnapshots = 0;

beforeAll(async () => {
  ts = await startTestServer({ net: { maxStrikes: 3, messageRatePerSecond: 20, messageBurst: 20 } });
  good = await ts.client();
  await good.join('w1', 'good');
  good.on((m) => {
    if (m.type === 17) goodSnapshots++;
  });
});
afterAll(async () => {
  await ts.stop();
});

/** After each case, the well-behaved session must still get its snapshot for a new step. */
const goodStillServed = async (): Promise<void> => {
  await ts.idle(); // joins and leaves of the case applied (by steps the harness runs)
  const before = goodSnapshots;
  ts.step(1);
  await good.waitForStep(ts.world.clock.step - 1);
  expect(goodSnapshots).toBe(before + 1);
  expect(good.open).toBe(true);
};

const firstError = async (c: WorldtickClient): Promise<ErrorMsg> => (await c.waitFor((m) => m.type === 20)) as ErrorMsg;

describe('bad input: each case gets its code; other sessions keep being served', () => {
  const cases: Array<[string, (c: WorldtickClient) => void, string, boolean]> = [
    ['undecodable frame', (c) => c.sendRaw(new Uint8Array([0xc1, 0xff, 0x00])), 'BAD_FRAME', false],
    ['not an array', (c) => c.sendFrame({ type: 1 }), 'BAD_FRAME', false],
    ['unknown type', (c) => c.sendFrame([99, 1]), 'UNKNOWN_TYPE', false],
    ['wrong field type', (c) => c.sendFrame([2, 'one', 0, 0, 0]), 'BAD_FIELD', true],
    ['out-of-range value', (c) => c.sendFrame(inputFrame(1, 5, 0)), 'OUT_OF_RANGE', true],
    ['input before hello', (c) => c.sendFrame(inputFrame(1, 0, 0)), 'NOT_JOINED', false],
    [
      'deeply nested garbage',
      (c) => {
        let v: unknown = 1;
        for (let i = 0; i < 200; i++) v = [v];
        c.sendFrame([2, v, 0, 0, 0]);
      },
      'BAD_FIELD',
      true,
    ],
  ];
  for (const [name, send, code, joined] of cases) {
    it(`${name} → ${code}`, async () => {
      const c = await ts.client();
      if (joined) await c.join('w1', 'bad');
      send(c);
      const e = await firstError(c);
      expect(e.code).toBe(code);
      expect(c.open).toBe(true); // one offence is a strike, not a close
      await goodStillServed();
      c.close();
    });
  }

  it('a text frame → BAD_FRAME', async () => {
    const c = await ts.client();
    (c.socket as unknown as WebSocket).send('hello', { binary: false });
    expect((await firstError(c)).code).toBe('BAD_FRAME');
    await goodStillServed();
  });

  it('a second hello → ALREADY_JOINED', async () => {
    const c = await ts.client();
    await c.join('w1', 'x');
    c.sendFrame(helloFrame('w1', 'x'));
    expect((await firstError(c)).code).toBe('ALREADY_JOINED');
    await goodStillServed();
  });

  it('a non-increasing input sequence → OUT_OF_RANGE', async () => {
    const c = await ts.client();
    await c.join('w1', 'x');
    c.sendFrame(inputFrame(5, 0, 0));
    c.sendFrame(inputFrame(5, 0, 0));
    expect((await firstError(c)).code).toBe('OUT_OF_RANGE');
  });

  it.each([99, -1, 2 ** 32])('a wrong protocol version (%d) → BAD_VERSION and close 4001', async (version) => {
    const c = await ts.client();
    c.sendFrame(helloFrame('w1', 'x', '', null, version));
    expect((await firstError(c)).code).toBe('BAD_VERSION');
    await c.closed();
    expect(c.closeCode).toBe(4001);
    await goodStillServed();
  });

  it('an unknown world → UNKNOWN_WORLD and close 4004', async () => {
    const c = await ts.client();
    c.sendFrame(helloFrame('nope', 'x'));
    expect((await firstError(c)).code).toBe('UNKNOWN_WORLD');
    await c.closed();
    expect(c.closeCode).toBe(4004);
    await goodStillServed();
  });

  it('repeated offences close the socket with 4002', async () => {
    const c = await ts.client();
    for (let i = 0; i < 3; i++) c.sendFrame([77]);
    await c.closed();
    expect(c.closeCode).toBe(4002);
    expect(c.errors.map((e) => e.code)).toEqual(['UNKNOWN_TYPE', 'UNKNOWN_TYPE', 'UNKNOWN_TYPE']);
    expect(c.closeReason).toBe('too many errors (last: UNKNOWN_TYPE)'); // the close says which
    await goodStillServed();
  });

  it('an input flood is rate limited (RATE_LIMITED) and then closed (4002)', async () => {
    const c = await ts.client();
    await c.join('w1', 'flood');
    for (let i = 0; i < 60; i++) c.sendInput(0.5, 0);
    await c.closed();
    expect(c.errors.some((e) => e.code === 'RATE_LIMITED')).toBe(true);
    expect(c.closeCode).toBe(4002);
    expect(c.closeReason).toBe('too many errors (last: RATE_LIMITED)');
    await goodStillServed();
  });

  it('a frame over maxPayloadLength closes only that socket', async () => {
    const c = await ts.client();
    c.sendRaw(pack([3, 'x'.repeat(4000)]));
    await c.closed();
    expect(c.closeCode).not.toBe(1000);
    await goodStillServed();
  });

  it('a msgpackr record/structure frame cannot poison later decoding', async () => {
    const c = await ts.client();
    // A record-encoded frame (shared-structure extension) followed by a normal hello.
    const rec = new Packr({ useRecords: true, structures: [] });
    c.sendRaw(rec.pack({ a: 1, b: 2 }));
    expect((await firstError(c)).code).toBe('BAD_FRAME');
    const w = await c.join('w1', 'after-record');
    expect(w.playerId).toBeGreaterThan(0);
    await goodStillServed();
  });

  it('a purchase frame of the wrong shape → BAD_FIELD; a world without a ledger answers TX_UNAVAILABLE', async () => {
    const c = await ts.client();
    await c.join('w1', 'buyer');
    c.sendFrame([4, 'key', 'item', 1]);
    expect((await firstError(c)).code).toBe('BAD_FIELD');
    expect(await c.purchase('key', 'item', 1, 1)).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
    await goodStillServed();
  });

  it('every offence was counted in the server stats', async () => {
    await settle(20);
    const s = ts.server.stats();
    for (const code of [
      'BAD_FRAME',
      'UNKNOWN_TYPE',
      'BAD_FIELD',
      'OUT_OF_RANGE',
      'NOT_JOINED',
      'ALREADY_JOINED',
      'BAD_VERSION',
      'UNKNOWN_WORLD',
      'RATE_LIMITED',
    ]) {
      expect(s.errorsByCode[code], code).toBeGreaterThan(0);
    }
    expect(s.closesByCode['4002']).toBeGreaterThanOrEqual(2);
    expect(s.closesByCode['4001']).toBe(3); // versions 99, -1 and 2^32
    expect(s.internalErrors).toBe(0);
    expect(good.open).toBe(true);
  });
});
