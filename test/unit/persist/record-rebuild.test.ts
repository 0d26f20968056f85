/**
 * A world rebuilt from its durable record without a usable checkpoint (src/persist/restore.ts) is
 * built AT the record's clock, on a real SQLite store: a game's repeating timers keep their grid of
 * world time (next due = the first multiple after the clock, no stale run), one-shots set by
 * `onWorldCreated` are relative to the clock; a world without a game gets its NPC time base moved
 * with the clock (components/world-time.ts), so NPC deadlines populated at a late world time are exact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  createGameWorld,
  defineGame,
  pauseWorld,
  pendingWorldTimers,
  setWorldTimer,
  stepWorld,
  type FiredTimer,
} from '../../../src/index.js';
import { installGame } from '../../../src/game/world.js';
import { createLogger } from '../../../src/log.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { newIncarnation, worldRecordOf } from '../../../src/persist/world-record.js';
import { openStore } from '../../../src/store/open-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { tickTime } from '../../../components/world-time.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const data = tempDataDir('wt-record-rebuild-');
afterAll(() => data.remove());
const logger = createLogger('silent');

describe('a world rebuilt from its record', () => {
  it('runs a game at the record clock: repeating timers on their grid, creation one-shots relative to it', async () => {
    const fired: FiredTimer[] = [];
    const game = defineGame({
      name: 'rebuild',
      timers: [
        { name: 'beat', every: 2, run: (_w, _c, t) => fired.push(t) },
        { name: 'later', run: (_w, _c, t) => fired.push(t) },
      ],
      hooks: { onWorldCreated: (w) => void setWorldTimer(w, 20, 'later') },
    });
    const store = await openStore({ dataDir: data.dir });
    try {
      const original = createGameWorld(game, { id: 'arena', config: { simulation: { tickIntervalSeconds: 0.05, timeScale: 1 } } });
      pauseWorld(original);
      stepWorld(original, 747); // 37.35 s
      fired.length = 0;
      const rec = worldRecordOf(original, { origin: 'admin', incarnation: newIncarnation(), npcs: 0 });
      await store.putWorldConfig('arena', rec); // a record, no checkpoint
      const p = await loadPersistedWorld(store, logger, 'arena', undefined, {
        systems: game.pipeline,
        install: (w) => installGame(game, w),
        fresh: (o) => createGameWorld(game, o),
      });
      const w = p?.world;
      if (!w) throw new Error('not rebuilt');
      expect(p?.checkpoint).toBeNull();
      expect(w.clock.now).toBe(original.clock.now);
      expect(w.clock.step).toBe(747);
      expect(pendingWorldTimers(w).map((t) => [t.name, t.due])).toEqual([['later', original.clock.now + 20]]);
      pauseWorld(w);
      stepWorld(w, 100); // to 42.35 s
      expect(fired.map((t) => [t.name, t.due])).toEqual([
        ['beat', 38],
        ['beat', 40],
        ['beat', 42],
      ]);
      expect(w.game?.timers.counters.skipped).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('moves a world without a game to the record clock before its NPCs are populated (time base included)', async () => {
    const store = await openStore({ dataDir: data.dir });
    try {
      const original = createSimWorld({ id: 'old', capacity: 100 });
      original.clock.now = 2 ** 23 + 100.5; // past two epochs of the time base (~97 world days)
      original.clock.step = 5_000_000;
      await store.putWorldConfig('old', worldRecordOf(original, { origin: 'admin', incarnation: newIncarnation(), npcs: 50 }));
      const w = (await loadPersistedWorld(store, logger, 'old'))?.world;
      if (!w) throw new Error('not rebuilt');
      expect(w.clock.now).toBe(original.clock.now);
      const T = w.stores.Time;
      expect(T.base[0] + 2 ** 22).toBeLessThanOrEqual(w.clock.now);
      expect(w.clock.now).toBeLessThan(T.base[0] + 2 * 2 ** 22);
      // Populated NPCs' next decisions are at or after the clock, not clamped to a far past or future.
      const next = w.stores.Behavior.nextDecisionAt;
      for (let e = 1; e <= 50; e++) {
        const at = tickTime(T, next[e]);
        expect(at).toBeGreaterThanOrEqual(w.clock.now - 1);
        expect(at).toBeLessThan(w.clock.now + 3600);
      }
    } finally {
      await store.close();
    }
  });
});
