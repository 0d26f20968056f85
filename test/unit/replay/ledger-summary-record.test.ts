/**
 * A fresh wallet caught up from the player's ledger summary (src/ledger/catch-up.ts) in an input
 * log: the summary is recorded as wallet changes at its seq (the coins, then one per item held)
 * inside the catch-up's `tx` fact, and a world without a ledger given the recorded facts ends with
 * the same wallet and the same state hash. A real SQLite store with a history written before the join.
 */
import { playerRow } from '../../../components/player-table.js';
import { afterEach, describe, expect, it } from 'vitest';
import { walletSlot } from '../../../components/wallet.js';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { attachLedger, bindPlayer, detachLedger, grantReward, TX_INGEST_TYPE, walletOf } from '../../../src/ledger/world-ledger.js';
import { defineReplayedLedger, WALLET_EFFECT_WIDTH } from '../../../src/replay/replay-ledger.js';
import type { LedgerEntryInput } from '../../../src/store/types.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { sqliteFactory, type StoreHandle } from '../../helpers/store-factories.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a catch-up from the ledger summary in an input log', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('records the summary as wallet changes; replaying them without a ledger gives the same wallet and hash', async () => {
    const handle: StoreHandle = await sqliteFactory.create();
    cleanup.push(() => handle.dispose());
    const store = await handle.open();
    cleanup.push(() => store.close());
    const history: LedgerEntryInput[] = [];
    for (let i = 0; i < 300; i++)
      history.push(
        i % 2 === 0
          ? rewardEntry(`h${i}`, { playerId: 'alice', coinsDelta: 15, item: i % 4 === 0 ? 'arrow' : null, quantity: i % 4 === 0 ? 3 : 0 })
          : rewardEntry(`h${i}`, { playerId: 'alice', kind: 'purchase', item: 'potion', quantity: 1, unitPrice: 10, coinsDelta: -10 }),
      );
    await store.commitLedger(history);
    const summary = await store.ledgerBalance('alice');

    const live = createSimWorld({ id: 'led', capacity: 64, seed: 3 });
    const ledger = attachLedger(live, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(live));
    const facts: Array<[string, number[]]> = [];
    let current: number[] | null = null;
    live.ingest.tap = (type) => {
      current = [];
      facts.push([type, current]);
    };
    live.record = {
      stepStart: () => {},
      walletApplied: (eid, seq, coinsDelta, slot, quantity) => {
        if (current === null) throw new Error('a wallet change outside a fact');
        current.push(eid, seq, coinsDelta, slot, quantity);
      },
    };

    const eid = spawnPlayer(live, 1, 2);
    bindPlayer(live, eid, 'alice');
    const r = await grantReward(live, { playerId: 'alice', key: 'quest:1', coins: 7, item: 'potion', quantity: 2 });
    expect(r.status).toBe('ok');
    for (let i = 0; i < 200 && walletOf(live, 'alice')?.appliedSeq !== r.seq; i++) {
      live.ingest.drain(live, 100);
      await sleep(5);
    }
    const potion = ledger.catalogue.get('potion');
    const arrow = ledger.catalogue.get('arrow');
    if (!potion || !arrow) throw new Error('default catalogue changed');
    expect(walletOf(live, 'alice')).toMatchObject({ coins: summary.coins + 7, items: { potion: 152, arrow: 225 } });

    // The summary: coins, then potion and arrow (catalogue order), all at the summary's seq; then the reward.
    const changes = facts.flatMap(([, c]) => c);
    expect(facts.every(([t]) => t === TX_INGEST_TYPE)).toBe(true);
    expect(changes).toEqual([
      ...[eid, summary.lastSeq, summary.coins, -1, 0],
      ...[eid, summary.lastSeq, 0, potion.slot, 150],
      ...[eid, summary.lastSeq, 0, arrow.slot, 225],
      ...[eid, r.seq, 7, potion.slot, 2],
    ]);
    expect(changes).toHaveLength(4 * WALLET_EFFECT_WIDTH);

    const replay: SimWorld = createSimWorld({ id: 'led', capacity: 64, seed: 3 });
    defineReplayedLedger(replay);
    expect(spawnPlayer(replay, 1, 2)).toBe(eid);
    for (const [type, c] of facts) replay.ingest.applyRecorded(replay, type, 0, c);
    expect(hashWorldState(replay)).toBe(hashWorldState(live));
    const row = playerRow(replay.stores, eid);
    expect(replay.stores.Wallet.coins[row]).toBe(summary.coins + 7);
    expect(walletSlot(replay.stores.Wallet, potion.slot)[row]).toBe(152);
    expect(replay.stores.Wallet.appliedSeq[row]).toBe(r.seq);
  });
});
