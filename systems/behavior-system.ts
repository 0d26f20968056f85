import { deadlineTick, nowTick } from '../components/world-time.js';
import { activityEligible, activityUtility, dayOfWeek, hourOfDay } from '../src/behavior/activities.js';
import { tierPeriod } from '../src/tiers/tier-assign.js';
import { nextFloat } from '../src/core/prng.js';
import type { System } from '../src/core/phases.js';
import type { TiersWorld } from '../src/tiers/tiers-slot.js';
import { requestGoal } from '../src/physics/navigation.js';
import type { PhysicsSlot } from '../src/physics/physics-world.js';

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
/** Utility jitter amplitude: breaks ties between similar NPCs without dominating needs. */
const JITTER = 0.05;
/** Beyond this distance (world units) from home a walker heads back home. */
const HOME_LEASH = 60;

/**
 * Behavior (behavior phase) for the NPCs selected this step, in selection order:
 * 1. catch-up: apply the current activity's effects for the world seconds elapsed since the
 *    NPC's last tick (a dormant NPC ticked after an hour gets an hour's worth, clamped 0..1);
 * 2. decide when `nextDecisionAt` has passed and the activity's `minDurationSeconds` is over:
 *    utility scoring over the eligible activities (time-of-day/day-of-week windows, need
 *    thresholds, the last activity's cooldown), one seeded PRNG draw per decision;
 * 3. stamp `lastTickedAt = now` and schedule `nextTickAt = now + tier period`.
 * A walker beyond the home leash heads home: in a world with physics it asks navigation for a
 * path (`requestGoal`: A* around obstacles, bounded per step), else it walks straight. While
 * navigation steers an NPC (this walk home, or a goal the game asked for) it overrides the
 * velocity chosen here until the NPC arrives or gives up.
 */
export const behaviorSystem: System<TiersWorld & PhysicsSlot> = (world, ctx) => {
  const nav = world.physics?.nav ?? null;
  const s = world.npcSim;
  const t = s.activities;
  const now = world.clock.now;
  const sim = world.config.simulation;
  const scale = ctx.budgets.tierFrequencyScale;
  const { Behavior, Tier, Velocity, Position, Npc } = world.stores;
  const { activity, activityStartedAt, nextDecisionAt, energy, hunger, mood, cooldownActivity, activityCooldownUntil } = Behavior;
  // Behavior times are ticks from the time base (components/world-time.ts): compare on ticks.
  const time = world.stores.Time;
  const nowT = nowTick(time, now);
  const hour = hourOfDay(now),
    day = dayOfWeek(now);
  const periods0 = tierPeriod(sim, 0, scale),
    periods1 = tierPeriod(sim, 1, scale);
  const periods2 = tierPeriod(sim, 2, scale),
    periods3 = tierPeriod(sim, 3, scale);
  const rng = world.rng;
  for (let i = 0; i < s.selectedCount; i++) {
    const e = s.selected[i];
    const tier = s.selectedTier[i];
    let a = activity[e];
    if (a >= t.count) a = 0;
    let elapsed = now - Tier.lastTickedAt[e];
    if (elapsed < 0) elapsed = 0;
    const en = clamp01(energy[e] + t.effE[a] * elapsed);
    const hu = clamp01(hunger[e] + t.effH[a] * elapsed);
    const mo = clamp01(mood[e] + t.effM[a] * elapsed);

    if (nowT >= nextDecisionAt[e]) {
      const jitter = nextFloat(rng);
      let best = -1,
        bestScore = -Infinity;
      for (let k = 0; k < t.count; k++) {
        if (k === cooldownActivity[e] && nowT < activityCooldownUntil[e]) continue;
        if (k !== a && !activityEligible(t, k, hour, day, en, hu, mo)) continue;
        // Staying put needs no eligibility (it was eligible when chosen); its own window still counts.
        if (k === a && ((t.hourMask[k] >>> hour) & 1) === 0) continue;
        const score = activityUtility(t, k, en, hu, mo) + JITTER * ((jitter * (k + 1) * 0.6180339887) % 1);
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      }
      if (best < 0) best = 0;
      if (best !== a) {
        cooldownActivity[e] = a;
        activityCooldownUntil[e] = deadlineTick(time, now + t.cooldown[a]);
        activity[e] = best;
        activityStartedAt[e] = nowT;
      }
      nextDecisionAt[e] = deadlineTick(time, now + t.minDuration[best]);
      const speed = t.speed[best];
      if (speed > 0) {
        const hx = Npc.homeX[e] - Position.x[e],
          hy = Npc.homeY[e] - Position.y[e];
        const far = hx * hx + hy * hy > HOME_LEASH * HOME_LEASH;
        if (far && nav !== null) requestGoal(nav, e, Npc.homeX[e], Npc.homeY[e]);
        else {
          const ang = far ? Math.atan2(hy, hx) : nextFloat(rng) * Math.PI * 2;
          Velocity.x[e] = Math.cos(ang) * speed;
          Velocity.y[e] = Math.sin(ang) * speed;
        }
      } else {
        Velocity.x[e] = 0;
        Velocity.y[e] = 0;
      }
    }
    energy[e] = en;
    hunger[e] = hu;
    mood[e] = mo;
    Tier.lastTickedAt[e] = now;
    Tier.nextTickAt[e] = now + (tier === 0 ? periods0 : tier === 1 ? periods1 : tier === 2 ? periods2 : periods3);
  }
};
