/**
 * Audit: deeply nested game-message payloads. msgpackr decodes about 4,000 levels of nesting, but
 * packing such a value overflows the stack from about 1,400 levels (JSON.stringify and
 * structuredClone soon after). A payload a permissive schema (`Type.Unknown()`) accepted was
 * buffered, applied and — with `--record` — packed into the input log by a timer: an uncaught
 * RangeError there ended the process. With the default `maxPayloadLength` (1,024) a frame cannot
 * nest that deep; a game that raises it (here 4,096) could be crashed by one frame. Now arrays and
 * maps nested deeper than 64 levels are refused `BAD_FIELD` (strike, counted) at the edge, before
 * any schema or handler sees them; and a fact the recorder cannot encode (game code can still push
 * one) stops the recording with an error logged instead of throwing out of its flush timer.
 * Real server from `startServer` with `--record`, real sockets.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineGame, defineMessage, startServer, Type, type RunningServer } from '../../src/index.js';
import { MAX_GAME_PAYLOAD_DEPTH } from '../../src/net/protocol.js';
import { openRaw, type RawWs } from '../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../helpers/game-server-options.js';
import { tempDataDir } from '../helpers/data-dir.js';

const depths: number[] = [];
let server: RunningServer;
let url = '';

/** Nesting depth of arrays/maps (a scalar is 0). */
const depthOf = (v: unknown): number => {
  let d = 0;
  let x = v;
  while (typeof x === 'object' && x !== null) {
    d++;
    x = Array.isArray(x) ? x[0] : Object.values(x)[0];
  }
  return d;
};

beforeAll(async () => {
  const game = defineGame({
    name: 'audit-depth',
    world: { npcs: 0 },
    net: { maxPayloadLength: 4096 },
    messages: [defineMessage({ name: 'any', schema: Type.Unknown(), apply: (_w, _p, payload) => void depths.push(depthOf(payload)) })],
  });
  server = await startServer(game, {
    options: { ...testServerOptions('wt-audit-depth-'), record: join(tempDataDir('wt-audit-rec-').dir, 'input.log') },
  });
  url = `ws://127.0.0.1:${server.port}`;
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

/** `[5, "any", <n nested arrays around nil>]` as raw msgpack (one byte per level). */
const nestedArrays = (n: number): Buffer =>
  Buffer.concat([Buffer.from([0x93, 0x05, 0xa3, 0x61, 0x6e, 0x79]), Buffer.alloc(n, 0x91), Buffer.from([0xc0])]);
/** `[5, "any", {"a": {"a": ... nil}}]` with n maps. */
const nestedMaps = (n: number): Buffer =>
  Buffer.concat([
    Buffer.from([0x93, 0x05, 0xa3, 0x61, 0x6e, 0x79]),
    Buffer.concat(Array.from({ length: n }, () => Buffer.from([0x81, 0xa1, 0x61]))),
    Buffer.from([0xc0]),
  ]);

const join1 = async (name: string): Promise<RawWs> => {
  const c = await openRaw(url);
  c.send([1, 1, '1', name, '', null]);
  await c.waitFor(16);
  return c;
};

describe('audit: nesting depth of game-message payloads', () => {
  it(`up to ${MAX_GAME_PAYLOAD_DEPTH} levels reach the handler; deeper is BAD_FIELD at the edge, and the recorder never sees it`, async () => {
    expect(MAX_GAME_PAYLOAD_DEPTH).toBe(64);
    const c = await join1('deep');
    const before = server.runtime.gameServer.stats();
    c.ws.send(nestedArrays(64), { binary: true });
    c.ws.send(nestedMaps(64), { binary: true });
    for (let t = 0; depths.length < 2; t++) {
      if (t > 1000) throw new Error('the 64-level payloads were not applied');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(depths).toEqual([64, 64]);

    for (const frame of [nestedArrays(65), nestedMaps(65), nestedArrays(3000)]) c.ws.send(frame, { binary: true });
    await c.waitFor(20, () => c.errors().length >= 3);
    expect(c.errors()).toEqual(['BAD_FIELD', 'BAD_FIELD', 'BAD_FIELD']);
    expect(c.msgs.find((m) => m[0] === 20)?.[2]).toMatch(/deeper than 64 levels/);
    const after = server.runtime.gameServer.stats();
    expect((after.errorsByCode.BAD_FIELD ?? 0) - (before.errorsByCode.BAD_FIELD ?? 0)).toBe(3);
    expect(after.strikes - before.strikes).toBe(3);

    // The recorder packs the step frames every 100 ms: give it a few flushes, then the server still serves.
    await new Promise((r) => setTimeout(r, 400));
    expect(depths).toEqual([64, 64]);
    const other = await join1('other');
    expect(other.errors()).toEqual([]);
    expect(server.runtime.gameServer.stats().internalErrors).toBe(0);
    c.ws.close();
    other.ws.close();
  });

  it('a fact the input log cannot encode stops the recording (logged), not the process', async () => {
    // What the edge now refuses, pushed past it the way game code could (a deep value of its own).
    const c = await openRaw(url);
    c.send([1, 1, '1', 'inside', '', null]);
    const w = await c.waitFor(16);
    let deep: unknown = null;
    for (let i = 0; i < 3000; i++) deep = [deep];
    server.world.ingest.push('msg:any', w[2] as number, { session: w[1] as number, payload: deep });
    for (let t = 0; !depths.includes(3000); t++) {
      if (t > 1000) throw new Error('the deep fact was not applied');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 400)); // a few recorder flushes
    const other = await join1('still-serving');
    expect(other.errors()).toEqual([]);
    c.ws.close();
    other.ws.close();
  });
});
