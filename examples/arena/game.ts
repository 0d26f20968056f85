/**
 * Arena: players push crates around and shoot each other. Built on the public API only.
 * - components: Health (players), Crate (crates);
 * - systems: `push-crates` before the engine's `movement`, `crate-friction` after it;
 * - a client message `shoot { target }`, schema-checked at the edge, applied in the step (the game's
 *   rules, checked before any write: not oneself, a player, within `SHOOT_RANGE`);
 * - the player's `hp` replicated to clients next to x, y.
 */
import {
  addComponent,
  defineComponent,
  defineGame,
  defineMessage,
  getStore,
  hasComponent,
  nextRange,
  query,
  spawn,
  Type,
} from '../../src/index.js';

export const CRATE_KIND = 1;
/** How far a shot reaches (world units; the arena is 200 × 200): a target farther away is not hit. */
export const SHOOT_RANGE = 60;
export const Health = defineComponent('Health', { hp: { type: 'u16', default: 100 } });
export const Crate = defineComponent('Crate', { radius: { type: 'f32', default: 3 } });

const shoot = defineMessage({
  name: 'shoot',
  schema: Type.Object({ target: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  apply: (world, shooter, { target }) => {
    if (target === shooter || !hasComponent(world, target, Health)) return; // game rules before any write
    const p = world.stores.Position;
    if (Math.hypot(p.x[target] - p.x[shooter], p.y[target] - p.y[shooter]) > SHOOT_RANGE) return; // out of reach
    const hp = getStore(world, Health).hp;
    hp[target] = hp[target] > 10 ? hp[target] - 10 : 100; // knocked out: back at full health
  },
});

export const arena = defineGame({
  name: 'arena',
  world: { size: 200, npcs: 20 },
  net: { interestRadius: 300 }, // small arena: everyone sees everything
  components: [Health, Crate],
  messages: [shoot],
  replicate: { player: { hp: { component: Health, field: 'hp' } } },
  systems: [
    {
      name: 'push-crates',
      before: 'movement',
      run: (world) => {
        const { Position: p, Velocity: v, Player } = world.stores;
        const crates = query(world, [Crate]),
          players = query(world, [Player]),
          r = getStore(world, Crate).radius;
        for (let i = 0; i < crates.length; i++) {
          const c = crates[i];
          for (let j = 0; j < players.length; j++) {
            const e = players[j],
              dx = p.x[c] - p.x[e],
              dy = p.y[c] - p.y[e],
              d = Math.hypot(dx, dy);
            if (d > 0 && d < r[c]) {
              v.x[c] = (dx / d) * 8;
              v.y[c] = (dy / d) * 8;
            } // shoved away from the player
          }
        }
      },
    },
    {
      name: 'crate-friction',
      after: 'movement',
      run: (world) => {
        const v = world.stores.Velocity,
          crates = query(world, [Crate]);
        for (let i = 0; i < crates.length; i++) {
          v.x[crates[i]] *= 0.9;
          v.y[crates[i]] *= 0.9;
        }
      },
    },
  ],
  hooks: {
    populate: (world, setup) => {
      for (let i = 0; i < setup.npcs; i++)
        addComponent(world, spawn(world, { kind: CRATE_KIND, x: nextRange(world.rng, 10, 190), y: nextRange(world.rng, 10, 190) }), Crate);
    },
    onPlayerJoined: (world, player, { resumed }) => {
      if (!resumed) addComponent(world, player, Health);
    },
  },
});
