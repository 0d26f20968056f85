/**
 * A game reads what a player bought: `playerItemCount` / `playerCoins` in a system see a client's
 * own `purchase` frame (which no game code sees otherwise) once it is applied to the wallet, by the
 * server's catalogue. Before, the wallet was the client's `wallet` message alone: a game selling
 * boots through the frame could not tell who had them. Real server, real client; the values a system
 * read come back as replicated fields, and a replay of the session's input log (no store, no ledger)
 * reads the same values: every state hash, which covers the fields, matches.
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  addComponent,
  defineComponent,
  defineGame,
  getStore,
  playerCoins,
  playerItemCount,
  query,
  startServer,
  type RunningServer,
} from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Gear = defineComponent('Gear', { boots: 'u16', coins: 'u32' });
const game = defineGame({
  name: 'outfitter',
  world: { size: 100, npcs: 0, physics: 'off' },
  catalogue: [
    { id: 'gem', price: 1 },
    { id: 'boots', price: 30 },
  ], // boots in the second slot
  startingCoins: 100,
  components: [Gear],
  replicate: { player: { boots: { component: Gear, field: 'boots' }, coins: { component: Gear, field: 'coins' } } },
  systems: [
    {
      name: 'read-wallets',
      after: 'ingest',
      run: (world) => {
        const g = getStore(world, Gear);
        for (const p of query(world, [Gear])) {
          g.boots[p] = playerItemCount(world, p, 'boots');
          g.coins[p] = playerCoins(world, p);
        }
      },
    },
  ],
  hooks: { onPlayerJoined: (world, p) => void addComponent(world, p, Gear) },
});

const dir = tempDataDir('wt-player-wallet-');
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe('playerItemCount / playerCoins on a served world', () => {
  it("see a client's purchase frame once applied", { timeout: 20_000 }, async () => {
    const logPath = join(dir.dir, 'wallet.wtlog');
    server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: join(dir.dir, 'data'), record: logPath, recordHashEvery: 5 },
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const { playerId } = await c.join('1', 'bo', 'bo-token');
    const me = () => c.view.entities.get(playerId)?.fields;
    await c.waitFor(() => me()?.coins === 100);
    expect(me()?.boots).toBe(0);
    const r = await c.purchase('boots-1', 'boots', 1, 30);
    expect(r.status).toBe('ok');
    await c.waitFor(() => me()?.boots === 1);
    expect(me()?.coins).toBe(70);
    await c.waitForStep((c.lastSnapshot?.step ?? 0) + 12); // a few hashes after the purchase
    await c.close();
    await server.stop();
    server = null;

    const res = await replayLog(readLog(logPath), undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(2);
    expect(res.checks.every((h) => h.ok)).toBe(true);
  });
});
