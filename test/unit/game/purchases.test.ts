/**
 * purchaseForPlayer (src/game/purchases.ts): a purchase the game decides goes through the world's
 * ledger once per (player, key), namespaced `buy:<key>@<incarnation>`; the promise resolves once it
 * is durable and applied, with the wallet after it; a refusal charges nothing; bad arguments throw
 * a coded error; a world without a store is answered, not thrown. Also: `query` results iterate
 * with `for...of` as docs/GAME-API.md writes it (a compile-time check under `tsc`).
 * A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachLedger, bindPlayer, detachLedger } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import {
  createGameWorld,
  defineComponent,
  defineGame,
  ErrorCode,
  isWorldtickError,
  pauseWorld,
  playerEntityOf,
  purchaseForPlayer,
  query,
  spawn,
  stepWorld,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Tag = defineComponent('Tag', { n: 'u8' });
const game = defineGame({ name: 'purchases-test', components: [Tag] });

/** Step the paused world until `p` settles (its `ok` is applied inside a step). */
const settle = async <T>(world: Parameters<typeof stepWorld>[0], p: Promise<T>): Promise<T> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 400 && !done; i++) {
    await new Promise((r) => setTimeout(r, 5));
    stepWorld(world, 1);
  }
  return p;
};

describe('purchaseForPlayer', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('without a store: TX_UNAVAILABLE, nothing thrown', async () => {
    const world = createGameWorld(game, { id: 'p0', capacity: 16 });
    const p = spawnPlayer(world, 1, 1);
    expect(await purchaseForPlayer(world, p, { key: 'k1', item: 'potion', quantity: 1, expectedPrice: 10 })).toMatchObject({
      status: 'rejected',
      code: 'TX_UNAVAILABLE',
      coins: null,
    });
  });

  it('refuses a bad key, item, quantity or price with WT_ERR_OPTION_INVALID', () => {
    const world = createGameWorld(game, { id: 'p1', capacity: 16 });
    for (const bad of [
      { key: '', item: 'potion', quantity: 1, expectedPrice: 10 },
      { key: 'a@b', item: 'potion', quantity: 1, expectedPrice: 10 },
      { key: 'k', item: '', quantity: 1, expectedPrice: 10 },
      { key: 'k', item: 'potion', quantity: 0, expectedPrice: 10 },
      { key: 'k', item: 'potion', quantity: 1, expectedPrice: -1 },
      { key: 'k', item: 'potion', quantity: 1, expectedPrice: 1.5 },
    ]) {
      let err: unknown;
      try {
        void purchaseForPlayer(world, 1, bad);
      } catch (e) {
        err = e;
      }
      expect(isWorldtickError(err, ErrorCode.OPTION_INVALID), JSON.stringify(bad)).toBe(true);
      expect((err as Error).message).toMatch(/purchase\./);
    }
  });

  it('charges once per (player, key), applied to the wallet; a repeat replays; a refusal charges nothing', async () => {
    const dir = tempDataDir('wt-game-purchases-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'p2', capacity: 16 });
    pauseWorld(world);
    attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 }, startingCoins: 25 });
    cleanup.push(() => detachLedger(world));
    const p = spawnPlayer(world, 1, 1);
    bindPlayer(world, p, 't:bob');
    expect(playerEntityOf(world, 't:bob')).toBe(p);
    expect(playerEntityOf(world, 't:nobody')).toBeNull();

    const first = await settle(world, purchaseForPlayer(world, p, { key: 'tx-1', item: 'potion', quantity: 2, expectedPrice: 10 }));
    expect(first).toMatchObject({ status: 'ok', key: 'buy:tx-1@inc-1', coinsDelta: -20, replayed: false, coins: 5, items: { potion: 2 } });
    const again = await settle(world, purchaseForPlayer(world, p, { key: 'tx-1', item: 'potion', quantity: 2, expectedPrice: 10 }));
    expect(again).toMatchObject({ status: 'ok', replayed: true, seq: first.seq, coins: 5 });
    const poor = await settle(world, purchaseForPlayer(world, p, { key: 'tx-2', item: 'potion', quantity: 1, expectedPrice: 10 }));
    expect(poor).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS' });
    const entries = await store.readLedger({ playerId: 't:bob' });
    expect(entries.filter((e) => e.key === 'buy:tx-1@inc-1')).toHaveLength(1);
    expect(entries.reduce((s, e) => s + (e.status === 'ok' ? e.coinsDelta : 0), 0)).toBe(5);

    const npc = spawn(world, { kind: 1, x: 2, y: 2 });
    expect(await purchaseForPlayer(world, npc, { key: 'tx-3', item: 'potion', quantity: 1, expectedPrice: 10 })).toMatchObject({
      status: 'rejected',
      code: 'TX_BAD_REQUEST',
    });
  });

  it('charges a durable player id whose entity is gone (its wallet catches up at the next join); a bad id throws', async () => {
    const dir = tempDataDir('wt-game-purchases-id-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'p4', capacity: 16 });
    pauseWorld(world);
    attachLedger(world, { store, epoch: 'inc-2', rateLimit: { perSecond: 0 }, startingCoins: 30 });
    cleanup.push(() => detachLedger(world));
    const r = await settle(world, purchaseForPlayer(world, 't:gone', { key: 'tx-9', item: 'potion', quantity: 1, expectedPrice: 10 }));
    expect(r).toMatchObject({ status: 'ok', playerId: 't:gone', key: 'buy:tx-9@inc-2', coinsDelta: -10, coins: null, items: null });
    expect(await store.ledgerBalance('t:gone')).toMatchObject({ coins: 20 });
    expect(() => purchaseForPlayer(world, 'has space', { key: 'k', item: 'potion', quantity: 1, expectedPrice: 10 })).toThrow(
      /durable player id/,
    );
  });

  it('a purchase durable but not yet applied when the ledger detaches (world deleted, moved, shut down) is answered once, wallet null', async () => {
    const dir = tempDataDir('wt-game-purchases-detach-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'p5', capacity: 16 });
    pauseWorld(world);
    attachLedger(world, { store, epoch: 'inc-5', rateLimit: { perSecond: 0 }, startingCoins: 25 });
    const p = spawnPlayer(world, 1, 1);
    bindPlayer(world, p, 't:carol');
    stepWorld(world, 1); // the bind's catch-up
    await new Promise((r) => setTimeout(r, 50));
    stepWorld(world, 1);
    let answers = 0;
    const pending = purchaseForPlayer(world, p, { key: 'tx-d', item: 'potion', quantity: 1, expectedPrice: 10 }).then((r) => {
      answers++;
      return r;
    });
    // Durable, its `ok` queued for a step that never runs: the world is not stepped again.
    const durable = async () => (await store.readLedger({ playerId: 't:carol' })).some((e) => e.key === 'buy:tx-d@inc-5');
    for (let i = 0; i < 200 && !(await durable()); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    expect(answers).toBe(0);
    await detachLedger(world);
    const r = await Promise.race([pending, new Promise<null>((res) => setTimeout(() => res(null), 2000))]);
    expect(r).toMatchObject({ status: 'ok', key: 'buy:tx-d@inc-5', coins: null, items: null });
    // A new ledger on the same world (a migration re-attaches one): the stale fact delivers nothing twice.
    attachLedger(world, { store, epoch: 'inc-5', rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    stepWorld(world, 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(answers).toBe(1);
    expect((await store.readLedger({ playerId: 't:carol' })).filter((e) => e.key === 'buy:tx-d@inc-5')).toHaveLength(1);
  });

  it('query results iterate with for...of', () => {
    const world = createGameWorld(game, { id: 'p3', capacity: 16 });
    const ids: number[] = [];
    for (const e of query(world, [world.stores.Position])) ids.push(e);
    expect(ids.length).toBe(0);
    const e = spawn(world, { kind: 1, x: 1, y: 1 });
    for (const id of query(world, [world.stores.Position])) ids.push(id);
    expect(ids).toEqual([e]);
  });
});
