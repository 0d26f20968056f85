/**
 * Spawning the entities every world knows (NPCs, players) on the world core. Below the assembly
 * module, so subsystems (the session facts of src/net) can spawn without importing it.
 */
import { addComponent } from 'bitecs';
import { deadlineTick, stampTick } from '../../components/world-time.js';
import { ensurePlayerRow, rebaseStoresTime } from '../../components/index.js';
import { spawnEntity, type CoreWorld } from '../core/world-core.js';

/** Spawn an NPC at (x, y) with all NPC components. Stores keep their defaults otherwise. */
export const spawnNpc = (world: CoreWorld, x: number, y: number, kind = 0): number => {
  const eid = spawnEntity(world);
  const s = world.stores;
  for (const c of [s.Position, s.Velocity, s.Npc, s.Behavior, s.Interaction, s.Tier]) addComponent(world, eid, c);
  s.Position.x[eid] = x;
  s.Position.y[eid] = y;
  s.Velocity.x[eid] = 0;
  s.Velocity.y[eid] = 0;
  s.Npc.kind[eid] = kind;
  s.Npc.homeX[eid] = x;
  s.Npc.homeY[eid] = y;
  // Tick clocks start at spawn time, so the first tick's catch-up covers only the NPC's own life.
  const now = world.clock.now;
  rebaseStoresTime(s, now, world.capacity + 1); // world time may have jumped (a restore) since the last step
  s.Tier.lastTickedAt[eid] = s.Tier.nextTickAt[eid] = now;
  s.Behavior.nextDecisionAt[eid] = deadlineTick(s.Time, now);
  s.Behavior.activityStartedAt[eid] = stampTick(s.Time, now);
  return eid;
};

/** Spawn a player entity at (x, y). */
export const spawnPlayer = (world: CoreWorld, x: number, y: number, interestRadius = 100): number => {
  const eid = spawnEntity(world);
  const s = world.stores;
  for (const c of [s.Position, s.Velocity, s.Player]) addComponent(world, eid, c);
  s.Position.x[eid] = x;
  s.Position.y[eid] = y;
  s.Velocity.x[eid] = 0;
  s.Velocity.y[eid] = 0;
  const row = ensurePlayerRow(s, eid); // the player's row in the player table (Player, Wallet)
  s.Player.interestRadius[row] = interestRadius;
  s.Player.lastInputSeq[row] = 0;
  return eid;
};
