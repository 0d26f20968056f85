/**
 * One `wallet` message per wallet state. A game that pays a reward and charges a purchase for the
 * same player in one handler (`grantPlayerReward` + `purchaseForPlayer`) had both entries committed
 * in one ledger batch: the reward's result applied both and told the client, then
 * `purchaseForPlayer` told it the same wallet again — two identical `wallet` frames (found in the
 * studio walk-through: a client that plays a coin sound per wallet message plays it twice). Real
 * server on SQLite, real client; the ledger's flush delay batches the two entries.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { MsgType, type WalletMsg, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  defineGame,
  defineMessage,
  defineServerMessage,
  grantPlayerReward,
  playerEntityOf,
  playerIdOf,
  purchaseForPlayer,
  type RunningServer,
  sendToPlayer,
  startServer,
  Type,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const done = defineServerMessage({ name: 'done', schema: Type.Object({ purchase: Type.String() }) });
const both = defineMessage({
  name: 'both',
  schema: Type.Object({}),
  apply: (world, player) => {
    const pid = playerIdOf(world, player);
    if (pid === null) return;
    void grantPlayerReward(world, pid, { key: 'gift', coins: 5 });
    void purchaseForPlayer(world, pid, { key: 'hat-1', item: 'hat', quantity: 1, expectedPrice: 30 }).then((r) => {
      const p = playerEntityOf(world, pid);
      if (p !== null) sendToPlayer(world, p, done, { purchase: r.status });
    });
  },
});
const game = defineGame({
  name: 'wallet-once',
  world: { size: 100, npcs: 0, physics: 'off' },
  catalogue: [{ id: 'hat', price: 30 }],
  startingCoins: 100,
  messages: [both],
  serverMessages: [done],
});

const dir = tempDataDir('wt-wallet-once-');
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe('wallet notices', () => {
  it('a reward and a purchase committed together reach the client as one wallet message', { timeout: 20_000 }, async () => {
    server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, ledger: { flushDelayMs: 200 } },
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallets: WalletMsg[] = [];
    c.on((m) => {
      if (m.type === MsgType.WALLET) wallets.push(m);
    });
    const granted = c.waitFor((m) => m.type === MsgType.WALLET && m.coins === 100, 10_000); // from before the hello (docs/CONTRIBUTING.md)
    await c.join('1', 'p', 'tok-wallet-once', null);
    await granted;
    c.sendMessage('both', {});
    await c.waitFor((m) => m.type === MsgType.MESSAGE && m.name === 'done', 5000);
    await c.ping(); // anything sent before the pong has arrived
    const states = wallets.map((w) => `${w.appliedSeq}:${w.coins}:${w.items.hat ?? 0}`);
    expect(states.filter((s) => s.endsWith(':75:1'))).toHaveLength(1); // the reward and the purchase, told once
    expect(states.filter((s, i) => s === states[i - 1])).toEqual([]); // never the same state twice in a row
    c.close();
  });
});
