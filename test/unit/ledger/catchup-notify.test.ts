/**
 * Wallet messages for entries a catch-up fact applies on its way (src/ledger/world-ledger-apply.ts):
 * a `tx` fact first applies every committed entry of the outbox, whoever it is for. A catch-up fact
 * that is then dropped (superseded by a newer binding of its player, or the player left) must still
 * tell the other players whose wallets it changed — their own `result` facts find nothing left to
 * apply, so nobody else would. A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { despawnEntity } from '../../../src/core/world-core.js';
import { attachLedger, bindPlayer, detachLedger, grantReward, walletOf } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('wallet messages for entries applied by a dropped catch-up', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const until = async (world: SimWorld, done: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !done(); i++) {
      world.ingest.drain(world, 100);
      await sleep(5);
    }
    expect(done()).toBe(true);
  };

  for (const drop of ['superseded', 'left'] as const)
    it(`a catch-up ${drop} before it applied still tells the player whose reward it applied`, async () => {
      const dir = tempDataDir('wt-catchup-notify-');
      cleanup.push(() => dir.remove());
      const store = new SqliteStore({ dataDir: dir.dir });
      cleanup.push(() => store.close());
      const world = createSimWorld({ id: 'cn', capacity: 64, seed: 1 });
      const l = attachLedger(world, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
      cleanup.push(() => detachLedger(world));
      const told: Array<[string, number]> = [];
      l.onWalletChanged = (id, w) => told.push([id, w.coins]);

      const a = spawnPlayer(world, 1, 1);
      bindPlayer(world, a, 'A');
      await until(world, () => walletOf(world, 'A') !== null);

      // B's catch-up fact is queued first; A's reward commits after it (its entry waits in the outbox).
      const b1 = spawnPlayer(world, 2, 2);
      bindPlayer(world, b1, 'B');
      const txPending = (): number => world.ingest.stats().find((t) => t.type === 'tx')?.pending ?? 0;
      for (let i = 0; i < 200 && txPending() === 0; i++) await sleep(2);
      expect(txPending()).toBe(1);
      const granted = await grantReward(world, { playerId: 'A', key: 'r1', coins: 5 });
      expect(granted.status).toBe('ok');
      // Before any step: B's first catch-up is dropped when it applies.
      if (drop === 'superseded') bindPlayer(world, spawnPlayer(world, 3, 3), 'B');
      else despawnEntity(world, b1); // gone without its binding released: the catch-up finds no live player
      world.ingest.drain(world, 100);
      expect(walletOf(world, 'A')?.coins).toBe(5);
      expect(told).toContainEqual(['A', 5]);
    });
});
