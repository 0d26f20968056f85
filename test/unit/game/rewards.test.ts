/**
 * grantPlayerReward / playerIdOf (src/game/rewards.ts): a game's reward goes through the world's
 * ledger once per (player, key), namespaced by the world's incarnation; bad keys are refused with
 * a coded error; a world without a store or an id that is not a bound player is answered, not thrown.
 * A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachLedger, bindPlayer, detachLedger } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createGameWorld, defineGame, ErrorCode, grantPlayerReward, isWorldtickError, playerIdOf, spawn } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const game = defineGame({ name: 'rewards-test' });

describe('grantPlayerReward', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('without a store: TX_UNAVAILABLE, nothing thrown; playerIdOf is null', async () => {
    const world = createGameWorld(game, { id: 'r0', capacity: 16 });
    const p = spawnPlayer(world, 1, 1);
    expect(playerIdOf(world, p)).toBeNull();
    const r = await grantPlayerReward(world, p, { key: 'round:1', coins: 5 });
    expect(r).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
  });

  it('refuses a bad key, coins or quantity with WT_ERR_OPTION_INVALID naming each problem', () => {
    const world = createGameWorld(game, { id: 'r1', capacity: 16 });
    const bad = [
      { key: '', coins: 1 },
      { key: 'has space', coins: 1 },
      { key: 'a@b', coins: 1 },
      { key: 'x'.repeat(49), coins: 1 },
      { key: 'k', coins: -1 },
      { key: 'k', coins: 1.5 },
      { key: 'k', item: 'arrow', quantity: 0 },
      { key: 'k' },
      null, // a JavaScript caller's: a TypeError before
    ];
    for (const reward of bad as never[]) {
      let err: unknown;
      try {
        void grantPlayerReward(world, 1, reward);
      } catch (e) {
        err = e;
      }
      expect(isWorldtickError(err, ErrorCode.OPTION_INVALID), JSON.stringify(reward)).toBe(true);
      expect((err as Error).message).toMatch(/reward/);
    }
  });

  it('grants once per (player, key) under the world incarnation; a repeat is replayed; a non-player id is TX_BAD_REQUEST', async () => {
    const dir = tempDataDir('wt-game-rewards-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'r2', capacity: 16 });
    attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    const p = spawnPlayer(world, 1, 1);
    bindPlayer(world, p, 't:alice');
    expect(playerIdOf(world, p)).toBe('t:alice');

    const first = await grantPlayerReward(world, p, { key: 'round:1', coins: 25 });
    expect(first).toMatchObject({ status: 'ok', key: 'game:round:1@inc-1', coinsDelta: 25, replayed: false, playerId: 't:alice' });
    const again = await grantPlayerReward(world, p, { key: 'round:1', coins: 25 });
    expect(again).toMatchObject({ status: 'ok', replayed: true, seq: first.seq });
    const conflict = await grantPlayerReward(world, p, { key: 'round:1', coins: 30 });
    expect(conflict).toMatchObject({ status: 'rejected', code: 'TX_KEY_CONFLICT' });
    const entries = await store.readLedger({ playerId: 't:alice' });
    expect(entries.filter((e) => e.key === 'game:round:1@inc-1')).toHaveLength(1);

    const npc = spawn(world, { kind: 1, x: 2, y: 2 });
    expect(playerIdOf(world, npc)).toBeNull();
    expect(await grantPlayerReward(world, npc, { key: 'round:1', coins: 25 })).toMatchObject({
      status: 'rejected',
      code: 'TX_BAD_REQUEST',
    });
  });

  it('grants to a durable player id whose entity is gone (once per key); a malformed id throws', async () => {
    const dir = tempDataDir('wt-game-rewards-id-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'r3', capacity: 16 });
    attachLedger(world, { store, epoch: 'inc-3', rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    const r = await grantPlayerReward(world, 't:away', { key: 'quest:7', coins: 40 });
    expect(r).toMatchObject({ status: 'ok', playerId: 't:away', key: 'game:quest:7@inc-3', coinsDelta: 40 });
    expect(await grantPlayerReward(world, 't:away', { key: 'quest:7', coins: 40 })).toMatchObject({ status: 'ok', replayed: true });
    expect(await store.ledgerBalance('t:away')).toMatchObject({ coins: 40 });
    let err: unknown;
    try {
      void grantPlayerReward(world, 'two words', { key: 'quest:8', coins: 1 });
    } catch (e) {
      err = e;
    }
    expect(isWorldtickError(err, ErrorCode.OPTION_INVALID)).toBe(true);
  });
});
