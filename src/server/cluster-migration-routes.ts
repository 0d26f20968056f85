/**
 * Admin routes of the world mover (src/server/cluster-migration.ts): `POST /api/v1/worlds/:id/migrate`
 * `{ to? }` (operators, the balancer, a drain), `POST /api/v1/cluster/adopt` `{ worldId, from? }`
 * (instances: the target side of a migration) and `GET /api/v1/cluster/moves`.
 *
 * An instance that is draining or stopping refuses a world handed to it (docs/CLUSTER.md "Draining
 * an instance"): another instance's view may be a control tick old and still show it taking worlds.
 * It answers 409 `WT_ERR_MIGRATION_REFUSED` (counted `adoptRefusals`) after handing the lease back
 * to the sender (`from`), which then steps the world on, as if the target had never been asked.
 * So does an instance that cannot run the world's checkpoint: a newer build wrote it
 * (`WT_ERR_CHECKPOINT_TOO_NEW`, reason `checkpoint-too-new`), or its game data does not fit the game
 * this instance runs (`WT_ERR_CHECKPOINT_INCOMPATIBLE`: another game, a higher game version, a
 * narrowed field; reason `game-incompatible`), and one whose store has no record of the world (the
 * instances do not share a store: reason `not-in-store`). Nothing of the world was installed here.
 */
import type { Route, RouteResponse } from '../admin/index.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SimWorld } from '../world/sim-world.js';
import type { ClusterService } from './cluster-service.js';
import { isNotLoadableHere } from '../persist/restore.js';
import { notStartedReason, type NotStartedReason } from './not-started.js';

/** A migration refused or failed, with the HTTP status and error code it answers. */
export class MoveError extends Error {
  readonly status: number;
  readonly code: string;
  /**
   * The target that refused the world and handed its lease back, or that failed the check before the
   * handover (its token, its answer: src/server/peer-check.ts), with its reason: the world steps on here.
   */
  readonly refusedBy: { instance: string; reason: string } | null;
  constructor(
    status: number,
    message: string,
    code: string = ErrorCode.MIGRATION_FAILED,
    refusedBy: { instance: string; reason: string } | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.refusedBy = refusedBy;
  }
}

/** What the routes reach of the mover. */
export interface MoverSurface {
  readonly history: readonly unknown[];
  /** The runtime is stopping: handed worlds are refused. */
  readonly stopping: boolean;
  migrate(worldId: string, to?: string): Promise<unknown>;
  /** Run a move as one in flight (a stop waits for it). */
  track<T>(worldId: string, move: Promise<T>): Promise<T>;
}

/** What the routes reach of the runtime. */
export interface MoverRouteDeps {
  readonly cluster: ClusterService;
  readonly logger: Logger;
  readonly getWorld: (worldId: string) => SimWorld | undefined;
}

/** Why a handed world is refused. */
export type RefusalReason = 'draining' | 'stopping' | NotStartedReason | 'not-in-store';

const failed = (
  status: number,
  message: string,
  code: string = ErrorCode.MIGRATION_FAILED,
  details: Record<string, unknown> = {},
): RouteResponse => ({
  status,
  json: { code, message, details },
});

/**
 * Refuse `worldId`, handed to this instance by `from` (draining, stopping, a checkpoint it cannot
 * run: too new for this build, or game data this game cannot hold, or a record it cannot use): give its lease back to `from` (only a lease handed here, never one this instance
 * steps: `handedHere` says the lease held here is the handed one, renewed by a declined adoption) and answer why.
 */
const refuseHandover = async (
  d: MoverRouteDeps,
  worldId: string,
  from: unknown,
  reason: RefusalReason,
  handedHere = false,
  extra: Record<string, unknown> = {},
): Promise<RouteResponse> => {
  const c = d.cluster;
  c.counters.adoptRefusals++;
  let returned = false;
  // Held here only because the control tick found the handed lease first (waiting for this request): handed back too.
  if (
    typeof from === 'string' &&
    from !== '' &&
    from !== c.instanceId &&
    (handedHere || c.coordinator.heldLease(worldId) === null || c.awaitingHandover(worldId))
  ) {
    try {
      returned = (await c.coordinator.handover(worldId, c.instanceId, from, c.leaseTtlMs, c.tokenFloor(worldId))).ok;
    } catch (err) {
      d.logger.warn({ err, world: worldId, from }, 'cluster: lease of a refused world could not be handed back');
    }
  }
  // Declined after it was renewed here and not handed back: released now rather than left to lapse.
  if (handedHere && !returned) await c.coordinator.release(worldId, c.instanceId).catch(() => undefined);
  d.logger.warn({ world: worldId, from, reason, returned }, 'cluster: handed world refused');
  const back = returned
    ? `its lease was handed back to ${String(from)}`
    : `its lease was not handed back (${handedHere ? 'released' : 'it lapses'})`;
  const why =
    reason === 'checkpoint-too-new'
      ? `cannot read the checkpoint of ${worldId} (a newer build wrote it): it does not adopt it`
      : reason === 'game-incompatible'
        ? `cannot run the checkpoint of ${worldId} (its game data does not fit the game it runs): it does not adopt it`
        : reason === 'record-unusable'
          ? `cannot use the stored record of ${worldId} (damaged): it does not adopt it`
          : `is ${reason}: it adopts no world`;
  return failed(409, `instance ${c.instanceId} ${why}; ${back}`, ErrorCode.MIGRATION_REFUSED, { reason, returned, ...extra });
};

