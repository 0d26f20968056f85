/**
 * `playerCoins` / `playerItemCount` read a player's wallet in the step. In a world without a ledger
 * (a replay: the recorded wallet changes are applied by slot) items are read by the game's own
 * catalogue, else the built-in default — as the live ledger assigns the slots when the server
 * config names no catalogue of its own.
 */
import { describe, expect, it } from 'vitest';
import { ensurePlayerRow } from '../../../components/player-table.js';
import { createGameWorld, defineGame, playerCoins, playerItemCount, spawn } from '../../../src/index.js';
import { applyWalletEffect } from '../../../src/ledger/apply.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';

describe('playerCoins / playerItemCount without a ledger', () => {
  it("reads the wallet by the game's catalogue slots; 0 for other items and non-players", () => {
    const game = defineGame({
      name: 'w',
      catalogue: [
        { id: 'gem', price: 1 },
        { id: 'boots', price: 30 },
      ],
    });
    const w = createGameWorld(game, { id: 'w', capacity: 8, config: { simulation: { pauseSimulation: true } } });
    const p = spawnPlayer(w, 1, 1);
    // What a replayed `tx` fact does: seq 1, +70 coins, 2 of slot 1 (boots).
    applyWalletEffect(w.stores.Wallet, ensurePlayerRow(w.stores, p), 1, 70, 1, 2);
    expect([playerCoins(w, p), playerItemCount(w, p, 'boots'), playerItemCount(w, p, 'gem')]).toEqual([70, 2, 0]);
    expect(playerItemCount(w, p, 'potion')).toBe(0); // not this game's
    const npc = spawn(w, { kind: 1, x: 2, y: 2 });
    expect([playerCoins(w, npc), playerItemCount(w, npc, 'boots'), playerCoins(w, 999)]).toEqual([0, 0, 0]);
  });

  it('a game without a catalogue reads the default one (potion, arrow, sword, shield)', () => {
    const w = createGameWorld(defineGame({ name: 'd' }), { id: 'd', capacity: 8, config: { simulation: { pauseSimulation: true } } });
    const p = spawnPlayer(w, 1, 1);
    applyWalletEffect(w.stores.Wallet, ensurePlayerRow(w.stores, p), 1, 0, 2, 1); // slot 2: sword
    expect(playerItemCount(w, p, 'sword')).toBe(1);
  });
});
