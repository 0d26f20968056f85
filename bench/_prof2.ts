import { HOUR } from '../src/behavior/activities.js';
import { runStep } from '../src/world/step.js';
import { nearPassAllowed } from '../src/tiers/tier-near.js';
import { genWorld } from './gendata.js';
const { world } = genWorld({ npcs: 1_000_000, players: 1000, id: 'p', config: { controller: { enabled: false } } });
world.clock.now = 10 * HOUR;
for (let i = 0; i < 40; i++) runStep(world);
console.log('speed', world.npcSim.activities.maxSpeed, 'margin', world.spatial.margin(), 'cell', world.spatial.cellSize, 'stepSeconds', world.ctx.stepSeconds);
for (let i = 0; i < 30; i++) {
  const passes = world.tierStats.tieringPasses; const near = nearPassAllowed(world);
  runStep(world);
  console.log(i, world.stats.phaseMs[2]!.toFixed(2), world.stats.totalMs.toFixed(1), 'pass', world.tierStats.tieringPasses - passes, 'nearAllowed', near, 'margin', world.spatial.margin().toFixed(2), 'changes', world.tierStats.lastTierChanges, 'lastMs', world.tierStats.lastTieringMs.toFixed(2), 'near', world.npcSim.nearCount);
}
