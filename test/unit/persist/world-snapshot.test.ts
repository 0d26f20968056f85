import { playerRow } from '../../../components/player-table.js';
import { describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, despawnEntity, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { ErrorCode } from '../../../src/errors.js';
import { getAllEntities } from 'bitecs';

/** Inputs and structural changes applied at a given step (the same on both worlds). */
const drive = (w: SimWorld, step: number, players: number[]): void => {
  const p = players[step % players.length];
  if (step % 7 === 0) {
    w.stores.Velocity.x[p] = ((step * 13) % 9) - 4;
    w.stores.Velocity.y[p] = ((step * 7) % 11) - 5;
  }
  if (step % 11 === 0)
    despawnEntity(w, getAllEntities(w)[(step * 37) % 500] === p ? getAllEntities(w)[1] : getAllEntities(w)[(step * 37) % 500]);
  if (step % 13 === 0) spawnNpc(w, (step * 17) % 1000, (step * 29) % 1000, step % 8); // reuses a recycled id
  const row = playerRow(w.stores, p); // 0 once the player was despawned
  if (step % 17 === 0 && row !== 0) w.stores.Wallet.coins[row] = step; // a wallet write (the ledger's job in the runtime)
};

const build = (): { w: SimWorld; players: number[] } => {
  const w = createSimWorld({ id: 'ck', seed: 9, capacity: 3000, size: 1000, config: { controller: { enabled: false } } });
  populateNpcs(w, { count: 2000 });
  const players = [spawnPlayer(w, 500, 500), spawnPlayer(w, 200, 800), spawnPlayer(w, 900, 100)];
  return { w, players };
};

describe('world checkpoint: capture, encode, restore', () => {
  it('a world restored at step N and the original, stepped M more with the same inputs, have the same state hash', async () => {
    const { w, players } = build();
    let step = 0;
    // Checkpoints at several consecutive steps cover every tiering branch (urgent, scheduled, pending pass, none).
    const restored: Array<{ at: number; world: SimWorld }> = [];
    for (; step < 90; step++) {
      if (step >= 80 && step < 86) {
        const cap = captureWorld(w);
        expect(cap.step).toBe(w.clock.step);
        const bytes = await encodeCapture(cap);
        expect(bytes.byteLength).toBeLessThan(cap.packed.byteLength);
        const r = await restoreWorld(bytes);
        expect(hashWorldState(r)).toBe(hashWorldState(w));
        restored.push({ at: step, world: r });
      }
      drive(w, step, players);
      for (const r of restored) drive(r.world, step, players);
      runStep(w);
      for (const r of restored) runStep(r.world);
    }
    for (; step < 160; step++) {
      drive(w, step, players);
      for (const r of restored) drive(r.world, step, players);
      runStep(w);
      for (const r of restored) runStep(r.world);
    }
    const h = hashWorldState(w);
    for (const r of restored) expect({ at: r.at, hash: hashWorldState(r.world) }).toEqual({ at: r.at, hash: h });
    expect(restored[0].world.clock.now).toBe(w.clock.now);
    const r0 = restored[0].world;
    expect(r0.stores.Wallet.coins[playerRow(r0.stores, players[0])]).toBe(w.stores.Wallet.coins[playerRow(w.stores, players[0])]);
  });

  it('restores config, configVersion, clock and counters; refuses garbage with a coded error', async () => {
    const { w } = build();
    for (let i = 0; i < 5; i++) runStep(w);
    w.config.simulation.timeScale = 7;
    w.configVersion = 3;
    const r = await restoreWorld(await encodeCapture(captureWorld(w)));
    expect(r.config.simulation.timeScale).toBe(7);
    expect(r.configVersion).toBe(3);
    expect(r.clock).toEqual(w.clock);
    expect(r.counters.steps).toBe(5);
    await expect(restoreWorld(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({ code: ErrorCode.CHECKPOINT_CORRUPT });
  });
});
