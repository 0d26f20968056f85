/**
 * A studio ships version 2 of its game on a world checkpointed by version 1: one checkpoint of a v1
 * world (components, entities of two kinds, pending one-shot and repeating timers, waiting facts),
 * restored by v2 definitions that each change one thing (docs/GAME-API.md "Shipping a new version of
 * your game"). What is carried over follows the documented rules and is reported (the `changes`
 * callback the runtime logs); a checkpoint whose values the new definition cannot hold is refused with
 * `WT_ERR_CHECKPOINT_INCOMPATIBLE`, nothing built — never converted by wrapping.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addComponent,
  createGameWorld,
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  gameFactStats,
  getStore,
  hasComponent,
  pauseWorld,
  pendingWorldTimers,
  query,
  setWorldTimer,
  spawn,
  stepWorld,
  type ComponentDef,
  type GameDefinition,
  type GameWorld,
} from '../../../src/index.js';
import { installGame } from '../../../src/game/world.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import type { GameChanges } from '../../../src/persist/game-changes.js';

const Health1 = defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'f32' });
const Old = defineComponent('Old', { a: 'u8' });
const Data1 = defineComponent('GameData', { version: 'u8' });
const seen: unknown[] = [];
const settle = defineFact<{ txid: string; coins: number }>({ name: 'settle', apply: (_w, p) => void seen.push(p) });
const grant = defineFact<{ n: number }>({ name: 'grant', apply: () => {} });
const noop = (): void => {};

const v1 = defineGame({
  name: 'upgrade-game',
  components: [Health1, Old, Data1],
  facts: [settle, grant],
  timers: [
    { name: 'tick', every: 0.01, run: noop },
    { name: 'respawn', run: noop },
    { name: 'bonus', run: noop },
  ],
});

/** v2 of the game: v1 with `patch` applied (the same name). */
const v2 = (patch: Partial<Parameters<typeof defineGame>[0]>): GameDefinition =>
  defineGame({
    name: 'upgrade-game',
    components: [Health1, Old, Data1],
    facts: [settle, grant],
    timers: [
      { name: 'tick', every: 0.01, run: noop },
      { name: 'respawn', run: noop },
      { name: 'bonus', run: noop },
    ],
    ...patch,
  });

let bytes: Uint8Array;
const warriors: number[] = [];
const crates: number[] = [];

beforeAll(async () => {
  const w = createGameWorld(v1, { id: '1', seed: 3, capacity: 200, size: 300, config: { simulation: { pauseSimulation: true } } });
  addComponent(w, spawn(w, { kind: 9, x: 1, y: 1 }), Data1, { version: 1 }); // the game's data version, on a scoreboard
  for (let i = 0; i < 6; i++) {
    const e = spawn(w, { kind: 3, x: 10 + i, y: 10 });
    addComponent(w, e, Health1, { hp: 300 + i, regen: 0.5 });
    if (i % 2 === 0) addComponent(w, e, Old, { a: i });
    warriors.push(e);
  }
  for (let i = 0; i < 3; i++) crates.push(spawn(w, { kind: 4, x: 50 + i, y: 50 }));
  addComponent(w, spawnPlayer(w, 20, 20), Old, { a: 200 }); // a player entity: dropped at a restore, never checked
  stepWorld(w, 5);
  setWorldTimer(w, 10, 'respawn', { player: 'p1' });
  setWorldTimer(w, 20, 'bonus', { coins: 5 });
  setWorldTimer(w, 30, 'bonus', { coins: 6 });
  deliverToWorld(w, settle, { txid: 't1', coins: 3 });
  deliverToWorld(w, grant, { n: 1 });
  bytes = await encodeCapture(captureWorld(w));
});

const restore = async (game: GameDefinition): Promise<{ world: GameWorld; changes: GameChanges | null }> => {
  let changes: GameChanges | null = null;
  const world = await restoreWorld(bytes, {
    systems: game.pipeline,
    install: (x) => installGame(game, x),
    changes: (c) => {
      changes = c;
    },
  });
  return { world, changes };
};

const hpOf = (w: GameWorld, def: ComponentDef): number[] => warriors.map((e) => getStore(w, def).hp[e]);

