/**
 * Suite `loop`: cost of one step with the movement system (10k, 100k NPCs) and the loop
 * runner's overhead per world (1, 10, 100 worlds of empty pipelines).
 */
import { LoopRunner } from '../src/loop/loop-runner.js';
import { createSimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';
import type { SystemEntry } from '../systems/types.js';
import { genWorld } from './gendata.js';
import type { Suite } from './harness.js';

const suite: Suite = {
  name: 'loop',
  async run(ctx) {
    // Exactly the pipeline the task names say: time + movement (the full pipeline is in `tiers`).
    const systems: readonly SystemEntry[] = [
      { name: 'time', phase: 'time', run: timeSystem },
      { name: 'movement', phase: 'physics', run: movementSystem },
    ];
    const w10k = genWorld({ npcs: 10_000, id: 'w10k', systems }).world;
    const w100k = genWorld({ npcs: 100_000, id: 'w100k', systems }).world;
    const steps = await ctx.measure([
      ['step 10k NPCs (time + movement)', () => runStep(w10k)],
      ['step 100k NPCs (time + movement)', () => runStep(w100k)],
    ]);
    ctx.record('stepMsPerNpc100k', steps[1].meanMs / 100_000);

    // Loop overhead: N worlds whose pipeline only advances time; one runDue() where every
    // world has exactly one step due. Cost per world = overhead of scheduling + runStep.
    const counts = [1, 10, 100];
    const tasks: Array<[string, () => void]> = [];
    for (const n of counts) {
      let now = 0;
      const runner = new LoopRunner({ now: () => now });
      for (let i = 0; i < n; i++) {
        runner.add(
          createSimWorld({
            id: `o${i}`,
            capacity: 16,
            systems: [{ name: 'time', phase: 'time', run: timeSystem }],
            config: { simulation: { tickIntervalSeconds: 0.05 } },
          }),
        );
      }
      tasks.push([
        `loop runDue, ${n} worlds (1 step each)`,
        () => {
          now += 50;
          runner.runDue(now);
        },
      ]);
    }
    const overhead = await ctx.measure(tasks);
    ctx.record(
      'loopOverheadUsPerWorld',
      Object.fromEntries(overhead.map((f, i) => [`${counts[i]} worlds`, Math.round((f.meanMs * 1000 * 100) / counts[i]) / 100])),
    );
  },
};
export default suite;
