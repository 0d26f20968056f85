/**
 * A tiny game for crash tests, run as a process: `node --import tsx test/helpers/counter-game-main.ts
 * [npm start options]`. Every entity it spawns has a `Counter` (defineComponent) whose `n` grows by
 * `1 + eid % 3` each step, so at step S (counted from the world's creation) `n = S * (1 + eid % 3)`.
 * The first time the system runs in this process it prints one JSON line
 * `{"msg":"counters","step":…,"q":[n / (1 + eid % 3) per entity]}` — the values the world started
 * with (0 when fresh, S when restored from a checkpoint taken at step S).
 */
import { addComponent, defineComponent, defineGame, getStore, query, runMain, spawn } from '../../src/index.js';

const Counter = defineComponent('Counter', { n: 'u32' });
let printed = false; // once per process (a test probe, not game state)

const game = defineGame({
  name: 'counters',
  components: [Counter],
  systems: [
    {
      name: 'count',
      phase: 'behavior',
      run: (w) => {
        const n = getStore(w, Counter).n;
        const list = query(w, [Counter]);
        if (!printed && w.id === '1') {
          printed = true;
          const q = Array.from(list, (e) => n[e] / (1 + (e % 3)));
          process.stdout.write(`${JSON.stringify({ msg: 'counters', step: w.clock.step, q })}\n`);
        }
        for (let i = 0; i < list.length; i++) n[list[i]] += 1 + (list[i] % 3);
      },
    },
  ],
  hooks: {
    populate: (w, setup) => {
      for (let i = 0; i < setup.npcs; i++) addComponent(w, spawn(w, { kind: 1, x: 10 + i * 3, y: 20 + i * 2 }), Counter);
    },
  },
});

void runMain(game);
