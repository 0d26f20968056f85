/**
 * The game's migration hook (`defineGame({ version, migrate })`, src/game/migrate.ts): a world
 * checkpointed by version 1 into a real SQLite store, loaded back as the runtime loads it at start and
 * on a cluster takeover (`loadPersistedWorld` with the runtime's `gameRestoreBuilders`) by version 2,
 * whose hook remaps a unit class code and fills a new field from an old one. It runs once, with
 * from/to, after the rules carried the data over (the checkpoint's player entities removed) and before any step; not for a world of the same
 * version, nor a fresh one, nor again once the migrated world was checkpointed; not by a replay's
 * restore. A hook that throws refuses the checkpoint (`WT_ERR_CHECKPOINT_INCOMPATIBLE` naming it),
 * the stored rows left byte for byte as they were.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addComponent,
  createGameWorld,
  defineComponent,
  defineGame,
  getStore,
  hasComponent,
  pauseWorld,
  query,
  spawn,
  stepWorld,
  type GameDefinition,
  type MigrateContext,
} from '../../../src/index.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { installGame } from '../../../src/game/world.js';
import { gameRestoreBuilders } from '../../../src/server/runtime-persist.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { storedRows } from '../../helpers/forge-checkpoint.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

const data = tempDataDir('wt-game-migrate-');
const file = join(data.dir, 'worldtick.sqlite');
let store: Store;
const { lines, logger } = jsonLogSink('info');

const Unit = defineComponent('Unit', { cls: 'u8' });
const Stats1 = defineComponent('Stats', { hp: 'u16' });
const Stats2 = defineComponent('Stats', { hp: 'u16', maxHp: 'u16' });

const v1 = defineGame({ name: 'migrate-game', components: [Unit, Stats1] });

interface Seen {
  from: number;
  to: number;
  step: number;
  units: number;
  players: number;
}
const calls: Seen[] = [];

/** Version 2: class 3 is now 7; `maxHp` is new, filled from `hp`. */
const migrate2 = ({ world, from, to }: MigrateContext): void => {
  const unit = getStore(world, Unit);
  const stats = getStore(world, Stats2);
  let units = 0;
  for (const e of query(world, [unit])) {
    units++;
    if (unit.cls[e] === 3) unit.cls[e] = 7;
    if (hasComponent(world, e, Stats2)) stats.maxHp[e] = stats.hp[e] ?? 0;
  }
  calls.push({ from, to, step: world.clock.step, units, players: [...query(world, [world.stores.Player])].length });
};
const v2 = (migrate?: (ctx: MigrateContext) => void): GameDefinition =>
  defineGame({ name: 'migrate-game', version: 2, components: [Unit, Stats2], ...(migrate ? { migrate } : {}) });

const persist = async (world: SimWorld, id: string, steps: number): Promise<void> => {
  const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
  ck.track(world, { origin: 'admin', npcs: 0 });
  if (!world.clock.paused) pauseWorld(world);
  stepWorld(world, steps);
  await ck.persist(id);
};

/** A version-1 world `id` checkpointed at step 10: 4 units of class 3 and 2 of class 5, with hp. */
const v1World = async (id: string): Promise<void> => {
  const w = createGameWorld(v1, { id, seed: 3, capacity: 100, size: 300 });
  for (let i = 0; i < 6; i++) {
    const e = spawn(w, { kind: 1, x: 10 + i, y: 10 });
    addComponent(w, e, Unit, { cls: i < 4 ? 3 : 5 });
    addComponent(w, e, Stats1, { hp: 100 + i });
  }
  addComponent(w, spawnPlayer(w, 20, 20), Unit, { cls: 3 }); // removed at a restore: the hook does not see it
  await persist(w, id, 10);
};

const load = (id: string, game: GameDefinition): Promise<SimWorld | null> =>
  loadPersistedWorld(store, logger, id, undefined, gameRestoreBuilders(game)).then((p) => p?.world ?? null);

