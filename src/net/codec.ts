/**
 * Server-side codec: decode + validate client frames; pack the (rare) non-snapshot server
 * messages. Snapshots have their own hand-rolled writer (snapshot-writer.ts).
 *
 * Client input is decoded by a structure-less msgpackr Unpackr (`useRecords: false`,
 * `mapsAsObjects`): a decoder with shared structures could be poisoned by one crafted frame
 * (LIBRARY-FACTS.md). Every field's type and range is checked after decoding; nothing decoded
 * is kept past the uWS message callback (the ArrayBuffer is emptied when it returns).
 */
import { Packr, Unpackr } from 'msgpackr';
import { WireErrorCode, type WireErrorCodeValue } from '../errors.js';
import { checkFrameStrings } from './frame-strings.js';
import type { FieldTableDescription } from './replicated-fields.js';
import {
  MAX_ACTIONS,
  MAX_NAME_LENGTH,
  MAX_TICKET_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_GAME_PAYLOAD_DEPTH,
  MAX_MESSAGE_NAME_LENGTH,
  MAX_WORLD_ID_LENGTH,
  MsgType,
  type ClientMsg,
  type TxResultMsg,
  type WelcomeMsg,
} from './protocol.js';

/** Result of decoding one client frame: a message, or a wire error code with a safe message. */
export type DecodeResult = { ok: true; msg: ClientMsg } | { ok: false; code: WireErrorCodeValue; message: string };

/** Server codec: one structure-less input decoder and one reused output Packr. */
export interface ServerCodec {
  decode(bytes: Uint8Array): DecodeResult;
  welcome(m: Omit<WelcomeMsg, 'type' | 'fields'> & { fields?: FieldTableDescription | null }): Uint8Array;
  error(code: string, message: string): Uint8Array;
  pong(clientTime: number, serverTime: number): Uint8Array;
  event(kind: number | string, npc: number, at: number, expiresAt: number): Uint8Array;
  redirect(worldId: string, url: string, ticket: string): Uint8Array;
  txResult(m: Omit<TxResultMsg, 'type'>): Uint8Array;
  wallet(coins: number, items: Record<string, number>, appliedSeq: number): Uint8Array;
}

const fail = (code: WireErrorCodeValue, message: string): DecodeResult => ({ ok: false, code, message });
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const hasControlChar = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
};

/**
 * Why `v` is not a game payload the server accepts, or null: `'plain'` when it holds anything but
 * plain msgpack values — nil, booleans, numbers, strings, bin (Uint8Array), arrays and maps (plain
 * objects). The input decoder also yields msgpackr's own extension types (timestamp → Date, Set,
 * Error, RegExp, BigInt, typed arrays), which a game's permissive schema (`Type.Unknown()`) would
 * pass on to its handler. `'depth'` when arrays and maps nest deeper than
 * {@link MAX_GAME_PAYLOAD_DEPTH}. Iterative: a deeply nested payload (as deep as the decoder
 * accepts) cannot overflow the stack here.
 */
export const payloadProblem = (v: unknown): 'plain' | 'depth' | null => {
  const stack: unknown[] = [v];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const x = stack.pop();
    const d = depths.pop() ?? 0;
    if (x === null || x === undefined) continue;
    const t = typeof x;
    if (t === 'string' || t === 'number' || t === 'boolean') continue;
    if (t !== 'object') return 'plain';
    if (Array.isArray(x)) {
      if (d >= MAX_GAME_PAYLOAD_DEPTH) return 'depth';
      for (let i = 0; i < x.length; i++) {
        stack.push(x[i]);
        depths.push(d + 1);
      }
      continue;
    }
    if (x instanceof Uint8Array) {
      if (x.constructor !== Uint8Array && !Buffer.isBuffer(x)) return 'plain';
      continue;
    }
    if (Object.getPrototypeOf(x) !== Object.prototype) return 'plain';
    if (d >= MAX_GAME_PAYLOAD_DEPTH) return 'depth';
    const o = x as Record<string, unknown>;
    for (const k in o) {
      stack.push(o[k]);
      depths.push(d + 1);
    }
  }
  return null;
};

