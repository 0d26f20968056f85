/**
 * examples/farm over real WebSockets on a real server with its SQLite store: a farmer buys seeds
 * (a game-decided ledger purchase, credited to player data once per txid), plants, waits world
 * time (timeScale 600: a 5-minute crop ripens in half a wall second), harvests (a ledger reward,
 * once per planting), and retries a purchase with the same txid (replayed, charged once).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { type RunningServer, startServer, updatePlayerData } from '../../../src/index.js';
import { FarmPlayer } from '../../../examples/farm/client.js';
import { FARM_KEY, notePurchase } from '../../../examples/farm/farm-data.js';
import { createFarmGame } from '../../../examples/farm/game.js';
import { HARVEST_COINS, OUT, type ReceiptMsg, type RipeMsg, SEED, STARTING_COINS } from '../../../examples/farm/rules.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-farm-');
const pidOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
let server: RunningServer;
let url = '';
const game = createFarmGame({ growSeconds: 300, daySeconds: 1_000_000, crows: 0, crowSight: 30, crowSpeed: 8 });
/** Start (or restart: the same data dir) the server. */
const boot = async (): Promise<void> => {
  server = await startServer(game, { options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dataDir.dir, timeScale: 600 } });
  url = `ws://127.0.0.1:${server.port}`;
};

beforeAll(boot);

afterAll(async () => {
  await server?.stop();
  dataDir.remove();
});

describe('examples/farm', () => {
  it('buys seeds, plants, waits world time, harvests; a retried txid is charged once', async () => {
    const p = new FarmPlayer(url, 'alice', WS as never);
    const farm = await p.join();
    expect(farm).toEqual({ seeds: 0, plots: [0, 0, 0, 0] });
    await p.client.waitFor(() => p.coins === STARTING_COINS);

    expect(await p.plant(0)).toMatchObject({ reason: 'no seeds' });
    expect(await p.buy('b-1', 3)).toMatchObject({ status: 'ok', replayed: false, seeds: 3 });
    await p.client.waitFor(() => p.coins === STARTING_COINS - 3 * SEED.price);

    const from = p.log.length;
    expect(await p.plant(0)).toBe('planted');
    expect(await p.plant(0)).toMatchObject({ reason: 'plot taken' });
    const first = await p.harvest(0);
    // 300 world seconds at timeScale 600: usually not ripe yet; never paid before it is.
    if ('reason' in first) expect(first.reason).toBe('not ripe');
    await p.next<RipeMsg>(OUT.ripe, from, 5000, (r) => r.plot === 0);
    const h = 'reason' in first ? await p.harvest(0) : first;
    expect(h).toMatchObject({ plot: 0, coins: HARVEST_COINS, replayed: false });
    await p.client.waitFor(() => p.coins === STARTING_COINS - 3 * SEED.price + HARVEST_COINS);
    expect(await p.harvest(0)).toMatchObject({ reason: 'nothing to harvest' });

    // A dropped connection resumed within the grace: the same entity, its plots and seeds kept.
    const resume = p.client.welcome?.resumeToken ?? null;
    p.client.close();
    await p.client.closed();
    expect(await p.join(5000, resume)).toBeNull();
    expect(p.client.welcome?.resumed).toBe(true);
    await p.client.waitFor(() => p.plots().size === 4);
    // The same txid again: the ledger replays it, no coin and no seed more.
    expect(await p.buy('b-1', 3)).toMatchObject({ status: 'ok', replayed: true, seeds: 2 });
    // More than the coins cover: refused, nothing charged.
    expect(await p.buy('b-2', 20)).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', seeds: 2 });
    expect(p.coins).toBe(STARTING_COINS - 3 * SEED.price + HARVEST_COINS);
    p.close();
  });

  it('a purchase noted but never answered (the server died) is charged and credited at the next join, once', async () => {
    const p = new FarmPlayer(url, 'carol', WS as never);
    await p.join();
    await p.client.waitFor(() => p.coins === STARTING_COINS);
    p.close();
    await p.client.closed();
    // What a process killed between noting the purchase and the ledger's answer leaves behind.
    const noted = await updatePlayerData(server.world, pidOf(p.token), FARM_KEY, (cur) => notePurchase(cur, 'lost-1', 2));
    expect(noted.status).toBe('ok');
    // The server goes down (carol's parked player with it): her next hello is a new session of hers.
    await server.stop();
    await boot();

    const q = new FarmPlayer(url, 'carol', WS as never);
    await q.join();
    // The join asks the ledger again with the noted key: one receipt, without the client asking.
    const r = await q.next<ReceiptMsg>(OUT.receipt, 0, 5000, (x) => x.txid === 'lost-1');
    expect(r).toMatchObject({ status: 'ok', seeds: 2 });
    await q.client.waitFor(() => q.coins === STARTING_COINS - 2 * SEED.price);
    // The client's own retry of the key afterwards: replayed, nothing charged or credited again.
    expect(await q.buy('lost-1', 2)).toMatchObject({ status: 'ok', replayed: true, seeds: 2 });
    expect(q.coins).toBe(STARTING_COINS - 2 * SEED.price);
    q.close();
  });

  it('a second session of the same identity takes the one player over: its farm, seeds and plots', async () => {
    const a = new FarmPlayer(url, 'dave', WS as never);
    await a.join();
    expect(await a.buy('d-1', 1)).toMatchObject({ status: 'ok', seeds: 1 });
    await a.client.waitFor(() => a.plots().size === 4);
    const b = new FarmPlayer(url, 'dave', WS as never); // same token, no resume token
    // One identity, one player per world: the same entity, resumed (its plots stayed), the first socket replaced.
    expect(await b.join()).toBeNull();
    expect(b.client.welcome?.playerId).toBe(a.client.welcome?.playerId);
    await a.client.closed();
    await b.client.waitFor(() => b.plots().size === 4);
    expect(await b.plant(0)).toBe('planted');
    b.close();
  });
});
