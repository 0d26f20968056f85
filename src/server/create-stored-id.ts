/**
 * A cluster create of an id the shared store holds while no instance hosts it (the admin intercept,
 * src/server/cluster-routes.ts). A world id is cluster-wide, and a stored world hosted by nobody right now
 * (its owner died and its lease lapsed, or no instance keeps a standby copy: --standby-copies) is a world all
 * the same: a create would take its free lease and write a fresh record over the stored one. It is refused
 * (409) and taken over from the store shortly. Unless its record is of a create never confirmed (answered 503,
 * its instance gone before its undo was done, src/server/unconfirmed-create.ts): that world was never created,
 * the record is removed shortly by the instance granted its lease, and the create is answered 503 (retry);
 * so is a create of an id whose lease another instance holds while its record is still pending there.
 */
import type { RouteResponse } from '../admin/index.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClusterService } from './cluster-service.js';

/** A 503 `WT_ERR_CLUSTER_UNAVAILABLE` with `Retry-After: 1`. */
export const unavailable = (message: string): RouteResponse => ({
  status: 503,
  json: { code: ErrorCode.CLUSTER_UNAVAILABLE, message },
  headers: { 'Retry-After': '1' },
});

/**
 * The answer to a create of `id` (hosted by nobody: not leased, or leased by this instance while it restores
 * the world or removes the record of a create never confirmed) from the store: null when it is not stored
 * (create it), 409 `WT_ERR_WORLD_EXISTS` when it is, 503 `WT_ERR_WORLD_NOT_DURABLE` when its record is of a
 * create never confirmed (`unconfirmed`; without it such a record counts as stored), 503 when the store
 * cannot be read. `leasedHere`: this instance's id when it holds the lease (named as the owner in the answer).
 */
export const storedIdAnswer = async (
  cluster: Pick<ClusterService, 'isStored'>,
  logger: Logger,
  id: string,
  unconfirmed?: (worldId: string) => Promise<boolean>,
  leasedHere: string | null = null,
): Promise<RouteResponse | null> => {
  let pending: boolean;
  try {
    if (!(await cluster.isStored(id))) return null;
    pending = (await unconfirmed?.(id)) ?? false;
  } catch (err) {
    logger.warn({ world: id, err }, 'cluster: the store could not be read to check a new world id');
    return unavailable('the store could not be read to check the world id; retry');
  }
  if (pending) return unconfirmedAnswer(id, leasedHere);
  return {
    status: 409,
    json: {
      code: ErrorCode.WORLD_EXISTS,
      message:
        leasedHere === null
          ? `world ${JSON.stringify(id)} is stored and hosted by no instance right now: an instance takes it over from the store shortly`
          : `world ${JSON.stringify(id)} is stored and being taken over from the store by instance ${leasedHere}`,
      details: { worldId: id, owner: leasedHere },
    },
  };
};

/**
 * The answer to a create of `id` whose lease another instance (`owner`) holds: 409 `WT_ERR_WORLD_EXISTS`, or
 * 503 `WT_ERR_WORLD_NOT_DURABLE` when its stored record is of a create not confirmed (`unconfirmed`): that
 * create is still being made or undone on `owner`, or `owner` died with it (its lease not lapsed yet). A store
 * that cannot be read: 409, as before the mark existed.
 */
export const ownedIdAnswer = async (
  logger: Logger,
  id: string,
  owner: string,
  unconfirmed?: (worldId: string) => Promise<boolean>,
): Promise<RouteResponse> => {
  const pending = await unconfirmed?.(id).catch((err: unknown) => {
    logger.warn({ world: id, err }, 'cluster: the store could not be read to check a new world id');
    return false;
  });
  if (pending) return unconfirmedAnswer(id, owner);
  return {
    status: 409,
    json: {
      code: ErrorCode.WORLD_EXISTS,
      message: `world ${JSON.stringify(id)} exists on instance ${owner}`,
      details: { worldId: id, owner },
    },
  };
};

/** 503 `WT_ERR_WORLD_NOT_DURABLE` (`Retry-After: 1`) for a create of `id` stored only by a create not confirmed; `owner`: who holds its lease. */
const unconfirmedAnswer = (id: string, owner: string | null): RouteResponse => ({
  status: 503,
  json: {
    code: ErrorCode.WORLD_NOT_DURABLE,
    message:
      owner === null
        ? `world ${JSON.stringify(id)} was not created: the record of a create of it answered 503 is still stored (its instance stopped before removing it) and is removed shortly; retry`
        : `world ${JSON.stringify(id)} is not created: a create of it is still being made or undone on instance ${owner} (or that instance stopped); retry`,
    details: { worldId: id, reason: 'unconfirmed-create', owner },
  },
  headers: { 'Retry-After': '1' },
});