/** True when `v` is made of plain msgpack values only, nested at most {@link MAX_GAME_PAYLOAD_DEPTH} levels ({@link payloadProblem}). */
export const isPlainPayload = (v: unknown): boolean => payloadProblem(v) === null;

/** Validate a decoded frame (any JS value) into a client message. Pure; exported for tests. */
export const validateClientFrame = (a: unknown): DecodeResult => {
  if (!Array.isArray(a) || a.length === 0) return fail(WireErrorCode.BAD_FRAME, 'frame must be a msgpack array [type, ...fields]');
  const t = a[0];
  if (typeof t !== 'number' || !Number.isInteger(t)) return fail(WireErrorCode.BAD_FRAME, 'first element must be an integer message type');
  switch (t) {
    case MsgType.HELLO: {
      if (a.length < 5 || a.length > 7)
        return fail(WireErrorCode.BAD_FIELD, 'hello is [1, version, worldId, name, token, resumeToken?, ticket?]');
      const [, version, worldId, name, token] = a;
      const resume = a.length >= 6 ? a[5] : null;
      const ticket = a.length === 7 ? a[6] : null;
      if (ticket !== null && ticket !== undefined && typeof ticket !== 'string')
        return fail(WireErrorCode.BAD_FIELD, 'hello.ticket must be a string or nil');
      // Any integer: the handler answers one other than PROTOCOL_VERSION with BAD_VERSION (and 4001).
      if (typeof version !== 'number' || !Number.isInteger(version))
        return fail(WireErrorCode.BAD_FIELD, 'hello.version must be an integer');
      if (typeof worldId !== 'string') return fail(WireErrorCode.BAD_FIELD, 'hello.worldId must be a string');
      if (typeof name !== 'string') return fail(WireErrorCode.BAD_FIELD, 'hello.name must be a string');
      if (typeof token !== 'string') return fail(WireErrorCode.BAD_FIELD, 'hello.token must be a string');
      if (resume !== null && resume !== undefined && typeof resume !== 'string')
        return fail(WireErrorCode.BAD_FIELD, 'hello.resumeToken must be a string or nil');
      if (worldId.length < 1 || worldId.length > MAX_WORLD_ID_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `hello.worldId must be 1..${MAX_WORLD_ID_LENGTH} UTF-16 code units`);
      if (name.length < 1 || name.length > MAX_NAME_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `hello.name must be 1..${MAX_NAME_LENGTH} UTF-16 code units`);
      // Stored with the player (a NUL is refused by PostgreSQL: the store would look unavailable) and logged.
      if (hasControlChar(name))
        return fail(WireErrorCode.OUT_OF_RANGE, 'hello.name must not contain control characters (U+0000..U+001F, U+007F)');
      if (token.length > MAX_TOKEN_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `hello.token must be at most ${MAX_TOKEN_LENGTH} UTF-16 code units`);
      if (typeof resume === 'string' && resume.length > MAX_TOKEN_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `hello.resumeToken must be at most ${MAX_TOKEN_LENGTH} UTF-16 code units`);
      if (typeof ticket === 'string' && ticket.length > MAX_TICKET_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `hello.ticket must be at most ${MAX_TICKET_LENGTH} UTF-16 code units`);
      return {
        ok: true,
        msg: {
          type: 1,
          version,
          worldId,
          name,
          token,
          resumeToken: typeof resume === 'string' && resume.length > 0 ? resume : null,
          ticket: typeof ticket === 'string' && ticket.length > 0 ? ticket : null,
        },
      };
    }
    case MsgType.INPUT: {
      if (a.length !== 5) return fail(WireErrorCode.BAD_FIELD, 'input is [2, seq, moveX, moveY, actions]');
      const [, seq, mx, my, actions] = a;
      if (typeof seq !== 'number' || !Number.isInteger(seq)) return fail(WireErrorCode.BAD_FIELD, 'input.seq must be an integer');
      if (!isNum(mx) || !isNum(my)) return fail(WireErrorCode.BAD_FIELD, 'input.moveX and input.moveY must be finite numbers');
      if (typeof actions !== 'number' || !Number.isInteger(actions))
        return fail(WireErrorCode.BAD_FIELD, 'input.actions must be an integer');
      if (seq < 1 || seq > 0xffffffff) return fail(WireErrorCode.OUT_OF_RANGE, 'input.seq must be 1..4294967295');
      if (mx < -1 || mx > 1 || my < -1 || my > 1) return fail(WireErrorCode.OUT_OF_RANGE, 'input.moveX and input.moveY must be in -1..1');
      if (actions < 0 || actions > MAX_ACTIONS) return fail(WireErrorCode.OUT_OF_RANGE, 'input.actions must be 0..4294967295');
      return { ok: true, msg: { type: 2, seq, moveX: mx, moveY: my, actions } };
    }
    case MsgType.PING: {
      if (a.length !== 2 || !isNum(a[1])) return fail(WireErrorCode.BAD_FIELD, 'ping is [3, clientTime:number]');
      return { ok: true, msg: { type: 3, clientTime: a[1] } };
    }
    case MsgType.PURCHASE: {
      // Shapes only: values (key syntax, item, quantity, price) are the ledger's to refuse with TX_* codes.
      if (a.length !== 5) return fail(WireErrorCode.BAD_FIELD, 'purchase is [4, key, item, quantity, expectedPrice]');
      const [, key, item, quantity, price] = a;
      if (typeof key !== 'string' || typeof item !== 'string')
        return fail(WireErrorCode.BAD_FIELD, 'purchase.key and purchase.item must be strings');
      if (typeof quantity !== 'number' || typeof price !== 'number')
        return fail(WireErrorCode.BAD_FIELD, 'purchase.quantity and purchase.expectedPrice must be numbers');
      if (key.length > 128 || item.length > 64)
        return fail(WireErrorCode.OUT_OF_RANGE, 'purchase.key is at most 128 and purchase.item at most 64 UTF-16 code units');
      return { ok: true, msg: { type: 4, key, item, quantity, expectedPrice: price } };
    }
    case MsgType.GAME: {
      // The payload is checked against the message's own schema by the game server (it knows the world).
      if (a.length !== 3 || typeof a[1] !== 'string') return fail(WireErrorCode.BAD_FIELD, 'game message is [5, name:string, payload]');
      if (a[1].length < 1 || a[1].length > MAX_MESSAGE_NAME_LENGTH)
        return fail(WireErrorCode.OUT_OF_RANGE, `game message name must be 1..${MAX_MESSAGE_NAME_LENGTH} UTF-16 code units`);
      const problem = payloadProblem(a[2]);
      if (problem === 'plain')
        return fail(
          WireErrorCode.BAD_FIELD,
          'game message payload must be plain msgpack values (nil, boolean, number, string, bin, array, map): no extension types',
        );
      if (problem === 'depth')
        return fail(
          WireErrorCode.BAD_FIELD,
          `game message payload must not nest arrays and maps deeper than ${MAX_GAME_PAYLOAD_DEPTH} levels`,
        );
      return { ok: true, msg: { type: 5, name: a[1], payload: a[2] } };
    }
    case MsgType.LEAVE:
      if (a.length !== 1) return fail(WireErrorCode.BAD_FIELD, 'leave is [6] (no fields)');
      return { ok: true, msg: { type: 6 } };
    default:
      return fail(WireErrorCode.UNKNOWN_TYPE, `unknown message type ${t}`);
  }
};

