/**
 * The control tick waits for a new grant's fencing-token announce at most a bound (src/server/cluster-fence-announce.ts
 * `announceInTick`): an announce the store does not answer (its connection silently dropped:
 * test/integration/cluster/cut-owner.test.ts, docs/CLUSTER.md "An instance cut off from the network") must not
 * hold the tick, or no other lease of the instance is renewed meanwhile and they lapse. The announce stays in
 * flight (never a second `fence` sent for it), and the world granted does not step — no write fence — until the
 * store has recorded its token. A real SQLite store whose `fence` of one world waits for the test (the fault is
 * a query that hangs, which a real store gives only behind a cut network); a cluster service over an in-process
 * hub on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { gate, setUp, sleep, tickEnds } from '../../helpers/tick-two-worlds.js';

describe('a new grant whose announce the store does not answer', () => {
  it('holds no control tick: the other leases are renewed, the new world steps only once its token is recorded', async () => {
    const data = tempDataDir('wt-announce-bounded-');
    const store = new SqliteStore({ dataDir: data.dir });
    const fenced = gate<void>();
    let slowFences = 0;
    try {
      const x = await setUp(store, {
        store: {
          fence: async (f) => {
            if (f.worldId === 'w2') {
              slowFences++;
              await fenced.wait;
            }
            return store.fence(f);
          },
        },
      });
      const { hub, w1, w2, worlds, c } = x;
      await c.kick();
      expect(c.canStep(w1)).toBe(true);

      // w2 is granted here anew at 600 ms; its announce does not come back.
      x.clock.now = 600;
      worlds.push(w2);
      expect(await tickEnds(c)).toBe('tick ended');
      expect(slowFences).toBe(1);
      expect(hub.lease('w2')).toMatchObject({ instanceId: 'a' });
      expect(c.fence('w2')).toBeNull();
      expect(c.canStep(w2)).toBe(false);

      // The next tick renews w1 (its lease of 600 ms would end at 1600 ms) and sends no second fence for w2.
      x.clock.now = 1200;
      await c.kick();
      expect(slowFences).toBe(1);
      x.clock.now = 1700;
      expect(c.canStep(w1)).toBe(true);
      expect(c.canStep(w2)).toBe(false);

      // The store answers: the token is recorded, w2 steps (its lease renewed by that same tick).
      fenced.open();
      for (let i = 0; i < 200 && c.fence('w2') === null; i++) await sleep(5);
      expect(c.fence('w2')).toEqual({ worldId: 'w2', token: 1 });
      expect(c.canStep(w2)).toBe(true);
      expect(slowFences).toBe(1);
    } finally {
      fenced.open();
      await store.close();
      data.remove();
    }
  });
});
