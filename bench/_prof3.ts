import { HOUR } from '../src/behavior/activities.js';
import { runStep } from '../src/world/step.js';
import { runNearPass } from '../src/tiers/tier-near.js';
import { genWorld } from './gendata.js';
const { world } = genWorld({ npcs: 1_000_000, players: 1000, id: 'p', config: { controller: { enabled: false } } });
world.clock.now = 10 * HOUR;
for (let i = 0; i < 20; i++) runStep(world);
for (let i = 0; i < 15; i++) runNearPass(world);
