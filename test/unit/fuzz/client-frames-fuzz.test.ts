/**
 * Fuzz: what the client library does with server frames it did not expect (a buggy or hostile server, a
 * proxy that damages frames, a version mismatch). The client's message path — `decodeServerFrame`, then
 * `applyServerMessage` and `viewChange` (src/client/client.ts `#onMessage`) — is fed real frames of every
 * server message type with elements replaced by hostile values, cut, extended, and random bytes. It never
 * throws (a throw there leaves the socket's message handler: an uncaught exception, which ends a Node
 * process), and a valid frame after any damaged one still applies exactly. Before the row checks in
 * src/net/protocol-parse.ts, a snapshot whose `enter` was a number threw `s.enter is not iterable`, and a
 * region frame holding a null entity `Cannot read properties of null`.
 */
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createAckClock } from '../../../src/client/ack-clock.js';
import { applyServerMessage, type ClientState, decodeServerFrame } from '../../../src/client/apply.js';
import { createClientStats } from '../../../src/client/types.js';
import { createView, viewChange } from '../../../src/client/view.js';
import { wildValue, edgeField } from '../../fuzz-helpers/frames.js';
import { fuzzScale, fuzzSeed, type Rng, withSeed } from '../../fuzz-helpers/rng.js';

const FRAMES = Math.round(8_000 * fuzzScale());

/** Real frames of every server message type (docs/PROTOCOL.md), the own player 7. */
const WELCOME = [
  16,
  1,
  7,
  20,
  12.5,
  250,
  'resume-token',
  16,
  100,
  false,
  [0, 0, 1000, 1000],
  [
    [
      9,
      [
        ['hp', 10],
        ['ammo', 1],
      ],
    ],
  ],
];
const SNAPSHOT = [
  17,
  251,
  12.55,
  1_700_000_000_000,
  3,
  [
    [7, 1600, 1600, 1, 0],
    [8, 3200, 160, 9, 1, 500, 3],
  ],
  [[7, 3, 1616, 1632]],
  [],
];
const UPDATE = [17, 252, 12.6, 1_700_000_000_050, 4, [], [[8, 16 | 32, 490, 2]], []];
const REGION = [
  24,
  253,
  12.65,
  1_700_000_000_100,
  [7, 5],
  12,
  100,
  256,
  [
    [7, 1600, 1600, 1, 0],
    [11, 1700, 1600, 2, 1],
  ],
];
const OTHERS: unknown[][] = [
  [18, 'wave', 8, 12.7, 13.7],
  [19, 1, 2],
  [20, 'BAD_FIELD', 'moveX must be a number'],
  [21, 'buy-1', 'ok', null, 41, 'potion', 2, -6, 94, { potion: 2 }, false],
  [22, 94, { potion: 2 }, 41],
  [23, 'w1', 'ws://127.0.0.1:7701', 'ticket'],
  [25, 254, 'score', { red: 1 }],
];
const BASE: unknown[][] = [WELCOME, SNAPSHOT, UPDATE, REGION, ...OTHERS];

const packr = new Packr({ useRecords: false, moreTypes: true, variableMapSize: true });

const clone = (v: unknown): unknown => (Array.isArray(v) ? v.map(clone) : v);

/** A damaged copy of a base frame: an element (at any depth of the rows) replaced, the frame cut or extended. */
const damaged = (rng: Rng): unknown => {
  const f = clone(rng.pick(BASE)) as unknown[];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const r = rng.next();
    let target: unknown[] = f;
    // Walk into a row now and then: the rows are where the view code indexes.
    while (rng.chance(0.5)) {
      const inner = target.filter((x) => Array.isArray(x)) as unknown[][];
      if (!inner.length) break;
      target = rng.pick(inner);
    }
    const i = rng.int(0, Math.max(0, target.length - 1));
    if (r < 0.7) target[i] = rng.chance(0.5) ? edgeField(rng) : wildValue(rng, 2);
    else if (r < 0.85) target.length = rng.int(0, target.length);
    else target.push(wildValue(rng, 1));
  }
  return f;
};

const freshState = (): ClientState => ({
  url: 'ws://127.0.0.1:1',
  lastRedirect: null,
  view: createView(16),
  welcome: null,
  lastSnapshot: null,
  lastRegion: null,
  wallet: null,
  errors: [],
  events: [],
  messages: [],
  stats: createClientStats(),
});

describe('fuzz: server frames the client did not expect', () => {
  it('never throw out of the message path; valid frames after them still apply exactly', async () => {
    await withSeed('client-frames', fuzzSeed(0xc11e), (rng, ctx) => {
      const dec = new Unpackr({ useRecords: false, mapsAsObjects: true });
      const acks = createAckClock();
      let c = freshState();
      let ignored = 0;
      // The client's #onMessage, minus the socket.
      const receive = (bytes: Uint8Array): void => {
        const m = decodeServerFrame(dec, bytes);
        if (!m) {
          ignored++;
          return;
        }
        const before = new Set(c.view.entities.keys());
        applyServerMessage(c, m, acks, undefined, 1_700_000_000_200);
        viewChange(before, c.view, m.type === 17 ? m.update.map((u) => u[0] ?? 0) : m.type === 16 ? [] : null);
      };
      for (let i = 0; i < FRAMES; i++) {
        ctx.at = `frame ${i}`;
        let bytes: Uint8Array;
        if (rng.chance(0.1)) bytes = rng.bytes(rng.int(0, 64));
        else {
          try {
            bytes = packr.pack(damaged(rng));
          } catch {
            continue; // a value msgpackr cannot pack
          }
        }
        receive(bytes);
        if (i % 500 === 499) {
          // Valid frames still apply exactly after whatever came before.
          c = freshState();
          receive(packr.pack(WELCOME));
          receive(packr.pack(SNAPSHOT));
          expect(c.view.entities.get(7)).toMatchObject({ x: 101, y: 102, kind: 1 });
          expect(c.view.entities.get(8)).toMatchObject({ x: 200, y: 10, kind: 9, fields: { hp: 50, ammo: 3 } });
          receive(packr.pack(UPDATE));
          expect(c.view.entities.get(8)).toMatchObject({ fields: { hp: 49, ammo: 2 } });
          receive(packr.pack(REGION));
          expect([...c.view.entities.keys()].sort()).toEqual([11, 7]);
          expect(c.view.inconsistencies).toBe(0);
        }
      }
      // Most damaged frames are still messages (a field of the wrong type reads as NaN or null); some are not.
      expect(ignored).toBeGreaterThan(FRAMES / 20);
      expect(ignored).toBeLessThan(FRAMES);
    });
  });
});
