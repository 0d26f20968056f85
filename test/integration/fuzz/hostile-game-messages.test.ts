/**
 * Hostile probe: game-defined client messages (`[5, name, payload]`, docs/GAME-API.md
 * `defineMessage`) through a real server started with `startServer` — what a studio's handler can
 * be handed. The protocol fuzz test runs a runtime without a game (every game message is an
 * unknown name), so payload validation against a real schema is probed here: prototype keys,
 * NaN/±Infinity/-0, 64-bit integers, timestamps (Date), binary, deep nesting, extra keys, wrong
 * shapes. Asserted: a refused payload is `BAD_FIELD` with a strike, counted, and never reaches the
 * handler; what reaches a handler matches its schema and is made of plain msgpack values (no Date,
 * Map or class instance); Object.prototype is untouched; another player's messages keep applying.
 */
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineGame, defineMessage, startServer, Type, type RunningServer } from '../../../src/index.js';
import { joinRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { MARKER } from '../../fuzz-helpers/frames.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
/** Packs msgpackr's own extension types (Set, Error, RegExp, BigInt, typed arrays). */
const extPackr = new Packr({ useRecords: false, moreTypes: true, structuredClone: true, variableMapSize: true });
/** A msgpack map with exactly these keys (a Map packs `__proto__` as a real key). */
const map = (entries: Array<[string, unknown]>): Map<string, unknown> => new Map(entries);

const applied: Array<{ name: string; payload: unknown; player: number }> = [];
let server: RunningServer;
let url = '';

beforeAll(async () => {
  const game = defineGame({
    name: 'hostile-msgs',
    world: { npcs: 0 },
    messages: [
      defineMessage({
        name: 'heal',
        schema: Type.Object(
          { target: Type.Integer({ minimum: 0 }), amount: Type.Number({ minimum: 0, maximum: 100 }) },
          { additionalProperties: false },
        ),
        apply: (_w, player, payload) => void applied.push({ name: 'heal', payload, player }),
      }),
      defineMessage({
        name: 'note',
        schema: Type.Unknown(),
        apply: (_w, player, payload) => void applied.push({ name: 'note', payload, player }),
      }),
    ],
  });
  server = await startServer(game, {
    options: testServerOptions(),
  });
  url = `ws://127.0.0.1:${server.port}`;
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

/** Send raw frame bytes, then a ping; resolves the error codes answered before the pong. */
const sendRaw = async (c: RawWs, bytes: Uint8Array, tag: number): Promise<string[]> => {
  const before = c.msgs.length;
  c.ws.send(bytes, { binary: true });
  c.send([3, tag]);
  await c.waitFor(19, (m) => m[1] === tag);
  return c.msgs
    .slice(before)
    .filter((m) => m[0] === 20)
    .map((m) => `${String(m[1])}:${String(m[2])}`);
};

const isPlain = (v: unknown, depth = 0): boolean => {
  if (depth > 2000) return false;
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return true;
  if (v instanceof Uint8Array) return v.constructor === Uint8Array || v.constructor === Buffer;
  if (Array.isArray(v)) return v.every((x) => isPlain(x, depth + 1));
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every((x) => isPlain(x, depth + 1));
  return false;
};

const deep = (n: number): Uint8Array => {
  // {target: 1, amount: [[[...]]]} with n nested arrays, packed by hand.
  const head = packr.pack(
    map([
      ['target', 1],
      ['amount', null],
    ]),
  );
  return Buffer.concat([head.subarray(0, head.length - 1), Buffer.alloc(n, 0x91), Buffer.from([0xc0])]);
};

describe('hostile: game messages against their schemas', () => {
  it('refuses hostile payloads with BAD_FIELD (strike, counted); handlers see only schema-valid plain values', async () => {
    const good = await joinRaw(url, 'good');
    const refused: Array<[string, Uint8Array]> = [
      ['__proto__ key', packr.pack([5, 'heal', map([['__proto__', { target: 1, amount: 5 }]])])],
      [
        'constructor.prototype',
        packr.pack([
          5,
          'heal',
          map([
            ['constructor', { prototype: { polluted: 1 } }],
            ['target', 1],
            ['amount', 1],
          ]),
        ]),
      ],
      ['NaN', packr.pack([5, 'heal', { target: 1, amount: Number.NaN }])],
      ['Infinity', packr.pack([5, 'heal', { target: 1, amount: Number.POSITIVE_INFINITY }])],
      ['-Infinity', packr.pack([5, 'heal', { target: 1, amount: Number.NEGATIVE_INFINITY }])],
      ['fraction id', packr.pack([5, 'heal', { target: 1.5, amount: 1 }])],
      ['timestamp', packr.pack([5, 'heal', { target: new Date(5), amount: 1 }])],
      ['extra key', packr.pack([5, 'heal', { target: 1, amount: 1, [MARKER]: 1 }])],
      ['array', packr.pack([5, 'heal', [1, 5]])],
      ['binary', packr.pack([5, 'heal', new Uint8Array([1, 2])])],
      ['deep nesting', Buffer.concat([Buffer.from([0x93, 0x05, 0xa4]), Buffer.from('heal'), deep(900)])],
      ['nil', packr.pack([5, 'heal', null])],
      ['string', packr.pack([5, 'heal', MARKER])],
      ['negative', packr.pack([5, 'heal', { target: -1, amount: 1 }])],
      [
        'int64 -2^63',
        Buffer.concat([
          Buffer.from([0x93, 0x05, 0xa4]),
          Buffer.from('heal'),
          Buffer.from([0x82, 0xa6]),
          Buffer.from('target'),
          Buffer.from([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xa6]),
          Buffer.from('amount'),
          Buffer.from([1]),
        ]),
      ],
    ];
    const stats0 = server.runtime.gameServer.stats();
    let tag = 1;
    for (const [what, bytes] of refused) {
      const { c } = await joinRaw(url, `h${tag}`);
      const errs = await sendRaw(c, bytes, tag++);
      expect(errs.length, what).toBe(1);
      expect(errs[0].split(':')[0], `${what}: ${errs[0]}`).toBe('BAD_FIELD');
      c.ws.close();
    }
    // Valid edge values reach the handler as they are.
    const valid: Array<[string, Uint8Array, unknown]> = [
      [
        '-0 (float64)',
        Buffer.concat([
          Buffer.from([0x93, 0x05, 0xa4]),
          Buffer.from('heal'),
          Buffer.from([0x82, 0xa6]),
          Buffer.from('target'),
          Buffer.from([0x00, 0xa6]),
          Buffer.from('amount'),
          Buffer.from([0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ]),
        { target: 0, amount: -0 },
      ],
      ['max', packr.pack([5, 'heal', { target: 2 ** 53, amount: 100 }]), { target: 2 ** 53, amount: 100 }],
    ];
    const { c: v, player: vp } = await joinRaw(url, 'valid');
    for (const [what, bytes] of valid) expect(await sendRaw(v, bytes, tag++), what).toEqual([]);
    // The permissive message: a payload of any shape is accepted, but what reaches the handler
    // must be plain msgpack values (docs/PROTOCOL.md "Game messages": maps, arrays, strings,
    // numbers, booleans, nil, bin).
    const notesOk: Array<[string, Uint8Array]> = [
      ['map with __proto__', packr.pack([5, 'note', map([['__proto__', { polluted: 1 }]])])],
      ['bin', packr.pack([5, 'note', new Uint8Array([9])])],
      ['nested plain', packr.pack([5, 'note', { a: [1, 'x', null, true, { b: new Uint8Array([1]) }] }])],
    ];
    for (const [what, bytes] of notesOk) expect(await sendRaw(v, bytes, tag++), what).toEqual([]);
    const notesRefused: Array<[string, Uint8Array]> = [
      ['timestamp', packr.pack([5, 'note', new Date(0)])],
      ['nested timestamp', packr.pack([5, 'note', { at: [new Date(1)] }])],
      ['Set', extPackr.pack([5, 'note', new Set([1])])],
      ['Error', extPackr.pack([5, 'note', new Error(MARKER)])],
      ['RegExp', extPackr.pack([5, 'note', { r: /(a+)+$/ }])],
      ['BigInt', extPackr.pack([5, 'note', [2n ** 70n]])],
      ['Float64Array', extPackr.pack([5, 'note', new Float64Array(2)])],
    ];
    let noteRefusals = 0;
    for (const [what, bytes] of notesRefused) {
      const { c } = await joinRaw(url, `n${tag}`);
      const errs = await sendRaw(c, bytes, tag++);
      expect(
        errs.map((e) => e.split(':')[0]),
        what,
      ).toEqual(['BAD_FIELD']);
      expect(errs[0], what).not.toContain(MARKER);
      noteRefusals++;
      c.ws.close();
    }
    good.c.send([5, 'heal', { target: good.player, amount: 3 }]);
    const deadline = Date.now() + 5000;
    while (!applied.some((a) => a.player === good.player) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'target')).toBe(false);
    const s = server.runtime.gameServer.stats();
    expect(s.internalErrors).toBe(0);
    expect((s.errorsByCode.BAD_FIELD ?? 0) - (stats0.errorsByCode.BAD_FIELD ?? 0)).toBe(refused.length + noteRefusals);
    expect(applied.filter((a) => a.player === good.player)).toEqual([
      { name: 'heal', payload: { target: good.player, amount: 3 }, player: good.player },
    ]);
    const heals = applied.filter((a) => a.name === 'heal' && a.player === vp).map((a) => a.payload);
    expect(heals).toEqual(valid.map((x) => x[2]));
    expect(Object.is((heals[0] as { amount: number }).amount, -0)).toBe(true);
    for (const a of applied) expect(isPlain(a.payload), `${a.name} ${String(a.payload)}`).toBe(true);
  });
});
