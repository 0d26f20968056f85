import { describe, expect, it } from 'vitest';
import { createStores, ensurePlayerRow, playerRow, playerTableRows, storeBytes } from '../../../components/index.js';
import { createSimWorld, despawnEntity, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';

describe('player table (Player and Wallet rows per player)', () => {
  it('players get the lowest free row; NPCs get none; a despawned player frees its row, reset to defaults', () => {
    const w = createSimWorld({ id: 'pt', capacity: 50 });
    const n1 = spawnNpc(w, 1, 1);
    const a = spawnPlayer(w, 2, 2, 80);
    const b = spawnPlayer(w, 3, 3);
    expect(playerRow(w.stores, n1)).toBe(0);
    expect([playerRow(w.stores, a), playerRow(w.stores, b)]).toEqual([1, 2]);
    const { Player, Wallet } = w.stores;
    expect(Player.interestRadius[1]).toBe(80);
    expect(Player.session[0]).toBe(-1); // row 0 holds defaults, what an entity without a row reads
    Wallet.coins[1] = 42;
    despawnEntity(w, a);
    expect(playerRow(w.stores, a)).toBe(0);
    expect([Wallet.coins[1], Player.eid[1], Player.session[1]]).toEqual([0, 0, -1]);
    const c = spawnPlayer(w, 4, 4); // bitecs recycles a's id; the row is the lowest free one again
    expect(playerRow(w.stores, c)).toBe(1);
    expect(Wallet.coins[1]).toBe(0);
    // An id recycled as an NPC drops a stale row too.
    despawnEntity(w, b);
    const n2 = spawnNpc(w, 5, 5);
    expect(playerRow(w.stores, n2)).toBe(0);
    expect(playerTableRows(w.stores)).toBe(2);
  });

  it('grows past its first rows; a checkpoint restores rows, wallets and the mapping with the same state hash', async () => {
    const w = createSimWorld({ id: 'grow', capacity: 400, seed: 5, config: { controller: { enabled: false } } });
    for (let i = 0; i < 100; i++) spawnNpc(w, i * 3, i * 5);
    const players: number[] = [];
    for (let i = 0; i < 150; i++) players.push(spawnPlayer(w, i * 7, i * 2));
    expect(w.stores.Player.eid.length).toBeGreaterThanOrEqual(151);
    for (let i = 0; i < players.length; i++) {
      const row = playerRow(w.stores, players[i]);
      w.stores.Wallet.coins[row] = 1000 + i;
      w.stores.Wallet.appliedSeq[row] = 7 * i;
      w.stores.Wallet.item3[row] = i % 5;
    }
    for (let i = 0; i < 150; i += 3) despawnEntity(w, players[i]); // holes in the table
    runStep(w);
    const r = await restoreWorld(await encodeCapture(captureWorld(w)));
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    for (let i = 1; i < 150; i += 3) {
      const [rw, rr] = [playerRow(w.stores, players[i]), playerRow(r.stores, players[i])];
      expect(rr).toBe(rw);
      expect([r.stores.Wallet.coins[rr], r.stores.Wallet.appliedSeq[rr], r.stores.Wallet.item3[rr]]).toEqual([1000 + i, 7 * i, i % 5]);
    }
    // Both fill the same holes in the same order afterwards.
    for (const x of [w, r]) for (let i = 0; i < 10; i++) spawnPlayer(x, i, i);
    runStep(w);
    runStep(r);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
  });

  it('refuses a row beyond the entity capacity', () => {
    const s = createStores(2);
    ensurePlayerRow(s, 1);
    ensurePlayerRow(s, 2);
    expect(() => ensurePlayerRow(s, 3)).toThrow(RangeError);
  });

  it('a large store set costs about 100 bytes per entity (no player, wallet or chain-timer bytes per NPC)', () => {
    const n = 100_000;
    const s = createStores(n);
    expect(s.Wallet.coins.length).toBeLessThan(100); // the player table starts small, whatever the capacity
    expect(storeBytes(s) / n).toBeLessThan(105); // 220 before the player table, the time ticks and the chain-timer table
  });
});