/** Message types whose strings reach players, the store or the game (src/net/frame-strings.ts). */
const carriesStrings = (type: number): boolean => type === MsgType.HELLO || type === MsgType.PURCHASE || type === MsgType.GAME;

/** Field names of the string-bearing messages, by element index (0 is the type code). */
const FIELD_NAMES: Record<number, readonly string[]> = {
  [MsgType.HELLO]: ['hello', 'hello.version', 'hello.worldId', 'hello.name', 'hello.token', 'hello.resumeToken', 'hello.ticket'],
  [MsgType.PURCHASE]: ['purchase', 'purchase.key', 'purchase.item', 'purchase.quantity', 'purchase.expectedPrice'],
  [MsgType.GAME]: ['game message', 'game message name', 'game message payload'],
};

/**
 * A decoded and validated frame whose strings are refused byte-wise: a str that is not valid UTF-8
 * (`BAD_FIELD`, naming the field) or msgpackr's own extensions, which carry strings the byte walk
 * cannot check (`BAD_FRAME`).
 */
const checkStrings = (bytes: Uint8Array, r: DecodeResult & { ok: true }): DecodeResult => {
  const s = checkFrameStrings(bytes);
  if (s.ok) return r;
  const field = FIELD_NAMES[r.msg.type]?.[s.element] ?? 'frame';
  if (s.problem === 'utf8') return fail(WireErrorCode.BAD_FIELD, `${field} is not valid UTF-8`);
  return fail(
    WireErrorCode.BAD_FRAME,
    `${field} uses a msgpack extension (records, bundled strings): hello, purchase and game frames must be plain msgpack`,
  );
};

