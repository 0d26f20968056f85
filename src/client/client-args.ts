/**
 * The arguments of the client's methods, checked as a JavaScript caller passes them (docs/GAME-API.md
 * "The client library"): before anything is sent or waited for, a wrong type is `WT_ERR_OPTION_INVALID`
 * naming the method and the argument. Before (stop 66, test/integration/fuzz/client-api-fuzz.test.ts) a
 * BigInt key, a timeout that was an object or a close code out of range threw TypeErrors or
 * RangeErrors from deep inside (`JSON.stringify`, `setTimeout`, the WebSocket's `close`). Values of
 * the right type are the server's to judge (a NaN input, an empty world id: its error frames).
 */
import type { Packr } from 'msgpackr';
import { shown } from '../core/shown.js';
import { optionInvalid } from '../errors.js';

/** What an argument must be. */
export type ArgKind = 'string' | 'string-or-null' | 'number' | 'timeout' | 'close-code' | 'close-reason';

const utf8 = new TextEncoder(); // the library runs in browsers too: no Buffer

/** The longest timer Node and browsers keep (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const problem = (kind: ArgKind, v: unknown): string | null => {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? null : 'must be a string';
    case 'string-or-null':
      return v === null || typeof v === 'string' ? null : 'must be a string or null';
    case 'number':
      return typeof v === 'number' ? null : 'must be a number';
    case 'timeout':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIMEOUT_MS
        ? null
        : `must be a number of ms from 0 to ${MAX_TIMEOUT_MS}`;
    case 'close-code':
      return Number.isInteger(v) && (v === 1000 || ((v as number) >= 3000 && (v as number) <= 4999))
        ? null
        : 'must be 1000 or an integer 3000..4999 (the codes a WebSocket client may send)';
    case 'close-reason':
      return typeof v === 'string' && utf8.encode(v).length <= 123 ? null : 'must be a string of at most 123 UTF-8 bytes';
  }
};

/** Throw `WT_ERR_OPTION_INVALID` listing each argument of `method` that is not of its kind. */
const checkArgs = (method: string, args: ReadonlyArray<readonly [name: string, value: unknown, kind: ArgKind]>): void => {
  const problems: string[] = [];
  for (const [name, value, kind] of args) {
    const p = problem(kind, value);
    if (p !== null) problems.push(`${method}: ${name} ${p} (got ${shown(value)})`);
  }
  if (problems.length) throw optionInvalid(problems);
};

/** `frame` msgpack-encoded; `WT_ERR_OPTION_INVALID` when it cannot be (a Symbol, a value msgpack has no form for). */
export const packFrame = (enc: Packr, frame: unknown): Uint8Array => {
  try {
    return enc.pack(frame);
  } catch (err) {
    throw optionInvalid([`the frame cannot be encoded as msgpack: ${err instanceof Error ? err.message.slice(0, 120) : shown(err)}`]);
  }
};

/** The argument checks of the client's methods, one call each (client.ts). */
export const argsOf = {
  join: (worldId: unknown, name: unknown, token: unknown, resumeToken: unknown, timeoutMs: unknown, firstTicket: unknown): void =>
    checkArgs('join', [
      ['worldId', worldId, 'string'],
      ['name', name, 'string'],
      ['token', token, 'string'],
      ['resumeToken', resumeToken, 'string-or-null'],
      ['timeoutMs', timeoutMs, 'timeout'],
      ['firstTicket', firstTicket, 'string-or-null'],
    ]),
  purchase: (key: unknown, item: unknown, quantity: unknown, expectedPrice: unknown, timeoutMs: unknown): void =>
    checkArgs('purchase', [
      ['key', key, 'string'],
      ['item', item, 'string'],
      ['quantity', quantity, 'number'],
      ['expectedPrice', expectedPrice, 'number'],
      ['timeoutMs', timeoutMs, 'timeout'],
    ]),
  sendInput: (moveX: unknown, moveY: unknown, actions: unknown): void =>
    checkArgs('sendInput', [
      ['moveX', moveX, 'number'],
      ['moveY', moveY, 'number'],
      ['actions', actions, 'number'],
    ]),
  waitForStep: (step: unknown, timeoutMs: unknown): void =>
    checkArgs('waitForStep', [
      ['step', step, 'number'],
      ['timeoutMs', timeoutMs, 'timeout'],
    ]),
  sendMessage: (name: unknown): void => checkArgs('sendMessage', [['name', name, 'string']]),
  ping: (timeoutMs: unknown): void => checkArgs('ping', [['timeoutMs', timeoutMs, 'timeout']]),
  onMessage: (name: unknown): void => checkArgs('onMessage', [['name', name, 'string']]),
  waitFor: (timeoutMs: unknown): void => checkArgs('waitFor', [['timeoutMs', timeoutMs, 'timeout']]),
  close: (code: unknown, reason: unknown): void =>
    checkArgs('close', [
      ['code', code, 'close-code'],
      ['reason', reason, 'close-reason'],
    ]),
};
