/**
 * The ledger's effect in an input log: a world with a real ledger (SQLite store) reports every
 * wallet change it applies to its record hook, in order, while the `tx` fact applies; a world
 * without a ledger given those changes as a replayed `tx` fact ends with the same wallet (and the
 * same state hash); a malformed replayed `tx` fact changes nothing.
 */
import { playerRow } from '../../../components/player-table.js';
import { afterEach, describe, expect, it } from 'vitest';
import { walletSlot } from '../../../components/wallet.js';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { attachLedger, bindPlayer, detachLedger, grantReward, TX_INGEST_TYPE } from '../../../src/ledger/world-ledger.js';
import { defineReplayedLedger, WALLET_EFFECT_WIDTH } from '../../../src/replay/replay-ledger.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { sqliteFactory, type StoreHandle } from '../../helpers/store-factories.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ledger effects for record/replay', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('records the wallet changes applied, in order, inside the tx fact; replaying them without a ledger gives the same wallet', async () => {
    const handle: StoreHandle = await sqliteFactory.create();
    cleanup.push(() => handle.dispose());
    const store = await handle.open();
    cleanup.push(() => store.close());
    const live = createSimWorld({ id: 'led', capacity: 64, seed: 3 });
    const ledger = attachLedger(live, { store, startingCoins: 500, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(live));

    // The record hook and the ingest tap, as the recorder uses them.
    const facts: Array<[string, number[]]> = [];
    let current: number[] | null = null;
    live.ingest.tap = (type) => {
      current = [];
      facts.push([type, current]);
    };
    live.record = {
      stepStart: () => {},
      walletApplied: (eid, seq, coinsDelta, slot, quantity) => {
        expect(current).not.toBeNull(); // only while a fact applies
        current!.push(eid, seq, coinsDelta, slot, quantity);
      },
    };

    const eid = spawnPlayer(live, 1, 2);
    bindPlayer(live, eid, 'alice'); // catch-up + starting coins
    const potion = ledger.catalogue.get('potion')!;
    const r = await grantReward(live, { playerId: 'alice', key: 'quest:1', coins: 7, item: 'potion', quantity: 2 });
    expect(r.status).toBe('ok');
    const W = live.stores.Wallet;
    const row = playerRow(live.stores, eid);
    for (let i = 0; i < 200 && !(W.coins[row] === 507 && walletSlot(W, potion.slot)[row] === 2); i++) {
      live.ingest.drain(live, 100);
      await sleep(5);
    }
    expect(W.coins[row]).toBe(507);
    expect(walletSlot(W, potion.slot)[row]).toBe(2);

    // Every fact applied was a tx fact; the two wallet changes are in seq order, with their slots.
    expect(facts.every(([t]) => t === TX_INGEST_TYPE)).toBe(true);
    const changes = facts.flatMap(([, c]) => c);
    expect(changes).toHaveLength(2 * WALLET_EFFECT_WIDTH);
    expect([changes[0], changes[2], changes[3], changes[4]]).toEqual([eid, 500, -1, 0]);
    expect([changes[5], changes[7], changes[8], changes[9]]).toEqual([eid, 7, potion.slot, 2]);
    expect(changes[6]).toBeGreaterThan(changes[1]);
    expect(changes[6]).toBe(W.appliedSeq[row]);

    // A world without a ledger: the same entity, the recorded changes applied as replayed tx facts.
    const replay: SimWorld = createSimWorld({ id: 'led', capacity: 64, seed: 3 });
    defineReplayedLedger(replay);
    expect(spawnPlayer(replay, 1, 2)).toBe(eid);
    for (const [type, c] of facts) replay.ingest.applyRecorded(replay, type, 0, c);
    expect(hashWorldState(replay)).toBe(hashWorldState(live));
    expect(replay.stores.Wallet.coins[playerRow(replay.stores, eid)]).toBe(507);

    // A malformed payload changes nothing (counted as an apply error).
    const before = hashWorldState(replay);
    replay.ingest.applyRecorded(replay, TX_INGEST_TYPE, 0, [eid, 99, 5]);
    replay.ingest.applyRecorded(replay, TX_INGEST_TYPE, 0, { op: 'result' });
    replay.ingest.applyRecorded(replay, TX_INGEST_TYPE, 0, [9999, 99, 5, -1, 0]);
    expect(hashWorldState(replay)).toBe(before);
    expect(replay.ingest.stats().find((s) => s.type === TX_INGEST_TYPE)?.applyErrors).toBe(3);
  });
});
