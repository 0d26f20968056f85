/**
 * examples/market over real WebSockets on a real server with its SQLite store: a client buys from
 * a merchant (ledger purchase, stock reserved and replicated), a dropped connection before the
 * receipt is retried with the same transaction id and charged once, refusals give the stock back,
 * the inventory is player data, and a world-time restock is announced to the players nearby.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { startServer, type RunningServer } from '../../../src/index.js';
import { createMarketGame } from '../../../examples/market/game.js';
import { choose, MarketPlayer } from '../../../examples/market/bot.js';
import { CATALOGUE, MSG } from '../../../examples/market/rules.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-market-');
let server: RunningServer;
let url = '';

const pidOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/** The player's ledger entries and live wallet (admin API). */
const ledgerOf = async (
  token: string,
): Promise<{ entries: Array<{ key: string; coinsDelta: number }>; live: { coins: number } | null }> => {
  const res = await fetch(`http://127.0.0.1:${server.adminPort}/api/v1/worlds/1/ledger/players/${pidOf(token)}`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
};

const stockOf = (p: MarketPlayer, stall: number): [number, number] => {
  const m = p.merchants().find((e) => e.fields?.stall === stall);
  return [m?.fields?.s0 ?? -1, m?.fields?.s1 ?? -1];
};

/** Wait until the merchant of `stall` shows `stock` in the player's view. */
const waitStock = async (p: MarketPlayer, stall: number, stock: [number, number]): Promise<void> => {
  if (stockOf(p, stall).join() === stock.join()) return;
  await p.client.waitFor(() => stockOf(p, stall).join() === stock.join(), 5000);
};

/** A market server restocking every `restockSeconds` world seconds, its data under `dir`. */
const startMarket = (restockSeconds: number, dir: string): Promise<RunningServer> =>
  startServer(createMarketGame({ restockSeconds }), {
    options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir, startingCoins: 20, ledger: { catalogue: CATALOGUE } },
  });

