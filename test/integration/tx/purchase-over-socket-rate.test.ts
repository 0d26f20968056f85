/**
 * A `purchase` frame over the socket's message rate (token bucket, docs/PROTOCOL.md "Client →
 * server") is answered by a `txResult` `rejected` / `TX_RATE_LIMITED` carrying its key, besides
 * the wire `RATE_LIMITED` error and its strike: the client knows at once that the key was not
 * taken and may retry it later, instead of waiting out its timeout (the client flood drill sent
 * 60 purchases right after join with a burst of 60 and timed out on the last one). Nothing is
 * charged or recorded for it. A real runtime, real sockets.
 */
import WebSocket from 'ws';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';

const PURCHASES = 12;
const dir = mkdtempSync(join(tmpdir(), 'wt-tx-rate-'));
const config = join(dir, 'config.json');
// Burst 6 at 0.5 per second: hello takes one token, so at most 5 + 1 of the 12 purchases pass.
writeFileSync(config, JSON.stringify({ net: { messageBurst: 6, messageRatePerSecond: 0.5, maxStrikes: 100 } }));

let rt: Runtime;
beforeAll(async () => {
  const args = ['--config', config, '--port', '0', '--admin-port', '0', '--npcs', '5', '--stats-interval', '0'];
  rt = createRuntime(parseOptions([...args, '--data-dir', join(dir, 'data')], {}), createLogger('silent'));
  await rt.start();
});
afterAll(async () => {
  await rt.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a purchase over the socket message rate', () => {
  it('gets a txResult TX_RATE_LIMITED with its key at once (and the wire error), not silence until the timeout', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'eager');
    const wireErrors: string[] = [];
    c.on((m) => {
      if (m.type === 20) wireErrors.push(m.code);
    });
    try {
      const results = await Promise.all(Array.from({ length: PURCHASES }, (_, i) => c.purchase(`r${i}`, 'no-such-item', 1, 1, 3000)));
      expect(results.map((r) => r.key)).toEqual(Array.from({ length: PURCHASES }, (_, i) => `r${i}`));
      const limited = results.filter((r) => r.code === 'TX_RATE_LIMITED');
      const passed = results.filter((r) => r.code === 'TX_UNKNOWN_ITEM');
      expect(limited.length + passed.length).toBe(PURCHASES);
      expect(limited.length).toBeGreaterThanOrEqual(PURCHASES - 6);
      for (const r of limited) expect(r).toMatchObject({ status: 'rejected', seq: null, quantity: 0, coinsDelta: 0, replayed: false });
      // The over-rate frames are still wire errors with a strike, as before.
      // Each error follows its txResult on the same socket: wait (bounded) for the last ones to be read.
      for (let i = 0; i < 150 && wireErrors.length < limited.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(wireErrors.filter((code) => code === 'RATE_LIMITED').length).toBe(limited.length);
    } finally {
      c.close();
    }
  });
});