const unitsOf = (w: SimWorld): { cls: number; hp: number; maxHp: number }[] => {
  const unit = getStore(w, Unit);
  const stats = getStore(w, Stats2);
  return [...query(w, [unit])].map((e) => ({ cls: unit.cls[e] ?? -1, hp: stats.hp[e] ?? -1, maxHp: stats.maxHp[e] ?? -1 }));
};

beforeAll(async () => {
  store = await openStore({ dataDir: data.dir });
  for (const id of ['a', 'b', 'r']) await v1World(id);
});
afterAll(async () => {
  await store.close();
  data.remove();
});

describe('defineGame({ migrate })', () => {
  it('runs once on a lower version checkpoint, after the carry-over and before any step; not again once checkpointed', async () => {
    calls.length = 0;
    const game = v2(migrate2);
    const w = await load('a', game);
    expect(w).not.toBeNull();
    if (!w) return;
    expect(calls).toEqual([{ from: 1, to: 2, step: 10, units: 6, players: 0 }]);
    expect(w.clock.step).toBe(10); // not stepped
    expect(unitsOf(w)).toEqual([
      ...[0, 1, 2, 3].map((i) => ({ cls: 7, hp: 100 + i, maxHp: 100 + i })),
      ...[4, 5].map((i) => ({ cls: 5, hp: 100 + i, maxHp: 100 + i })),
    ]);
    // Its next checkpoint records version 2: loaded again, no second migration, the migrated data kept.
    await persist(w, 'a', 5);
    const again = await load('a', game);
    expect(calls).toHaveLength(1);
    expect(again && unitsOf(again)).toEqual(unitsOf(w));
  });

  it('is not called for a fresh world nor for a checkpoint of the same version', async () => {
    calls.length = 0;
    const game = v2(migrate2);
    const fresh = createGameWorld(game, { id: 'f', seed: 1, capacity: 50, size: 100 });
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
    ck.track(fresh, { origin: 'admin', npcs: 0 });
    await ck.record('f'); // a record, no checkpoint: rebuilt fresh from it
    expect(await load('f', game)).not.toBeNull();
    await persist(createGameWorld(game, { id: 's', seed: 1, capacity: 50, size: 100 }), 's', 3);
    expect(await load('s', game)).not.toBeNull();
    expect(calls).toEqual([]);
  });

  it('a hook that throws refuses the checkpoint, the migration and its error named; nothing written', async () => {
    const before = storedRows(file, 'b');
    lines.length = 0;
    const game = v2(({ from }) => {
      throw new Error(`cannot read class codes of version ${from}`);
    });
    const err = await load('b', game).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE', details: { worldId: 'b', step: 10 } });
    const problems = (err as { details: { problems: string[] } }).details.problems;
    expect(problems).toEqual([
      expect.stringContaining('migrate (game "migrate-game" version 1 to 2) threw: cannot read class codes of version 1'),
    ]);
    expect(storedRows(file, 'b')).toEqual(before);
    expect(lines.find((l) => l.world === 'b' && l.level === 50)).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
  });

  it('a replay restores its starting checkpoint without migrating (it is of the migrated world)', async () => {
    calls.length = 0;
    const game = v2(migrate2);
    const w = createGameWorld(v1, { id: 'r2', seed: 3, capacity: 50, size: 100 });
    addComponent(w, spawn(w, { kind: 1, x: 1, y: 1 }), Unit, { cls: 3 });
    const bytes = await encodeCapture(captureWorld(w));
    // As src/replay/replayer.ts restores (no `migrate`): the old class code stays.
    const r = await restoreWorld(bytes, { systems: game.pipeline, install: (x) => installGame(game, x) });
    expect(calls).toEqual([]);
    expect(unitsOf(r).map((u) => u.cls)).toEqual([3]);
  });

  it('defineGame refuses a migrate that is not a function', () => {
    expect(() => defineGame({ name: 'g', migrate: 'nope' as never })).toThrow(/migrate must be a function/);
  });
});
