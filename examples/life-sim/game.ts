/**
 * The life-sim game: the embedded default world of `npm start`. A world of tiered NPCs living
 * their routines (activities, needs, interaction chains, intents sent to nearby players, scene
 * generation jobs) around the players: the built-in NPC life-simulation module, opted into.
 * Built on the public API only.
 */
import { defineGame, lifeSim } from '../../src/index.js';

/** The life-sim game definition (`--npcs N` NPCs populated per world). */
export const lifeSimGame = defineGame({ name: 'life-sim', modules: [lifeSim()] });
