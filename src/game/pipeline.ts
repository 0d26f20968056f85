/**
 * A game's pipeline: the base (the engine's, or the one a module such as the NPC life
 * simulation brings) with the game's systems placed at named phases, or before/after a named
 * system. Resolved once per game definition; the core checks the phase order again per world.
 */
import { PhaseIndex, PHASES, phaseIndexOf, type PhaseName, type SystemEntry } from '../core/phases.js';
import type { SimWorld } from '../world/sim-world.js';
import { controlSystem } from '../../systems/control-system.js';
import { ingestSystem } from '../../systems/ingest-system.js';
import { movementSystem } from '../../systems/movement-system.js';
import { periodicSystem } from '../../systems/periodic-system.js';
import { recordSystem } from '../../systems/record-system.js';
import { replicateSystem } from '../../systems/replicate-system.js';
import { timeSystem } from '../../systems/time-system.js';
import type { StepContext } from '../core/step-context.js';

/** The world a game's systems, handlers and hooks receive (the full assembled world). */
export type GameWorld = SimWorld;

/** A game system: a plain function of (world, step context); it keeps no state of its own. */
export type GameSystem = (world: GameWorld, ctx: StepContext) => void;

/**
 * A system placed in the pipeline: at the end of `phase`, or right `before` / `after` a named
 * system (then its phase is that system's unless given, and must agree with it).
 */
export interface SystemDef {
  name: string;
  run: GameSystem;
  phase?: PhaseName;
  before?: string;
  after?: string;
}

/**
 * The engine's base pipeline (no NPC simulation): the record/replay hook (one null check unless
 * recording, src/replay), apply client facts, advance world time, move every entity with a
 * velocity (reflecting at the world's edges), run the world's periodic tasks (the heartbeat that
 * keeps `/readyz` green, `runtime.*`, tasks the operator declared), replicate, adapt budgets.
 */
export const ENGINE_SYSTEMS: readonly SystemEntry<SimWorld>[] = [
  { name: 'record', phase: 'ingest', run: recordSystem },
  { name: 'ingest', phase: 'ingest', run: ingestSystem },
  { name: 'time', phase: 'time', run: timeSystem },
  { name: 'movement', phase: 'physics', run: movementSystem },
  { name: 'periodic', phase: 'periodic', run: periodicSystem },
  { name: 'replicate', phase: 'replicate', run: replicateSystem },
  { name: 'control', phase: 'control', run: controlSystem },
];

/** Place `systems` into `base` (default {@link ENGINE_SYSTEMS}); problems are appended to `problems`. */
export const resolvePipeline = (
  base: readonly SystemEntry<SimWorld>[] | undefined,
  systems: readonly SystemDef[],
  problems: string[],
): SystemEntry<SimWorld>[] => {
  const list: SystemEntry<SimWorld>[] = [...(base ?? ENGINE_SYSTEMS)];
  // Last system placed after each anchor, so several `after: x` keep their declared order.
  const afterEnd = new Map<string, string>();
  for (const def of systems) {
    const where = `system ${JSON.stringify(def.name)}`;
    if (typeof def.name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(def.name)) {
      problems.push(`${where}: name must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
      continue;
    }
    if (list.some((e) => e.name === def.name)) {
      problems.push(`${where} is defined twice (or shadows a built-in system)`);
      continue;
    }
    if (typeof def.run !== 'function') {
      problems.push(`${where}: run must be a function`);
      continue;
    }
    if (def.phase !== undefined && phaseIndexOf(def.phase) === undefined) {
      problems.push(`${where}: unknown phase ${JSON.stringify(def.phase)} (phases: ${PHASES.join(', ')})`);
      continue;
    }
    if (def.before !== undefined && def.after !== undefined) {
      problems.push(`${where}: give before or after, not both`);
      continue;
    }
    const anchor = def.before ?? def.after;
    if (anchor !== undefined) {
      const idx = list.findIndex((e) => e.name === anchor);
      if (idx < 0) {
        problems.push(
          `${where}: ${def.before !== undefined ? 'before' : 'after'} unknown system ${JSON.stringify(anchor)} (systems: ${list.map((e) => e.name).join(', ')})`,
        );
        continue;
      }
      const phase = list[idx].phase;
      if (def.phase !== undefined && def.phase !== phase) {
        problems.push(`${where}: phase ${def.phase} disagrees with ${anchor}'s phase ${phase}`);
        continue;
      }
      const entry: SystemEntry<SimWorld> = { name: def.name, phase, run: def.run };
      if (def.before !== undefined) list.splice(idx, 0, entry);
      else {
        const last = afterEnd.get(anchor);
        const at = last === undefined ? idx : list.findIndex((e) => e.name === last);
        list.splice(at + 1, 0, entry);
        afterEnd.set(anchor, def.name);
      }
      continue;
    }
    if (def.phase === undefined) {
      problems.push(`${where}: give a phase, or before/after a named system`);
      continue;
    }
    const p = PhaseIndex[def.phase];
    let at = list.length;
    for (let i = 0; i < list.length; i++)
      if (PhaseIndex[list[i].phase] > p) {
        at = i;
        break;
      }
    list.splice(at, 0, { name: def.name, phase: def.phase, run: def.run });
  }
  return list;
};
