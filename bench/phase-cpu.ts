/**
 * Bench helper: wrap every pipeline entry of a world so that each run adds its process CPU ms
 * (user + system, all threads) to `cpu[phase]` — CPU, not wall, because the machine is shared.
 * The caller reads and clears `cpu` per step. Used by bench/full-frame.ts and bench/tiers-frame.ts.
 */
import type { SimWorld } from '../src/world/sim-world.js';

/** Replace `world.pipeline` by CPU-timed wrappers adding into `cpu` (indexed by phase, as `PHASES`). */
export const timePhasesCpu = (world: SimWorld, cpu: Float64Array): void => {
  const phaseOf = world.pipelinePhase;
  world.pipeline = world.pipeline.map((e, i) => ({
    ...e,
    run: (w: SimWorld, c: SimWorld['ctx']) => {
      const a = process.cpuUsage();
      e.run(w, c);
      const d = process.cpuUsage(a);
      cpu[phaseOf[i]] += (d.user + d.system) / 1000;
    },
  }));
};
