/**
 * Player input through the world's ingest buffers: the message handler pushes an
 * {@link InputFact} keyed by the player entity (`latestByKey`: a newer input of the same player
 * replaces a pending one); the ingest phase applies it inside the step.
 */
import { playerRow } from '../../components/player-table.js';
import { entityExists, hasComponent } from 'bitecs';
import type { World } from 'bitecs';
import type { CoreWorld } from '../core/world-core.js';
import type { GameSlot } from '../game/slot.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';

/** Ingest type name of movement input. */
export const INPUT_INGEST_TYPE = 'input';

/** One validated input, as buffered. `moveX/moveY` in -1..1 (direction; length clamped to 1). */
export interface InputFact {
  /** Session (connection) id that sent it: inputs of a previous owner of the entity are ignored. */
  session: number;
  seq: number;
  moveX: number;
  moveY: number;
  actions: number;
}

/**
 * Apply one input: Velocity = direction × maxSpeed (world units per simulation second),
 * Player.lastInputSeq = seq (acknowledged in the next snapshot), and in a game world the player's
 * `actions` (`playerActions`). Ignored when the entity is no longer this session's player.
 */
export const applyInput = (world: CoreWorld & Partial<GameSlot>, eid: number, f: InputFact, maxSpeed: number): void => {
  const { Player, Velocity } = world.stores;
  if (!entityExists(world, eid) || !hasComponent(world, eid, Player)) return;
  const row = playerRow(world.stores, eid);
  if (row === 0 || Player.session[row] !== f.session) return;
  let mx = f.moveX,
    my = f.moveY;
  const len = Math.sqrt(mx * mx + my * my);
  if (len > 1) {
    mx /= len;
    my /= len;
  }
  Velocity.x[eid] = mx * maxSpeed;
  Velocity.y[eid] = my * maxSpeed;
  Player.lastInputSeq[row] = f.seq;
  const actions = world.game?.actions;
  if (actions !== undefined) actions[eid] = f.actions; // the game reads it with playerActions
};

/** Define the `input` ingest type on a world (once; later calls are no-ops). */
export const defineInputIngest = (world: World<CoreWorld & IngestSlot>, maxSpeed: number): void => {
  if (world.ingest.has(INPUT_INGEST_TYPE)) return;
  world.ingest.define(INPUT_INGEST_TYPE, {
    mode: 'latestByKey',
    capacity: Math.min(world.capacity + 1, 1 << 20),
    apply: (w, key, fact) => applyInput(w, key, fact as InputFact, maxSpeed),
  });
};
