/**
 * Crows: game NPCs that fly to the nearest crop they can see that no scarecrow guards, and eat it
 * when they reach it; seeing none, they wander, picking a new direction every few world seconds.
 * Velocities are per simulation second (the `movement` system integrates them).
 */
import { type GameWorld, getStore, nextRange, query } from '../../src/index.js';
import { PlotState } from './rules.js';
import { Crow, Plot } from './stores.js';

export interface CrowSettings {
  /** How far a crow sees a crop (world units). */
  crowSight: number;
  /** World units per simulation second. */
  crowSpeed: number;
}

const EAT_RADIUS = 2;
const TURN_SECONDS = 20;

export const crowsSystem = (world: GameWorld, cfg: CrowSettings, eat: (world: GameWorld, plot: number) => void): void => {
  const pos = world.stores.Position;
  const vel = world.stores.Velocity;
  const plot = getStore(world, Plot);
  const turn = getStore(world, Crow).nextTurnAt;
  const crows = query(world, [Crow]);
  const plots = query(world, [Plot]);
  const now = world.clock.now;
  for (const c of crows) {
    const cx = pos.x[c] ?? 0;
    const cy = pos.y[c] ?? 0;
    let best = 0;
    let bestD = cfg.crowSight * cfg.crowSight;
    for (const p of plots) {
      const st = plot.state[p];
      if ((st !== PlotState.growing && st !== PlotState.ripe) || plot.scarecrow[p] === 1) continue;
      const dx = (pos.x[p] ?? 0) - cx;
      const dy = (pos.y[p] ?? 0) - cy;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = p;
      }
    }
    if (best !== 0) {
      const d = Math.sqrt(bestD);
      if (d <= EAT_RADIUS) {
        eat(world, best);
        vel.x[c] = 0;
        vel.y[c] = 0;
        turn[c] = now;
        continue;
      }
      vel.x[c] = (((pos.x[best] ?? 0) - cx) / d) * cfg.crowSpeed;
      vel.y[c] = (((pos.y[best] ?? 0) - cy) / d) * cfg.crowSpeed;
      continue;
    }
    if (now < (turn[c] ?? 0)) continue;
    const a = nextRange(world.rng, 0, Math.PI * 2);
    vel.x[c] = Math.cos(a) * cfg.crowSpeed * 0.5;
    vel.y[c] = Math.sin(a) * cfg.crowSpeed * 0.5;
    turn[c] = now + TURN_SECONDS;
  }
};
