/**
 * `defineGame({ clientPurchases: false })`: a game that sells only through its own rules
 * (`purchaseForPlayer` after its checks: a level, a stock, a stall) closes the protocol's `purchase`
 * frame, which the ledger decides against the catalogue alone. Before, any client could buy any
 * catalogue item at its catalogue price with a raw `purchase` frame, around every rule of the game.
 * The frame is answered `rejected` / `TX_CLIENT_PURCHASES_OFF` (no strike, nothing charged, nothing
 * recorded); the game's own purchase still charges. Real server, real client.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { MsgType, type WalletMsg, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  defineGame,
  defineMessage,
  defineServerMessage,
  playerEntityOf,
  playerIdOf,
  purchaseForPlayer,
  sendToPlayer,
  startServer,
  Type,
  type RunningServer,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const bought = defineServerMessage({ name: 'bought', schema: Type.Object({ status: Type.String() }) });
const buy = defineMessage({
  name: 'buy',
  schema: Type.Object({ key: Type.String({ maxLength: 48 }) }),
  apply: (world, player, { key }) => {
    const pid = playerIdOf(world, player);
    if (pid === null) return;
    void purchaseForPlayer(world, pid, { key, item: 'boots', quantity: 1, expectedPrice: 30 }).then((r) => {
      const p = playerEntityOf(world, pid);
      if (p !== null) sendToPlayer(world, p, bought, { status: r.status });
    });
  },
});
const game = defineGame({
  name: 'shop-rules',
  world: { size: 100, npcs: 0, physics: 'off' },
  catalogue: [{ id: 'boots', price: 30 }],
  startingCoins: 100,
  clientPurchases: false,
  messages: [buy],
  serverMessages: [bought],
});

const dir = tempDataDir('wt-client-purchases-');
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe('defineGame({ clientPurchases: false })', () => {
  it("refuses a client's purchase frame (TX_CLIENT_PURCHASES_OFF, no strike, nothing charged); the game's own purchase charges", {
    timeout: 20_000,
  }, async () => {
    server = await startServer(game, { options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir } });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallets: WalletMsg[] = [];
    c.on((m) => {
      if (m.type === MsgType.WALLET) wallets.push(m);
    });
    await c.join('1', 'ann', 'ann-token');
    await c.waitFor(() => wallets.some((w) => w.coins === 100));

    const r = await c.purchase('direct-1', 'boots', 1, 30);
    expect(r).toMatchObject({ status: 'rejected', code: 'TX_CLIENT_PURCHASES_OFF', seq: null, coinsDelta: 0, replayed: false });
    expect(c.errors).toEqual([]); // no error frame, no strike

    const got = new Promise<string>((resolve) => c.onMessage<{ status: string }>('bought', (p) => resolve(p.status)));
    c.sendMessage('buy', { key: 'game-1' });
    expect(await got).toBe('ok');
    await c.waitFor(() => wallets.some((w) => w.coins === 70 && w.items.boots === 1));
    await c.close();
  });
});