/** The mover's admin routes. */
export const migrationRoutes = (mover: MoverSurface, d: MoverRouteDeps): Route[] => [
  {
    method: 'POST',
    pattern: '/api/v1/worlds/:id/migrate',
    body: true,
    handler: async (req) => {
      const to = (req.body as { to?: unknown } | undefined)?.to;
      if (to !== undefined && (typeof to !== 'string' || to === ''))
        return { status: 400, json: { code: ErrorCode.OPTION_INVALID, message: '`to` must be an instance id' } };
      if (!d.cluster.enforce) return failed(409, 'not in cluster mode (--redis)');
      try {
        return { json: await mover.migrate(req.params.id ?? '', to) };
      } catch (err) {
        return err instanceof MoveError ? failed(err.status, err.message, err.code) : failed(500, String(err));
      }
    },
  },
  {
    method: 'POST',
    pattern: '/api/v1/cluster/adopt',
    body: true,
    handler: async (req) => {
      const body = req.body as { worldId?: unknown; from?: unknown } | undefined;
      const worldId = body?.worldId;
      if (typeof worldId !== 'string' || worldId === '')
        return { status: 400, json: { code: ErrorCode.OPTION_INVALID, message: '`worldId` must be a world id' } };
      // Only another instance's migration sends this; without a cluster there is none (before: 503 'lease of … is not ours').
      if (!d.cluster.enforce) return failed(409, 'not in cluster mode (--redis)');
      if (mover.stopping || d.cluster.draining) return refuseHandover(d, worldId, body?.from, mover.stopping ? 'stopping' : 'draining');
      // Nothing was handed here: the lease is this instance's own, or another request is taking the world in. Nothing
      // is restored (before, the world went back to its last checkpoint) and no lease is handed back.
      const conflict = d.cluster.adoptConflict(worldId);
      const here = d.getWorld(worldId);
      const held = d.cluster.coordinator.heldLease(worldId);
      // Already here under its own lease: what a handover would have made, answered as such (a source whose handed
      // lease this instance's control tick took over before the request came redirects its players here).
      if (conflict === 'lease-held-here' && here && held)
        return { json: { worldId, fencingToken: held.fencingToken, step: here.clock.step, worldTime: here.clock.now, alreadyHere: true } };
      if (conflict !== null)
        return failed(
          409,
          conflict === 'adopt-in-progress'
            ? `instance ${d.cluster.instanceId} is already taking ${worldId} in (another adopt request): this one changes nothing`
            : `instance ${d.cluster.instanceId} holds the lease of ${worldId} as its own (a create in progress): nothing was handed to it`,
          ErrorCode.MIGRATION_FAILED,
          { reason: conflict },
        );
      try {
        const fencingToken = await mover.track(worldId, d.cluster.takeHandover(worldId));
        const w = d.getWorld(worldId);
        return { json: { worldId, fencingToken, step: w?.clock.step ?? null, worldTime: w?.clock.now ?? null } };
      } catch (err) {
        // A checkpoint it cannot run (a newer build's, or game data this game cannot hold): refused like a
        // draining instance refuses; the sender takes the lease back.
        if (isNotLoadableHere(err))
          return refuseHandover(d, worldId, body?.from, notStartedReason(err), true, {
            [err.code === ErrorCode.WORLD_RECORD_UNUSABLE ? 'record' : 'checkpoint']: err.details,
          });
        // Its store has no record of the world its source just checkpointed: the two do not share a store.
        if (err instanceof WorldtickError && err.code === ErrorCode.WORLD_NOT_FOUND)
          return refuseHandover(d, worldId, body?.from, 'not-in-store', true);
        return failed(503, err instanceof Error ? err.message : String(err));
      }
    },
  },
  { method: 'GET', pattern: '/api/v1/cluster/moves', handler: () => ({ json: { moves: mover.history } }) },
];

/** A target's answer to `POST /api/v1/cluster/adopt` that is a refusal (draining, stopping, a checkpoint it cannot run), or null. */
export const refusalOf = (body: string): { reason: string; returned: boolean } | null => {
  try {
    const j = JSON.parse(body) as { code?: unknown; details?: { reason?: unknown; returned?: unknown } };
    if (j.code !== ErrorCode.MIGRATION_REFUSED) return null;
    return { reason: String(j.details?.reason ?? 'refused'), returned: j.details?.returned === true };
  } catch {
    return null;
  }
};
