/**
 * Draining an instance (docs/CLUSTER.md "Draining an instance"): before a planned stop, move every
 * world it steps to other instances by migration (state preserved, players redirected with their
 * resume tokens), and keep new worlds away from it — it announces capacity 0 (and `draining: true` in its
 * instance record, which a clean stop's capacity 0 does not say), so placement,
 * default migration targets and balance rounds skip it, it takes no standby copy or orphan, and
 * `/readyz` answers 503 (load balancers stop sending new connections). Then stop it (SIGTERM).
 *
 *   POST   /api/v1/cluster/drain   start draining and migrate every world away (one at a time)
 *   GET    /api/v1/cluster/drain   { instance, draining, worlds }
 *   DELETE /api/v1/cluster/drain   end draining (the instance takes worlds again)
 */
import type { Route, RouteResponse } from '../admin/index.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClusterService } from './cluster-service.js';
import type { MigrationResult, WorldMover } from './cluster-migration.js';
import { MoveError } from './cluster-migration-routes.js';

/** What the drain routes need. */
export interface DrainDeps {
  cluster: ClusterService;
  mover: WorldMover;
  logger: Logger;
}

const notCluster = (): RouteResponse => ({
  status: 409,
  json: { code: ErrorCode.ADMIN_CONFLICT, message: 'not in cluster mode (--redis): nothing to drain to' },
});

/** Announce the flag; a coordinator failure is a 503 (the flag is set locally either way). */
const announce = async (d: DrainDeps, on: boolean): Promise<RouteResponse | null> => {
  try {
    await d.cluster.setDraining(on);
    return null;
  } catch (err) {
    d.logger.warn({ err, draining: on }, 'cluster: draining flag could not be announced');
    return {
      status: 503,
      headers: { 'Retry-After': '1' },
      json: { code: ErrorCode.CLUSTER_UNAVAILABLE, message: 'the coordinator could not be reached; retry', details: { draining: on } },
    };
  }
};

/** A target that refused a world during a drain and handed its lease back (the world stayed here). */
export interface Refusal {
  readonly instance: string;
  /**
   * `draining`, `stopping`, `checkpoint-too-new` or `game-incompatible` (docs/CLUSTER.md "Migration"); before
   * the handover (src/server/peer-check.ts): `token-mismatch`, `unreachable` or `another-instance`.
   */
  readonly reason: string;
}

/** Most targets a drain asks for one world: a refusal (the world steps on here) makes it ask the next one placement picks. */
export const DRAIN_ATTEMPTS = 3;

/**
 * Migrate `worldId` to the least-loaded other instance; when that target refuses it (409
 * `WT_ERR_MIGRATION_REFUSED`: draining, stopping, or it cannot run the checkpoint) and hands the
 * lease back, ask the next one placement picks without the ones that refused, up to {@link DRAIN_ATTEMPTS}
 * targets. `tried` collects the refusals, in order. Resolves the migration, or the last error.
 */
const moveAway = async (d: DrainDeps, worldId: string, tried: Refusal[]): Promise<{ moved: MigrationResult } | { error: string }> => {
  for (;;) {
    try {
      return { moved: await d.mover.migrate(worldId, undefined, new Set(tried.map((t) => t.instance))) };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const refused = err instanceof MoveError ? err.refusedBy : null;
      if (!refused)
        return { error: tried.length ? `${error}; refused by ${tried.map((t) => `${t.instance} (${t.reason})`).join(', ')}` : error };
      tried.push(refused);
      const last = tried.length >= DRAIN_ATTEMPTS || !d.cluster.draining;
      d.logger.warn(
        { world: worldId, to: refused.instance, reason: refused.reason, attempt: tried.length, retry: !last },
        last
          ? 'cluster: drain target refused the world; no more attempts'
          : 'cluster: drain target refused the world; asking another instance',
      );
      if (last) return { error };
    }
  }
};

/** The drain routes of an instance. */
export const drainRoutes = (d: DrainDeps): Route[] => [
  {
    method: 'GET',
    pattern: '/api/v1/cluster/drain',
    // `draining` as in GET /api/v1/cluster: a drain, not a clean stop (capacity 0 too).
    handler: () => ({
      json: { instance: d.cluster.instanceId, draining: d.cluster.drainState === 'draining', worlds: d.cluster.serving() },
    }),
  },
  {
    method: 'POST',
    pattern: '/api/v1/cluster/drain',
    handler: async () => {
      if (!d.cluster.enforce) return notCluster();
      const refused = await announce(d, true);
      if (refused) return refused;
      d.logger.info({ worlds: d.cluster.serving() }, 'cluster: draining');
      const moved: Array<MigrationResult & { tried: Refusal[] }> = [];
      const failed: Array<{ worldId: string; error: string; tried: Refusal[] }> = [];
      for (const worldId of d.cluster.serving()) {
        if (!d.cluster.draining) break; // ended (DELETE) while the worlds moved: the rest stay here
        const tried: Refusal[] = [];
        const r = await moveAway(d, worldId, tried);
        if ('error' in r) failed.push({ worldId, error: r.error, tried });
        else moved.push({ ...r.moved, tried });
      }
      const remaining = d.cluster.serving();
      const draining = d.cluster.draining;
      const refusedBy = (t: Refusal[]): string =>
        t.length ? ` (refused by ${t.map((x) => `${x.instance}: ${x.reason}`).join(', ')})` : '';
      const summary = { moved: moved.map((m) => `${m.worldId} -> ${m.to}${refusedBy(m.tried)}`), failed, remaining };
      if (!draining) d.logger.info(summary, 'cluster: drain ended before every world moved');
      else if (remaining.length)
        d.logger.warn(summary, 'cluster: drain incomplete; worlds still stepped here (retry POST /api/v1/cluster/drain)');
      else d.logger.info(summary, 'cluster: drained; safe to stop');
      return { json: { instance: d.cluster.instanceId, draining, moved, failed, remaining } };
    },
  },
  {
    method: 'DELETE',
    pattern: '/api/v1/cluster/drain',
    handler: async () => {
      if (!d.cluster.enforce) return notCluster();
      const refused = await announce(d, false);
      if (refused) return refused;
      d.logger.info('cluster: draining ended');
      return { json: { instance: d.cluster.instanceId, draining: false, worlds: d.cluster.serving() } };
    },
  },
];
