/**
 * A purchase or hello whose strings are not valid UTF-8 is refused `BAD_FIELD`, naming the field,
 * counted, and changes nothing (src/net/frame-strings.ts). Before, msgpackr decoded each bad byte
 * as U+FFFD and the frame went on with a string its client never sent: the purchase was answered
 * by a `txResult` carrying the mangled key (`k\uFFFD` for `k\xc1`, which no client waiting on its
 * own key matches), a player joined under the mangled name. A string holding a real U+FFFD (valid
 * UTF-8, `ef bf bd`) is an ordinary string. A real runtime, real sockets.
 */
import WebSocket from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import type { ErrorMsg, TxResultMsg } from '../../../src/net/protocol.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-tx-bytes-'));
let rt: Runtime;
beforeAll(async () => {
  const args = ['--port', '0', '--admin-port', '0', '--npcs', '5', '--stats-interval', '0', '--data-dir', join(dir, 'data')];
  rt = createRuntime(parseOptions(args, {}), createLogger('silent'));
  await rt.start();
});
afterAll(async () => {
  await rt.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `[4, key, item, 1, 10]` with the key's and item's bytes as given (fixstr: each under 32 bytes). */
const purchaseBytes = (key: number[], item: number[]): Uint8Array =>
  new Uint8Array([0x95, 0x04, 0xa0 | key.length, ...key, 0xa0 | item.length, ...item, 0x01, 0x0a]);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

describe('client strings that are not valid UTF-8', () => {
  it('is refused BAD_FIELD naming the field, counted, nothing charged, no txResult carrying a mangled key', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'bytes');
    const answers: Array<ErrorMsg | TxResultMsg> = [];
    c.on((m) => {
      if (m.type === 20 || m.type === 21) answers.push(m);
    });
    const before = rt.gameServer.stats().errorsByCode.BAD_FIELD ?? 0;
    try {
      const bad: Array<[number[], number[], string]> = [
        [[0x6b, 0xc1], ascii('potion'), 'purchase.key'],
        [[0x6b, 0xc2], ascii('potion'), 'purchase.key'],
        [[0x6b, 0xed, 0xa0, 0x80], ascii('potion'), 'purchase.key'], // an encoded lone surrogate
        [ascii('k-ok'), [0x70, 0xc0, 0x80], 'purchase.item'], // an overlong NUL
      ];
      for (const [key, item] of bad) c.sendRaw(purchaseBytes(key, item));
      // Then a good purchase on the same socket: the answers come in order, so it shows the wallet
      // after the four frames above (a potion bought by any of them would show as 2 potions, 980 coins).
      const ok = await c.purchase('after', 'potion', 1, 10);
      expect(ok).toMatchObject({ status: 'ok', replayed: false, coinsDelta: -10, quantity: 1 });
      const startCoins = (ok.coins ?? 0) + 10;
      expect(ok.items).toEqual({ potion: 1 });
      expect(startCoins).toBe(1000); // --starting-coins default: the bad frames took nothing
      const early = answers.slice(0, bad.length);
      expect(early.map((m) => m.type)).toEqual([20, 20, 20, 20]);
      expect(early.map((m) => (m as ErrorMsg).code)).toEqual(['BAD_FIELD', 'BAD_FIELD', 'BAD_FIELD', 'BAD_FIELD']);
      expect(early.map((m) => (m as ErrorMsg).message)).toEqual(bad.map(([, , field]) => `${field} is not valid UTF-8`));
      expect((rt.gameServer.stats().errorsByCode.BAD_FIELD ?? 0) - before).toBe(bad.length);
    } finally {
      c.close();
    }
  });

  it('a hello whose name is not valid UTF-8 is refused BAD_FIELD; a name holding a real U+FFFD joins', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    try {
      // [1, 1, "1", "n\xc1", ""]: before, the player joined named "n\uFFFD", a name its client never sent.
      c.sendRaw(new Uint8Array([0x95, 0x01, 0x01, 0xa1, 0x31, 0xa2, 0x6e, 0xc1, 0xa0]));
      const e = (await c.waitFor((m) => m.type === 20)) as ErrorMsg;
      expect(e).toMatchObject({ code: 'BAD_FIELD', message: 'hello.name is not valid UTF-8' });
      const w = await c.join('1', 'n\uFFFD');
      expect(w.playerId).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });
});

describe('the client library', () => {
  it('refuses a purchase key or item with a lone surrogate at once (WT_ERR_CLIENT_BAD_STRING), sending nothing', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'surrogate');
    const before = rt.gameServer.stats().errorsByCode.BAD_FIELD ?? 0;
    try {
      // Before, the frame went out (msgpackr writes `ed a0 80`), the server refused it BAD_FIELD and
      // the promise waited out its timeout: this one is 60 s, past the test's own limit.
      await expect(c.purchase('k\uD800', 'potion', 1, 10, 60_000)).rejects.toMatchObject({
        code: 'WT_ERR_CLIENT_BAD_STRING',
        details: { field: 'key' },
      });
      await expect(c.purchase('k-1', 'potion\uDC00', 1, 10, 60_000)).rejects.toMatchObject({
        code: 'WT_ERR_CLIENT_BAD_STRING',
        details: { field: 'item' },
      });
      // A surrogate pair is a character like any other: sent, and refused by the ledger by its own key.
      expect(await c.purchase('k\uD83D\uDE00', 'potion', 1, 10)).toMatchObject({
        key: 'k\uD83D\uDE00',
        status: 'rejected',
        code: 'TX_BAD_REQUEST',
      });
      expect((rt.gameServer.stats().errorsByCode.BAD_FIELD ?? 0) - before).toBe(0);
    } finally {
      c.close();
    }
  });
});
