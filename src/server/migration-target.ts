/**
 * A migration's preconditions (src/server/cluster-migration.ts `migrate`): the world is owned here and
 * not moving already, and a target instance is chosen — the one named in `to`, else by placement among
 * the live instances that take worlds, leaving out those that refused the world and those excluded.
 * Each refusal is a {@link MoveError} that says why (409, or 404 for an unknown `to`).
 */
import type { InstanceRecord } from '../cluster/coordinator.js';
import { placeWorld } from '../cluster/placement.js';
import { ErrorCode } from '../errors.js';
import { MoveError } from './cluster-migration-routes.js';
import type { ClusterService } from './cluster-service.js';

/** What {@link migrationTarget} decides on. */
export interface MigrationAsk {
  worldId: string;
  /** The world is hosted here and its lease held (`getWorld` and `fence` both answered). */
  ownedHere: boolean;
  /** A migration of the world is in flight here. */
  busy: boolean;
  /** Instances that refused the world (their build cannot read its checkpoint). */
  declined: ReadonlySet<string>;
  to?: string;
  exclude?: ReadonlySet<string>;
}

/** The target of a migration asked for as `a`, or the {@link MoveError} saying why there is none. */
export const migrationTarget = (c: ClusterService, a: MigrationAsk): InstanceRecord => {
  const { worldId, to, declined } = a;
  const me = c.instanceId;
  if (!a.ownedHere) {
    // Reached here when this instance knows no other owner to forward to (the route forwards otherwise):
    // say so, since the world may have been created or moved elsewhere within the last control tick.
    const owner = c.ownerOf(worldId)?.instanceId;
    throw new MoveError(
      409,
      owner && owner !== me
        ? `world ${worldId} is not owned here (its owner is ${owner}: send the request there)`
        : `world ${worldId} is not owned here and this instance knows no owner of it yet (a world created or moved in the last ${Math.ceil(c.leaseTtlMs / 3000)} s is seen at the next control tick): retry, or send it to the instance that owns it`,
    );
  }
  if (a.busy) throw new MoveError(409, `world ${worldId} is already migrating`);
  if (to !== undefined && declined.has(to))
    throw new MoveError(409, `instance ${to} refused ${worldId}: its build cannot read the checkpoint`, ErrorCode.MIGRATION_REFUSED);
  // `to` naming the owner itself: nothing to move (said as such, not as an unknown instance).
  if (to === me) throw new MoveError(409, `world ${worldId} is already on ${me} (the instance named in "to" owns it): nothing to move`);
  const others = c.instances().filter((i) => i.id !== me && !declined.has(i.id) && !a.exclude?.has(i.id));
  const target = to !== undefined ? others.find((i) => i.id === to) : placeWorld(others);
  if (!target)
    throw new MoveError(
      to !== undefined ? 404 : 409,
      to !== undefined
        ? `no live instance ${to}; live instances other than the owner ${me}: ${others.map((i) => i.id).join(', ') || 'none'}`
        : 'no other live instance that takes worlds',
    );
  if (target.capacity === 0) throw new MoveError(409, `instance ${target.id} takes no worlds (draining)`);
  return target;
};