/** Create the server codec (one per game server; not shared across threads). */
export const createServerCodec = (): ServerCodec => {
  // copyBuffers: a msgpack `bin` in a game message's payload is copied, not a view of the uWS
  // buffer (emptied when the callback returns; the payload is applied in a later step).
  const input = new Unpackr({
    useRecords: false,
    mapsAsObjects: true,
    structuredClone: false,
    moreTypes: false,
    int64AsType: 'number',
    copyBuffers: true,
  });
  // Output: records off so any msgpack decoder reads our frames; one Packr reused for every message.
  const out = new Packr({ useRecords: false, variableMapSize: true });
  const copy = (v: unknown[]): Uint8Array => out.pack(v);
  return {
    decode(bytes) {
      let value: unknown;
      try {
        value = input.unpack(bytes);
      } catch {
        // msgpackr errors may quote decoded data: never echo or log them.
        return fail(WireErrorCode.BAD_FRAME, 'frame is not valid msgpack');
      }
      const r = validateClientFrame(value);
      return r.ok && carriesStrings(r.msg.type) ? checkStrings(bytes, r) : r;
    },
    welcome: (m) => {
      const a: unknown[] = [
        MsgType.WELCOME,
        m.sessionId,
        m.playerId,
        m.stepRate,
        m.worldTime,
        m.step,
        m.resumeToken,
        m.positionScale,
        m.interestRadius,
        m.resumed,
      ];
      if (m.bounds) a.push([m.bounds.minX, m.bounds.minY, m.bounds.maxX, m.bounds.maxY]);
      // Element 11 only when the game replicates custom fields: the default welcome stays as documented.
      if (m.bounds && m.fields) a.push(m.fields);
      return copy(a);
    },
    error: (code, message) => copy([MsgType.ERROR, code, message]),
    pong: (clientTime, serverTime) => copy([MsgType.PONG, clientTime, serverTime]),
    event: (kind, npc, at, expiresAt) => copy([MsgType.EVENT, kind, npc, at, expiresAt]),
    redirect: (worldId, url, ticket) => copy([MsgType.REDIRECT, worldId, url, ticket]),
    txResult: (m) =>
      copy([MsgType.TX_RESULT, m.key, m.status, m.code, m.seq, m.item, m.quantity, m.coinsDelta, m.coins, m.items, m.replayed]),
    wallet: (coins, items, appliedSeq) => copy([MsgType.WALLET, coins, items, appliedSeq]),
  };
};