describe('a new version of the game restored from the old version checkpoint', () => {
  it('the same definition: every value back, no changes reported', async () => {
    const { world, changes } = await restore(v1);
    expect(hpOf(world, Health1)).toEqual([300, 301, 302, 303, 304, 305]);
    expect(changes).toBeNull();
  });

  it('a component gains a field: members keep their values, the new field starts at its default', async () => {
    const Health = defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'f32', armor: { type: 'u8', default: 5 } });
    const { world, changes } = await restore(v2({ components: [Health, Old, Data1] }));
    expect(hpOf(world, Health)).toEqual([300, 301, 302, 303, 304, 305]);
    expect(warriors.map((e) => getStore(world, Health).armor[e])).toEqual([5, 5, 5, 5, 5, 5]);
    expect(changes).toMatchObject({ addedFields: ['Health.armor'] });
  });

  it('a field loses, a component is removed, one is added: dropped and defaults, reported', async () => {
    const Health = defineComponent('Health', { hp: { type: 'u16', default: 100 } });
    const Mana = defineComponent('Mana', { mp: { type: 'u8', default: 7 } });
    const { world, changes } = await restore(v2({ components: [Health, Mana, Data1] }));
    expect(hpOf(world, Health)).toEqual([300, 301, 302, 303, 304, 305]);
    expect(query(world, [Mana]).length).toBe(0);
    expect(getStore(world, Mana).mp[warriors[0]]).toBe(7);
    expect(changes).toMatchObject({
      droppedFields: ['Health.regen'],
      droppedComponents: [{ name: 'Old', members: 4 }],
      addedComponents: ['Mana'],
    });
  });

  it("a field's default changes: a component added after the restore gets the new default (not the checkpoint's)", async () => {
    const Health = defineComponent('Health', { hp: { type: 'u16', default: 150 }, regen: 'f32' });
    const { world } = await restore(v2({ components: [Health, Old, Data1] }));
    expect(hpOf(world, Health)).toEqual([300, 301, 302, 303, 304, 305]); // stored values kept
    addComponent(world, crates[0], Health);
    expect(getStore(world, Health).hp[crates[0]]).toBe(150);
  });

  it("a field's type widens, or narrows with every member's value fitting: converted", async () => {
    const Wide = defineComponent('Health', { hp: { type: 'f64', default: 100 }, regen: 'f64' });
    const a = await restore(v2({ components: [Wide, Old, Data1] }));
    expect(hpOf(a.world, Wide)).toEqual([300, 301, 302, 303, 304, 305]);
    expect(getStore(a.world, Wide).regen[warriors[0]]).toBe(0.5);
    expect(a.changes).toMatchObject({
      convertedFields: [
        { field: 'Health.hp', from: 'u16', to: 'f64' },
        { field: 'Health.regen', from: 'f32', to: 'f64' },
      ],
    });
    const Narrow = defineComponent('Old', { a: 'i8' }); // NPC members hold 0, 2, 4; the player's 200 is not checked
    const b = await restore(v2({ components: [Health1, Narrow, Data1] }));
    expect(warriors.filter((e) => hasComponent(b.world, e, Narrow)).map((e) => getStore(b.world, Narrow).a[e])).toEqual([0, 2, 4]);
  });

  it("a field's type narrows below a member's value, or drops its fraction: refused with WT_ERR_CHECKPOINT_INCOMPATIBLE, never wrapped", async () => {
    const Narrow = defineComponent('Health', { hp: { type: 'u8', default: 100 }, regen: 'f32' });
    const err = await restore(v2({ components: [Narrow, Old, Data1] })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect((err as Error).message).toMatch(/Health\.hp.*u16 → u8.*300/);
    expect((err as { details: { problems: string[] } }).details.problems).toHaveLength(1);
    const Int = defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'i32' });
    const err2 = await restore(v2({ components: [Int, Old, Data1] })).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect((err2 as Error).message).toMatch(/Health\.regen.*f32 → i32.*0\.5/);
  });

  it('a timer or fact no longer declared: its pending ones are dropped, counted and reported by name', async () => {
    const { world, changes } = await restore(
      v2({
        facts: [settle],
        timers: [
          { name: 'tick', every: 0.01, run: noop },
          { name: 'respawn', run: noop },
        ],
      }),
    );
    expect(pendingWorldTimers(world).map((t) => t.name)).toEqual(['respawn']);
    expect(world.game!.timers.counters.dropped).toBe(2);
    expect(gameFactStats(world)).toMatchObject({ dropped: 1, pending: { settle: 1 } });
    expect(changes).toMatchObject({ droppedTimers: { bonus: 2 }, droppedFacts: { grant: 1 } });
    // A game that declares no facts at all any more: the waiting ones are reported too.
    const none = await restore(v2({ facts: [] }));
    expect(none.changes).toMatchObject({ droppedFacts: { grant: 1, settle: 1 } });
  });

  it('timers and facts named like properties every object has (`constructor`, `__proto__`) are counted by name when dropped', async () => {
    const odd = ['constructor', '__proto__', 'toString'];
    const valueOfFact = defineFact<Record<string, never>>({ name: 'valueOf', apply: noop });
    const withOdd = defineGame({ name: 'odd-names', facts: [valueOfFact], timers: odd.map((name) => ({ name, run: noop })) });
    const w = createGameWorld(withOdd, { id: '1', seed: 3, capacity: 50, size: 100, config: { simulation: { pauseSimulation: true } } });
    for (const [i, name] of odd.entries()) for (let k = 0; k <= i; k++) setWorldTimer(w, 10 + k, name, {});
    deliverToWorld(w, valueOfFact, {});
    let changes: GameChanges | null = null;
    await restoreWorld(await encodeCapture(captureWorld(w)), {
      systems: [],
      install: (x) => installGame(defineGame({ name: 'odd-names' }), x),
      changes: (c) => {
        changes = c;
      },
    });
    expect(changes).not.toBeNull();
    const { droppedTimers, droppedFacts } = changes as unknown as GameChanges;
    expect(Object.entries(droppedTimers).sort()).toEqual([
      ['__proto__', 2],
      ['constructor', 1],
      ['toString', 3],
    ]);
    expect(Object.entries(droppedFacts)).toEqual([['valueOf', 1]]);
  });

  it("a repeating timer's period changes: its next due time is on the new period's grid, not saved index × new period", async () => {
    const { world } = await restore(
      v2({
        timers: [
          { name: 'tick', every: 3600, run: noop },
          { name: 'respawn', run: noop },
          { name: 'bonus', run: noop },
        ],
      }),
    );
    expect(world.clock.now).toBeGreaterThan(0.02);
    expect(world.game!.timers.next[0]).toBe(1); // due at 3600 s, the first of its grid after now
    const same = await restore(v1);
    expect(same.world.game!.timers.next[0]).toBe(Math.floor(world.clock.now / 0.01 + 1e-6) + 1);
  });

  it('another game (another name) is refused: WT_ERR_CHECKPOINT_INCOMPATIBLE naming both games', async () => {
    const other = defineGame({ name: 'other-game', components: [Health1] });
    const err = await restore(other).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect((err as Error).message).toContain('it is a world of game "upgrade-game", this is game "other-game"');
  });

  it('a higher game version restores an older one; an older version refuses a newer one (downgrade)', async () => {
    const two = v2({ version: 2 });
    expect((await restore(two)).world.game!.version).toBe(2);
    const w = createGameWorld(two, { id: '1', seed: 3, capacity: 200, size: 300 });
    const newer = await encodeCapture(captureWorld(w));
    const err = await restoreWorld(newer, { systems: v1.pipeline, install: (x) => installGame(v1, x) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect((err as Error).message).toContain('it was checkpointed by version 2 of game "upgrade-game", this is version 1');
    expect(() => defineGame({ name: 'x', version: 0 })).toThrow(/version must be an integer between 1 and 2147483647 \(got 0\)/);
  });

  it("a fact's payload schema changes: the new apply is handed the old payload as it was delivered", async () => {
    const got: unknown[] = [];
    const settle2 = defineFact<{ txid: string; amount: number }>({ name: 'settle', apply: (_w, p) => void got.push(p) });
    const { world } = await restore(v2({ facts: [settle2, grant] }));
    pauseWorld(world);
    stepWorld(world, 1);
    expect(got).toEqual([{ txid: 't1', coins: 3 }]);
  });

  it('an entity kind renamed: a migration system keyed on a data version in a checkpointed component runs once', async () => {
    const Data = defineComponent('GameData', { version: 'u8' });
    let runs = 0;
    const game = v2({
      components: [Health1, Old, Data],
      systems: [
        {
          name: 'migrate',
          before: 'ingest',
          run: (w) => {
            const board = query(w, [Data])[0];
            if (board === undefined || getStore(w, Data).version[board] >= 2) return;
            runs++;
            const kind = w.stores.Npc.kind;
            for (const e of query(w, [w.stores.Npc])) if (kind[e] === 4) kind[e] = 40; // crates: kind 4 → 40
            getStore(w, Data).version[board] = 2;
          },
        },
      ],
    });
    const { world } = await restore(game);
    pauseWorld(world);
    stepWorld(world, 3);
    expect(runs).toBe(1);
    expect(crates.map((e) => world.stores.Npc.kind[e])).toEqual([40, 40, 40]);
  });
});
