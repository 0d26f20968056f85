/**
 * The life-sim game: the embedded default world of `npm start`. A world of tiered NPCs living
 * their routines (activities, needs, interaction chains, intents sent to nearby players, scene
 * generation jobs) around the players: the built-in NPC life-simulation module, opted into.
 * Built on the public API only.
 */
import { defineGame, lifeSim } from '../../src/index.js';

/**
 * The life-sim game definition (`--npcs N` NPCs populated per world). Its worlds run 60 world
 * seconds per wall second (a world day in 24 wall minutes), the life simulation's own time scale;
 * a game's default is 1 (docs/GAME-API.md "Timers on world time"). `--time-scale` still wins.
 */
export const lifeSimGame = defineGame({
  name: 'life-sim',
  modules: [lifeSim()],
  world: { config: { simulation: { timeScale: 60 } } },
});
