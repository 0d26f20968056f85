/**
 * One identity joining two worlds at once while both buy: each world's LIVE wallet must hold exactly
 * the ledger's `ok` entries up to its own watermark (`appliedSeq`) — behind is allowed (another world's
 * entries reach it by a later catch-up), skipping one below the watermark is not. Found by the crash
 * campaign's `cross-world` window (bench/crash-campaign-cross-world.ts, seeds 1 and 2, before any kill):
 * the wallet in `w2` of every identity lacked the start grant committed by world `1` (100 coins; live
 * coins −100 while the ledger was at 0), or another world's purchase. A world's ledger service, loading a
 * player's balance for the first time, took its last seq as already applied to the wallet, but the
 * wallet's catch-up had read the summary BEFORE the other world's entry committed: the entry was in
 * neither, and the watermark passed it. Real runtime, SQLite store, real sockets and admin HTTP.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-cross-world-race-');
let rt: Runtime;
const WORLDS = ['1', 'w2'];
const IDENTITIES = 6;

const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`http://127.0.0.1:${rt.admin.port}${path}`, {
    method,
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const idOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

interface Entry {
  seq: number;
  status: string;
  coinsDelta: number;
  item: string | null;
  quantity: number;
}
interface Held {
  coins: number;
  items: Record<string, number>;
  appliedSeq: number;
}

/** The live wallet of `token` in `world` against the sum of its `ok` entries up to the wallet's watermark (null: not bound yet). */
const walletAgainstLedger = async (world: string, token: string): Promise<{ live: Held; ledger: Omit<Held, 'appliedSeq'> } | null> => {
  const r = await admin('GET', `/api/v1/worlds/${world}/ledger/players/${idOf(token)}?limit=10000`);
  const live = r.json.live as Held | null;
  if (!live) return null;
  const ledger = { coins: 0, items: {} as Record<string, number> };
  for (const e of r.json.entries as Entry[]) {
    if (e.status !== 'ok' || e.seq > live.appliedSeq) continue;
    ledger.coins += e.coinsDelta;
    if (e.item !== null && e.quantity) ledger.items[e.item] = (ledger.items[e.item] ?? 0) + e.quantity;
  }
  return { live, ledger };
};

beforeAll(async () => {
  const args = [
    '--port',
    '0',
    '--admin-port',
    '0',
    '--npcs',
    '5',
    '--stats-interval',
    '0',
    '--admin-token',
    't',
    '--starting-coins',
    '100',
  ];
  rt = createRuntime(parseOptions([...args, '--data-dir', join(dataDir.dir, 'data')], {}), createLogger('silent'));
  await rt.start();
  expect((await admin('POST', '/api/v1/worlds', { id: 'w2', npcs: 2, size: 200 })).status).toBe(201);
});
afterAll(async () => {
  await rt.stop();
  dataDir.remove();
});

describe('one identity joining two worlds at once', () => {
  it("each world's live wallet holds every ok entry up to its watermark (none skipped)", async () => {
    const clients: WorldtickClient[] = [];
    const tokens = Array.from({ length: IDENTITIES }, (_, i) => `race-${i}`);
    try {
      // Every identity joins both worlds at the same moment, then buys potions in both at once.
      await Promise.all(
        tokens.map(async (token) => {
          const own = await Promise.all(
            WORLDS.map(async (w) => {
              const c = new WorldtickClient({
                url: `ws://127.0.0.1:${rt.gameServer.port}`,
                WebSocket: WebSocket as unknown as WebSocketCtor,
              });
              clients.push(c);
              await c.connect();
              await c.join(w, `${token}-${w}`, token);
              return c;
            }),
          );
          await Promise.all(
            own.map((c, w) => Promise.all(Array.from({ length: 6 }, (_, k) => c.purchase(`${token}-${w}-${k}`, 'potion', 1, 10)))),
          );
        }),
      );
      const wrong: unknown[] = [];
      for (const token of tokens)
        for (const w of WORLDS) {
          let got = await walletAgainstLedger(w, token);
          for (let i = 0; got === null && i < 100; i++) {
            await new Promise((r) => setTimeout(r, 20));
            got = await walletAgainstLedger(w, token);
          }
          expect(got).not.toBeNull();
          if (got && (got.live.coins !== got.ledger.coins || (got.live.items.potion ?? 0) !== (got.ledger.items.potion ?? 0)))
            wrong.push({ token, world: w, ...got });
        }
      expect(wrong).toEqual([]);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
