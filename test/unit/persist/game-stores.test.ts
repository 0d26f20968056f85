/**
 * A game's own component stores (defineComponent, src/game) are in checkpoints (snapshot schema
 * 2): their values, their members and the order of queries over them come back, so a restored
 * game world and the original step on to the same game state hash. A checkpoint without them
 * (schema 1, or a component added to the game since) still loads: those stores are at their
 * defaults. A component the game no longer declares is skipped.
 */
import { describe, expect, it } from 'vitest';
import {
  addComponent,
  createGameWorld,
  defineComponent,
  defineGame,
  despawn,
  getStore,
  hasComponent,
  hashWorldState,
  query,
  removeComponent,
  spawn,
  type GameWorld,
} from '../../../src/index.js';
import { installGame } from '../../../src/game/world.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { deflateSnapshot, inflateSnapshot, packSections, unpackSections } from '../../../src/persist/snapshot-format.js';
import { runStep } from '../../../src/world/step.js';

const Health = defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'f32', since: 'f64' });
const Tag = defineComponent('Tag', { v: 'i8' });
// A game component may share a built-in store's name: it is told apart from it.
const Position = defineComponent('Position', { z: { type: 'f32', default: -1 } });

const systems = [
  {
    name: 'regen',
    after: 'movement' as const,
    run: (w: GameWorld) => {
      const h = getStore(w, Health);
      const list = query(w, [Health, w.stores.Position]);
      // Order-dependent on purpose: a running sum over the query's member order.
      let acc = 0;
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        acc = (acc * 31 + e) % 65521;
        h.hp[e] = (h.hp[e] + (acc % 7)) % 1000;
        h.regen[e] += 0.25;
        h.since[e] = w.clock.now;
      }
      const t = getStore(w, Tag).v;
      const tagged = query(w, [Tag]);
      for (let i = 0; i < tagged.length; i++) t[tagged[i]] = (t[tagged[i]] + 1) % 100;
    },
  },
];

const game = defineGame({ name: 'ck-game', components: [Health, Tag, Position], systems });

const drive = (w: GameWorld, step: number): void => {
  if (step % 5 === 0) {
    const e = spawn(w, { kind: 1, x: (step * 13) % 400, y: (step * 7) % 400, vx: 1, vy: -1 });
    addComponent(w, e, Health, { hp: step });
    if (step % 10 === 0) addComponent(w, e, Tag, { v: step % 50 });
    addComponent(w, e, Position, { z: step });
  }
  if (step % 9 === 0) {
    const list = query(w, [Health]);
    if (list.length > 3) despawn(w, list[(step * 3) % list.length]); // ids recycled by later spawns
  }
  if (step % 11 === 0) {
    const list = query(w, [Tag]);
    if (list.length > 0) removeComponent(w, list[0], Tag);
  }
};

const build = (): GameWorld => {
  const w = createGameWorld(game, { id: 'g', seed: 5, capacity: 500, size: 400, config: { controller: { enabled: false } } });
  for (let i = 0; i < 40; i++) {
    const e = spawn(w, { kind: 1, x: i * 9, y: 400 - i * 9 });
    addComponent(w, e, Health, { hp: i * 3, regen: i / 4 });
    if (i % 3 === 0) addComponent(w, e, Tag, { v: i });
  }
  return w;
};

const restore = (bytes: Uint8Array): Promise<GameWorld> =>
  restoreWorld(bytes, { systems: game.pipeline, install: (w) => installGame(game, w) });

describe('game component stores in checkpoints', () => {
  it('values, members and query order come back; restored and original step on to the same game state hash', async () => {
    const w = build();
    for (let step = 0; step < 40; step++) {
      drive(w, step);
      runStep(w);
    }
    const cap = captureWorld(w);
    const r = await restore(await encodeCapture(cap));
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    const hw = getStore(w, Health),
      hr = getStore(r, Health);
    const members = Array.from(query(w, [Health]));
    expect(Array.from(query(r, [Health]))).toEqual(members);
    expect(members.length).toBeGreaterThan(10);
    for (const e of members) {
      expect([hr.hp[e], hr.regen[e], hr.since[e]]).toEqual([hw.hp[e], hw.regen[e], hw.since[e]]);
      expect(hasComponent(r, e, Tag)).toBe(hasComponent(w, e, Tag));
      expect(getStore(r, Position).z[e]).toBe(getStore(w, Position).z[e]);
    }
    expect(hw.since[members[0]]).toBeGreaterThan(0); // a float64 field with a fractional world time
    for (let step = 40; step < 100; step++) {
      drive(w, step);
      drive(r, step);
      runStep(w);
      runStep(r);
    }
    expect(hashWorldState(r)).toBe(hashWorldState(w));
  });

  it('a checkpoint without game stores (schema 1) loads: game stores at their defaults, built-in state intact', async () => {
    const w = build();
    for (let step = 0; step < 10; step++) runStep(w);
    // Rewrite the capture as a schema-1 writer made it: no game fields, members or queries.
    const { header, sections } = unpackSections<Record<string, unknown>>(await inflateSnapshot(await encodeCapture(captureWorld(w))));
    const old: Record<string, unknown> = { ...header, entities: { ...(header.entities as object) } };
    delete old.schema;
    delete old.gameFields;
    delete old.sections;
    const ent = old.entities as Record<string, unknown>;
    delete ent.gameComponents;
    delete ent.gameQueries;
    const kept = [...sections].filter(([n]) => !n.startsWith('g')).map(([name, data]) => ({ name, data }));
    const r = await restore(await deflateSnapshot(packSections(old, kept)));
    expect(r.clock).toEqual(w.clock);
    expect(query(r, [Health]).length).toBe(0);
    expect(getStore(r, Health).hp[1]).toBe(100); // the default
    expect(Array.from(query(r, [r.stores.Position]))).toEqual(Array.from(query(w, [w.stores.Position])));
  });

  it('a component the game no longer declares is skipped; one added since starts at its defaults', async () => {
    const w = build();
    for (let step = 0; step < 10; step++) runStep(w);
    const bytes = await encodeCapture(captureWorld(w));
    const Mana = defineComponent('Mana', { mp: { type: 'u8', default: 7 } });
    const next = defineGame({ name: 'ck-game', components: [Health, Mana], systems });
    const r = await restoreWorld(bytes, { systems: next.pipeline, install: (x) => installGame(next, x) });
    expect(Array.from(query(r, [Health]))).toEqual(Array.from(query(w, [Health])));
    const e = query(w, [Health])[0];
    expect(getStore(r, Health).hp[e]).toBe(getStore(w, Health).hp[e]);
    expect(getStore(r, Mana).mp[e]).toBe(7);
    expect(query(r, [Mana]).length).toBe(0);
  });
});
