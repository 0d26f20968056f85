/**
 * examples/market: a reservation whose ledger answer was lost (the process that submitted it died;
 * a restored checkpoint holds the pending `reservation` timer and the reduced stock) is settled once
 * when its timer fires: it resubmits the same key by durable player id, and the sale stands whether
 * the charge had committed before the crash (replayed) or not (decided now). A real SQLite store
 * and ledger on a paused world of the game, stepped by the test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachLedger, bindPlayer, detachLedger } from '../../../src/ledger/world-ledger.js';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import {
  createGameWorld,
  getStore,
  type GameWorld,
  loadPlayerData,
  pendingWorldTimers,
  purchaseForPlayer,
  query,
  setWorldTimer,
  stepWorld,
} from '../../../src/index.js';
import { createMarketGame, INVENTORY_KEY, Merchant, Stock } from '../../../examples/market/game.js';
import { CATALOGUE } from '../../../examples/market/rules.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const stall1 = (world: GameWorld): number => {
  for (const e of query(world, [Merchant])) if (getStore(world, Merchant).stall[e] === 1) return e;
  throw new Error('no stall 1');
};

/** Step until `done()` or 400 steps, yielding to the event loop between steps (the ledger's commits). */
const stepUntil = async (world: GameWorld, done: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 5));
    stepWorld(world, 1);
  }
  throw new Error('not settled');
};

describe('examples/market orphaned reservations', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('settles each once by resubmitting its key: a lost answer (committed or not) keeps the sale', async () => {
    const dir = tempDataDir('wt-market-orphan-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(createMarketGame({ restockSeconds: 3600 }), {
      id: '1',
      capacity: 64,
      config: { simulation: { pauseSimulation: true } },
    });
    const ledger = attachLedger(world, { store, epoch: 'e1', catalogue: CATALOGUE, startingCoins: 50, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    const service = new PlayerDataService({ store });
    cleanup.push(() => service.close());
    world.playerData = service;
    const player = spawnPlayer(world, 100, 100);
    bindPlayer(world, player, 't:dora');
    const m = stall1(world);
    const { s0, s1 } = getStore(world, Stock);
    expect([s0[m], s1[m]]).toEqual([6, 4]);

    // Not committed before the crash: the restored world holds the reservation (2 apples taken).
    s0[m] = 4;
    setWorldTimer(world, 0, 'reservation', { pid: 't:dora', txid: 'o-1', stall: 1, slot: 0, quantity: 2, submits: 1 });
    // Committed before the crash, answer lost: the ledger has the entry, the world the reservation.
    const paid = purchaseForPlayer(world, 't:dora', { key: 'o-2', item: 'bread', quantity: 1, expectedPrice: 5 });
    await stepUntil(world, async () => (await store.readLedger({ playerId: 't:dora' })).some((e) => e.key === `buy:o-2@${ledger.epoch}`));
    await paid;
    s1[m] = 3;
    setWorldTimer(world, 0, 'reservation', { pid: 't:dora', txid: 'o-2', stall: 1, slot: 1, quantity: 1, submits: 1 });

    await stepUntil(world, () => pendingWorldTimers(world).length === 0);
    const entries = (await store.readLedger({ playerId: 't:dora' })).filter((e) => e.key.startsWith('buy:'));
    expect(entries.map((e) => [e.key, e.coinsDelta]).sort()).toEqual([
      [`buy:o-1@${ledger.epoch}`, -6],
      [`buy:o-2@${ledger.epoch}`, -5],
    ]);
    expect([s0[m], s1[m]]).toEqual([4, 3]); // both sales stand, each unit taken once
    await stepUntil(world, async () => {
      const inv = await loadPlayerData(world, 't:dora', INVENTORY_KEY);
      return inv.status === 'ok' && (inv.value as { txids?: string[] } | undefined)?.txids?.length === 2;
    });
    const inv = await loadPlayerData(world, 't:dora', INVENTORY_KEY);
    expect(inv.status === 'ok' ? inv.value : null).toEqual({
      items: { apple: 2, bread: 1 },
      txids: expect.arrayContaining(['o-1', 'o-2']),
    });
  });
});