// The purchases below expect exact stock (a sale takes units, a refusal gives them back): no restock
// may run while they do, however long a loaded machine takes. The restock test has its own server.
beforeAll(async () => {
  server = await startMarket(3600, dataDir.dir);
  url = `ws://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
  dataDir.remove();
});

describe('examples/market', () => {
  it('buys from a merchant: charged once, stock reserved, inventory in player data; a dropped connection is retried with the same txid', async () => {
    const p = new MarketPlayer(url, 'alice', WS as never);
    await p.join();
    expect(p.state.inventory).toEqual({ items: {}, txids: [] });
    const merchants = await p.seeMerchants(2);
    expect(choose(merchants)).toEqual({ stall: 1, item: 'apple' });
    await p.client.waitFor(() => p.state.coins === 20);

    const wallets: number[] = [];
    p.client.on((m) => {
      if (m.type === 22) wallets.push(m.coins);
    });
    const r1 = await p.buy(1, 'apple', 2, 'a-1');
    expect(r1).toMatchObject({ status: 'ok', code: null, coins: 14, replayed: false });
    await waitStock(p, 1, [4, 4]);
    // The inventory follows the receipt (player data is written after the settlement) and may have
    // arrived with it or during the wait above: read from the player's record of the last one.
    const hasA1 = (): boolean => p.state.inventory?.txids.includes('a-1') === true;
    if (!hasA1()) await p.client.waitFor(hasA1);
    expect(p.state.inventory?.items).toEqual({ apple: 2 });
    expect(wallets).toContain(14); // the game's purchase is told to the client as a wallet frame too

    // The connection drops after the server took the purchase, before the receipt reached the client.
    const raw = p.client.socket as WS | null;
    if (!raw) throw new Error('no socket');
    p.client.sendMessage(MSG.buy, { stall: 1, item: 'bread', quantity: 1, txid: 'a-2' });
    raw.pause(); // stop reading: the receipt will not be seen on this socket
    for (let i = 0; i < 100 && !(await ledgerOf('alice')).entries.some((e) => e.key.startsWith('buy:a-2@')); i++)
      await new Promise((r) => setTimeout(r, 30));
    raw.terminate();
    await p.client.closed();

    // Resume and retry the same transaction id: charged once. The receipt is the first attempt's
    // (still settling when the retry arrived: replayed false) or the ledger's stored result (replayed true).
    const r2 = await p.buyReliably(1, 'bread', 1, 'a-2');
    expect(r2).toMatchObject({ status: 'ok', coins: 9 });
    const led = await ledgerOf('alice');
    expect(led.entries.filter((e) => e.key.startsWith('buy:a-2@'))).toHaveLength(1);
    expect(led.live?.coins).toBe(9);
    await waitStock(p, 1, [4, 3]); // one bread gone, not two
    await p.client.waitFor(() => p.state.inventory?.txids.includes('a-2') === true);
    expect(p.state.inventory?.items).toEqual({ apple: 2, bread: 1 });

    // Refusals: more than the stall has; more than the wallet holds (the reserved units come back).
    expect(await p.buy(2, 'lamp', 3, 'a-3')).toMatchObject({ status: 'rejected', code: 'SOLD_OUT' });
    expect(await p.buy(2, 'apple', 1, 'a-4')).toMatchObject({ status: 'rejected', code: 'NOT_SOLD_HERE' });
    expect(await p.buy(9, 'apple', 1, 'a-5')).toMatchObject({ status: 'rejected', code: 'NO_SUCH_STALL' });
    expect(await p.buy(2, 'potion', 1, 'a-6')).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', coins: 9 });
    await waitStock(p, 2, [3, 2]);
    // A recorded refusal replays: the same txid is refused again, still charged nothing.
    expect(await p.buy(2, 'potion', 1, 'a-6')).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', replayed: true });
    expect((await ledgerOf('alice')).live?.coins).toBe(9);
    p.close();
  });

  it('the headless bot (examples/market/bot.ts) joins, buys what is in stock and prints its receipts', async () => {
    const bot = await childNodeArgs(fileURLToPath(new URL('../../../examples/market/bot.ts', import.meta.url)));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [...bot, '--url', url, '--name', 'erin', '--buys', '2'], { timeout: 20_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const receipts = lines.filter((l) => l.receipt).map((l) => l.receipt as { status: string; coins: number });
    expect(receipts).toHaveLength(2);
    expect(receipts.every((r) => r.status === 'ok')).toBe(true);
    const done = lines.find((l) => l.done) as { coins: number; inventory: Record<string, number> };
    expect(done.coins).toBe(receipts[1]?.coins);
    expect(Object.values(done.inventory).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('restocks on world time and announces it to the players near the stall', async () => {
    const restocking = await startMarket(1, join(dataDir.dir, 'restocking'));
    try {
      await restocks(`ws://127.0.0.1:${restocking.port}`);
    } finally {
      await restocking.stop();
    }
  });
});

/** Bob buys an apple at stall 1 of the market at `at` (restocking every world second) and sees the stall refilled. */
const restocks = async (at: string): Promise<void> => {
  const p = new MarketPlayer(at, 'bob', WS as never);
  await p.join();
  await p.seeMerchants(2);
  await p.client.waitFor(() => p.state.coins === 20);
  // One apple is sold (a restock before the sale finds the stall full and says nothing)...
  const before = p.state.restocks.length;
  expect((await p.buy(1, 'apple', 1, 'b-1')).status).toBe('ok');
  // ...and the next restock (every world second) fills the stall and says so. It may come before
  // the receipt (the stock is reserved in the step, the receipt waits for the ledger's commit), so
  // the announcements are read from the player's record, not from messages after the receipt; one
  // that ran between the send and the reservation is followed by another, with the stall full.
  const full = (): boolean => p.state.restocks.slice(before).some((r) => r.stall === 1) && stockOf(p, 1).join() === [6, 4].join();
  if (!full()) await p.client.waitFor(full, 20_000);
  const last = p.state.restocks.filter((r) => r.stall === 1).at(-1);
  expect(last?.stock).toEqual([6, 4]);
  expect(last?.round).toBeGreaterThan(0);
  await waitStock(p, 1, [6, 4]);
  p.close();
};
