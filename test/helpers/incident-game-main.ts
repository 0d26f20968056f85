/**
 * A small game with faults an operator must be able to diagnose (incident drills,
 * test/integration/admin/incidents.test.ts), run as a process: `node --import tsx
 * test/helpers/incident-game-main.ts [npm start options]`.
 *
 * Systems, both in phase `behavior`: `weather` (cheap) and `loot-drop` (a studio's bug: once
 * message `slow` was received by a world, it busy-waits `ms` wall milliseconds on every step of
 * that world). Message `freeze` `{ ms }` busy-waits `ms` once in its handler (the event loop is
 * blocked). Message `halt` stops the whole process in its handler (SIGSTOP to itself: a step in which the
 * process does not run, as in a paused VM; the drill sends SIGCONT). The default world has a handful of
 * entities with a `Loot` component.
 */
import { addComponent, defineComponent, defineGame, defineMessage, getStore, query, runMain, spawn, Type } from '../../src/index.js';

const Loot = defineComponent('Loot', { n: 'u32' });
/** Wall ms `loot-drop` burns per step, per world id (fault state, not game state). */
const slowMs = new Map<string, number>();

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a synchronous loop: the bug being drilled
  }
};

const slow = defineMessage({
  name: 'slow',
  schema: Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 5000 }) }),
  apply: (world, _sender, { ms }) => {
    slowMs.set(world.id, ms);
  },
});

const freeze = defineMessage({
  name: 'freeze',
  schema: Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 10_000 }) }),
  apply: (_world, _sender, { ms }) => busy(ms),
});

const halt = defineMessage({
  name: 'halt',
  schema: Type.Object({}),
  apply: () => {
    process.kill(process.pid, 'SIGSTOP');
  },
});

const game = defineGame({
  name: 'incidents',
  components: [Loot],
  messages: [slow, freeze, halt],
  systems: [
    {
      name: 'weather',
      phase: 'behavior',
      run: (w) => {
        const n = getStore(w, Loot).n;
        const list = query(w, [Loot]);
        for (let i = 0; i < list.length; i++) n[list[i]] += 1;
      },
    },
    {
      name: 'loot-drop',
      phase: 'behavior',
      run: (w) => {
        const ms = slowMs.get(w.id);
        if (ms !== undefined && ms > 0) busy(ms);
      },
    },
  ],
  hooks: {
    populate: (w, setup) => {
      for (let i = 0; i < setup.npcs; i++) addComponent(w, spawn(w, { kind: 1, x: 10 + i * 3, y: 20 + i * 2 }), Loot);
    },
  },
});

void runMain(game);
