/**
 * One identity live in two worlds at once (allowed: "one identity is one player per world") has one
 * ledger, decided and applied by each world's own ledger service. Found by the fuzz campaign
 * (bench/fuzz-campaign.ts, seed 17 after 11-16; also seeds 11-20 with no rewards): the second world
 * decided on the balance it had loaded and applied its own entry past the first world's (its wallet
 * watermark `appliedSeq` passed the foreign entry, which no catch-up read again). Two failures before
 * the fix: the wallet stayed short for good (1007 instead of 1107) and — worse — the same coins
 * could be spent in both worlds (ledger balance −1000, 200 potions; `GET /api/v1/ledger/verify`
 * `negative-coins`). Now each batch commits only if the players' stored balances are the ones it was
 * decided on (`Store.commitLedger` `expect`), else it is refused `WT_ERR_LEDGER_STALE`, the balance
 * reloaded, the wallet caught up and the batch decided again. A storm of purchases in both worlds at
 * once (before: every purchase of both worlds `ok`, twice what the coins cover) now sells exactly what
 * the coins cover. Real runtime, SQLite store, real sockets and admin HTTP.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-cross-world-');
const TOKEN = 'tok-a';
const playerId = `t:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 32)}`;
let rt: Runtime;
const sockets: RawWs[] = [];

const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`http://127.0.0.1:${rt.admin.port}${path}`, {
    method,
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const join2 = async (world: string): Promise<void> => {
  const c = await openRaw(`ws://127.0.0.1:${rt.gameServer.port}`);
  sockets.push(c);
  c.send([1, 1, world, `p-${world}`, TOKEN, null]);
  await c.waitFor(16);
};

/** The live wallet of the player in `world` once bound, caught up and past seq `seq` (bounded wait). */
const liveAt = async (world: string, seq: number): Promise<{ coins: number; appliedSeq: number }> => {
  for (let i = 0; ; i++) {
    const path = `/api/v1/worlds/${world}/ledger/players/${playerId}`;
    const live = (await admin('GET', path)).json.live as { coins: number; appliedSeq: number } | null;
    if (live && live.appliedSeq >= seq && live.appliedSeq > 0) return live;
    if (i > 250) throw new Error(`no live wallet in ${world} at seq ${seq}: ${JSON.stringify(live)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Real clients of one token joined to world `1` and `w2`, with the coins of each one's first wallet message. */
const joinBoth = async (token: string): Promise<{ clients: WorldtickClient[]; coins: number[] }> => {
  const clients: WorldtickClient[] = [];
  const coins: number[] = [];
  for (const w of ['1', 'w2']) {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallet = c.waitFor((m) => m.type === 22 && m.coins > 0, 5000);
    await c.join(w, `${token}-${w}`, token);
    coins.push(((await wallet) as { coins: number }).coins);
    clients.push(c);
  }
  return { clients, coins };
};

beforeAll(async () => {
  const args = ['--port', '0', '--admin-port', '0', '--npcs', '5', '--stats-interval', '0', '--admin-token', 't'];
  rt = createRuntime(parseOptions([...args, '--data-dir', join(dataDir.dir, 'data')], {}), createLogger('silent'));
  await rt.start();
  expect((await admin('POST', '/api/v1/worlds', { id: 'w2', npcs: 2, size: 200 })).status).toBe(201);
});
afterAll(async () => {
  for (const c of sockets) c.ws.close();
  await rt.stop();
  dataDir.remove();
});

describe('one identity live in two worlds', () => {
  it("a world's wallet keeps another world's entry after committing a later one of its own", async () => {
    await join2('1');
    await join2('w2');
    const grant = async (world: string, key: string, coins: number): Promise<number> => {
      const r = await admin('POST', `/api/v1/worlds/${world}/ledger/rewards`, { playerId, key, coins });
      expect(r.status).toBe(200);
      return (r.json.result as { seq: number }).seq;
    };
    const before = (await liveAt('w2', 0)).coins;
    await liveAt('1', 0);
    await grant('1', 'in-world-1', 100);
    const last = await grant('w2', 'in-world-w2', 7);
    expect((await liveAt('w2', last)).coins).toBe(before + 107); // before the fix: before + 7
    const verify = await admin('GET', '/api/v1/ledger/verify');
    expect(verify.json.mismatches).toEqual([]);
  });

  it('the same coins cannot be spent in both worlds: the second purchase is decided on the balance the first left', async () => {
    const { clients, coins } = await joinBoth('tok-spend');
    try {
      expect(coins[0]).toBe(coins[1]);
      const quantity = coins[0] / 10; // potions at 10: everything the player has
      const first = await clients[0].purchase('all-in-1', 'potion', quantity, 10);
      expect(first).toMatchObject({ status: 'ok', coins: 0 });
      const second = await clients[1].purchase('all-in-w2', 'potion', quantity, 10);
      // Refused, and answered with the wallet that already holds the first world's purchase.
      expect(second).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', coins: 0, items: { potion: quantity } });
      const verify = await admin('GET', '/api/v1/ledger/verify');
      expect(verify.json.mismatches).toEqual([]);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('a purchase storm in both worlds at once: exactly what the coins cover is sold, and verify finds nothing', async () => {
    const joined = await joinBoth('tok-storm');
    const { clients } = joined;
    const coins = joined.coins[0];
    try {
      const each = Math.ceil(coins / 20 / 2) + 5; // two potions (20 coins) a purchase; together more than the coins cover
      const results = await Promise.all(
        clients.flatMap((c, w) => Array.from({ length: each }, (_, i) => c.purchase(`storm-${w}-${i}`, 'potion', 2, 10))),
      );
      const ok = results.filter((r) => r.status === 'ok').length;
      expect(results.filter((r) => r.status !== 'ok').map((r) => r.code)).toEqual(Array(results.length - ok).fill('TX_INSUFFICIENT_FUNDS'));
      expect(ok).toBe(coins / 20);
      const verify = await admin('GET', '/api/v1/ledger/verify');
      expect(verify.json.mismatches).toEqual([]);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
