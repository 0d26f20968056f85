/** The farm's components, and the lookup of a player's plot entity. */
import { defineComponent, type GameWorld, getStore, query } from '../../src/index.js';

/** The scoreboard entity's: `epochs` numbers farm sessions (checkpointed, so it only grows). */
export const Farm = defineComponent('Farm', { epochs: 'u32' });

/** On a player: its seeds (a mirror of its player data), its farm session, whether its plots are in. */
export const Farmer = defineComponent('Farmer', { seeds: 'u16', epoch: 'u32', loaded: 'u8' });

/**
 * A plot entity: its owner's player entity and farm session (`epoch`: the plot is that session's
 * only), its index among the owner's plots, PlotState, the crop's planting id and ripe time (world
 * seconds), and whether a scarecrow guards it.
 */
export const Plot = defineComponent('Plot', {
  owner: 'u32',
  epoch: 'u32',
  index: 'u8',
  state: 'u8',
  plantId: 'u32',
  readyAt: 'f64',
  scarecrow: 'u8',
});

/** A crow: when it next picks a direction while it sees no crop (world seconds). */
export const Crow = defineComponent('Crow', { nextTurnAt: 'f64' });

/** The plot entity `index` of `player`'s current farm session, or null (not loaded yet). */
export const plotOf = (world: GameWorld, player: number, index: number): number | null => {
  const s = getStore(world, Plot);
  const epoch = getStore(world, Farmer).epoch[player];
  for (const e of query(world, [Plot])) {
    if (s.owner[e] === player && s.epoch[e] === epoch && s.index[e] === index) return e;
  }
  return null;
};
