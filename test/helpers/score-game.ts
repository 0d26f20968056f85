/**
 * A small game for record/replay tests (test/unit/replay/record-game.test.ts, and `npm run replay
 * -- <log> --game test/helpers/score-game.ts#scoreGame`): a `Score` store on every entity, changed
 * each step by a game system over its query order and by a client message `bump` (schema-checked).
 * Populate spawns one player (session 7) and `setup.npcs` scored entities.
 */
import { addComponent, defineComponent, defineGame, defineMessage, getStore, playerRow, query, spawn, Type } from '../../src/index.js';
import { spawnPlayer } from '../../src/world/sim-world.js';

/** The session of the populated player. */
export const SCORE_SESSION = 7;

export const Score = defineComponent('Score', { pts: 'u32', last: 'f64', mood: { type: 'i8', default: 3 } });

const bump = defineMessage({
  name: 'bump',
  schema: Type.Object({ amount: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }),
  apply: (world, player, { amount }) => {
    const s = getStore(world, Score);
    const list = query(world, [Score]);
    const target = list[(s.pts[player] + amount) % list.length];
    s.pts[player] += amount;
    if (target !== undefined) s.mood[target] = (s.mood[target] + amount) % 100;
  },
});

export const scoreGame = defineGame({
  name: 'score',
  components: [Score],
  messages: [bump],
  systems: [
    {
      name: 'tally',
      after: 'movement',
      run: (w) => {
        const s = getStore(w, Score);
        const list = query(w, [Score]);
        let acc = 0;
        for (let i = 0; i < list.length; i++) {
          const e = list[i];
          acc = (acc * 33 + e + s.mood[e]) % 10007;
          s.pts[e] += acc % 5;
          s.last[e] = w.clock.now;
        }
      },
    },
  ],
  hooks: {
    populate: (w, setup) => {
      const p = spawnPlayer(w, 50, 50);
      w.stores.Player.session[playerRow(w.stores, p)] = SCORE_SESSION;
      addComponent(w, p, Score);
      for (let i = 0; i < setup.npcs; i++) addComponent(w, spawn(w, { kind: 1, x: 10 + i * 7, y: 200 - i * 5, vx: 1 }), Score, { mood: i });
    },
  },
});
