/**
 * What cluster mode adds at the edges (docs/CLUSTER.md, "Running many instances"):
 * - game hellos: src/server/cluster-hello-route.ts;
 * - admin API: a world's requests are forwarded to its owner; `GET /api/v1/worlds` lists the
 *   whole cluster's worlds with their owners; `GET /api/v1/cluster` shows the cluster view;
 * - `/metrics`: the cluster view as Prometheus series.
 */
import type { Registry } from 'prom-client';
import type { InterceptedRequest, Route, RouteResponse } from '../admin/index.js';
import { createMetricKit } from '../admin/metrics-kit.js';
import { placeWorld } from '../cluster/placement.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClusterService } from './cluster-service.js';
import { createdHereAfterUnansweredPlacement, type ForwardWaits, forward, forwardWait, notAnswered } from './cluster-forward.js';
import { notStartedGate, registerNotStartedMetrics, withNotStarted } from './not-started.js';
import { ownedIdAnswer, storedIdAnswer, unavailable } from './create-stored-id.js';
import { parseCreatePlacement, strictQuery } from '../admin/world-query.js';
import { parseWorldsPage } from '../admin/worlds-page.js';
import { listClusterWorlds } from './cluster-worlds-list.js';

export { isStandbyCopy } from './cluster-worlds-list.js';

const WORLD_PATH = '/api/v1/worlds/:id';

/** Options of {@link createAdminIntercept}. */
export interface InterceptOptions extends ForwardWaits {
  /** Whether a stored record is of a create never confirmed (src/server/unconfirmed-create.ts): a create of its id is answered 503. */
  readonly unconfirmed?: (worldId: string) => Promise<boolean>;
}

/**
 * The admin server's `intercept` in cluster mode: requests for one world go to its owner
 * (one hop: a forwarded request is answered where it lands), writes to a world this instance
 * cannot prove to own are refused (503), and the world list is the cluster's.
 */
export const createAdminIntercept =
  (cluster: ClusterService, logger: Logger, hasWorld: (worldId: string) => boolean, o: InterceptOptions = {}) =>
  async (req: InterceptedRequest, next: () => Promise<RouteResponse>): Promise<RouteResponse> => {
    // Worlds not started here (a newer build wrote their checkpoint, src/server/not-started.ts): listed, and
    // refused by their routes (in a cluster after forwarding to an owner elsewhere) and by a create of their id.
    const ns = cluster.notStarted;
    if (req.pattern === '/api/v1/worlds' && req.method === 'GET') {
      const listed = withNotStarted(await next(), ns, (id) => cluster.ownerOf(id)?.instanceId ?? null, cluster.instanceId);
      return cluster.enforce ? listClusterWorlds(cluster, listed, hasWorld, parseWorldsPage(req)) : listed;
    }
    const gate = notStartedGate(ns, hasWorld, req);
    if (!cluster.enforce || (gate && req.method === 'POST')) return gate ?? next();
    if (req.pattern === '/api/v1/worlds' && req.method === 'POST') {
      const id = (req.body as { id?: unknown } | undefined)?.id;
      /** The create made here: refused when another instance owns the id or the store holds it, else created. */
      const createHere = async (): Promise<RouteResponse> => {
        // A world id is cluster-wide: creating one another instance owns would make a standby copy.
        const owner = typeof id === 'string' ? cluster.ownerOf(id) : null;
        // 409, or 503 while its record is of a create not confirmed (being made or undone there, or its instance died).
        if (typeof id === 'string' && owner && owner.instanceId !== cluster.instanceId)
          return ownedIdAnswer(logger, id, owner.instanceId, o.unconfirmed);
        // A stored world hosted by nobody (not leased, or leased here while restored or removed) is a world all
        // the same (409), unless its create was never confirmed (503): src/server/create-stored-id.ts.
        if (typeof id === 'string' && !hasWorld(id)) {
          const refused = await storedIdAnswer(cluster, logger, id, o.unconfirmed, owner?.instanceId ?? null);
          if (refused) return refused;
        }
        // Created here: the answer names the owner as a placed (forwarded) create's does.
        const created = await next();
        return created.status === 201 ? { ...created, headers: { ...created.headers, 'X-Worldtick-Owner': cluster.instanceId } } : created;
      };
      // An id owned elsewhere is refused before any placement (createHere answers it 409/503).
      const owner = typeof id === 'string' ? cluster.ownerOf(id) : null;
      if (owner && owner.instanceId !== cluster.instanceId) return createHere();
      // Placement: a new world goes to the least-loaded live instance (measured load, as heartbeated),
      // unless asked to be created where it is sent (`?placement=local`).
      // A bad `?placement=` is refused here (400, counted on this instance), never forwarded.
      const placement = parseCreatePlacement(req);
      const pick = req.forwardedBy === '' && placement !== 'local' ? placeWorld(cluster.instances()) : null;
      if (pick && pick.id !== cluster.instanceId) {
        cluster.counters.forwardedAdmin++;
        const waitMs = forwardWait(req, o);
        try {
          return await forward(cluster, req, pick.adminUrl, pick.id, waitMs);
        } catch (err) {
          logger.warn({ peer: pick.id, err }, 'cluster: world creation could not be placed on the least-loaded instance; created here');
          // Sent but not answered in time: created here, and a refusal says it may have been created there.
          if (typeof id === 'string' && err instanceof Error && err.name === 'TimeoutError')
            return createdHereAfterUnansweredPlacement(createHere, id, pick.id, waitMs);
        }
      }
      return createHere();
    }
    if (!req.pattern.startsWith(WORLD_PATH)) return next();
    const id = req.params.id ?? '';
    // Being taken over here (leased, still restored): the copy here, if any, is a standby that does not step, and a
    // world not installed yet would be answered 404 as if deleted.
    if (cluster.adopting(id)) return unavailable(`world ${id} is being taken over by instance ${cluster.instanceId}; retry`);
    if (req.forwardedBy !== '') {
      // Forwarded here as the owner by a view up to a control tick old: the world may have moved on (a failover,
      // a migration) and what is here a copy that does not step. A write to it would change the copy, not the
      // world; a delete would remove the stored record the owner writes again (docs/CLUSTER.md "Deleting a world").
      // Held here but lapsing (this instance stalled), a write goes on: the store refuses it (a delete included)
      // under a stale token once another instance took the world over.
      if (req.method !== 'GET' && hasWorld(id) && cluster.coordinator.heldLease(id) === null) {
        cluster.counters.forwardedRefused++;
        logger.warn(
          { world: id, from: req.forwardedBy, owner: cluster.ownerOf(id)?.instanceId ?? null },
          'cluster: forwarded admin write refused: this instance does not own the world',
        );
        return unavailable(`world ${id} is not owned by instance ${cluster.instanceId} (it moved); retry`);
      }
      return gate ?? next();
    }
    if (cluster.fence(id) !== null) return next();
    const owner = cluster.ownerOf(id);
    if (owner && owner.instanceId !== cluster.instanceId && owner.adminUrl) {
      cluster.counters.forwardedAdmin++;
      try {
        const res = await forward(cluster, req, owner.adminUrl, owner.instanceId, forwardWait(req, o));
        if ((res.json as { code?: string } | undefined)?.code === ErrorCode.CLUSTER_TOKEN_MISMATCH)
          logger.warn({ world: id, owner: owner.instanceId }, "cluster: the owner refused this instance's admin token");
        return res;
      } catch (err) {
        logger.warn({ world: id, owner: owner.instanceId, err }, 'cluster: admin request could not be forwarded to the owner');
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        if (timedOut) return notAnswered(req, `the owner of world ${id} (${owner.instanceId})`, forwardWait(req, o));
        return unavailable(`the owner of world ${id} (${owner.instanceId}) did not answer`);
      }
    }
    // Nobody else owns it and this instance cannot prove it does (cut off from Redis, lease lapsing): no writes.
    if (req.method !== 'GET' && hasWorld(id) && (owner === null || owner.instanceId === cluster.instanceId))
      return unavailable(`no instance can prove it owns world ${id} right now; retry`);
    // Stored, hosted by nobody (its owner died; an instance is taking it over): not a 404, and no write to a copy.
    if (owner === null && !hasWorld(id) && cluster.orphaned(id))
      return unavailable(`world ${id} has no live owner right now (it is being taken over from the store); retry`);
    return gate ?? next();
  };

/** The cluster view as JSON (also read by the dashboard). */
export const clusterStatus = (cluster: ClusterService) => {
  const c = cluster.coordinator;
  const { instances, leases } = cluster.view();
  const now = c.now();
  const held = cluster.serving().map((worldId) => {
    const h = c.heldLease(worldId);
    return { worldId, fencingToken: h?.fencingToken ?? null, validForMs: h ? Math.round(h.validUntil - now) : null };
  });
  return {
    mode: cluster.enforce ? 'cluster' : 'single',
    coordinator: c.kind,
    instance: cluster.instanceId,
    reachable: cluster.reachable,
    draining: cluster.drainState === 'draining', // not while stopping (capacity 0 too)
    instances: instances.map((i) => ({ ...i, worlds: leases.filter((l) => l.instanceId === i.id).map((l) => l.worldId) })),
    leases,
    held,
    counters: { ...cluster.counters },
    notStarted: cluster.notStarted.list(), // stored worlds this instance does not run, and why (src/server/not-started.ts)
    stepRanges: cluster.stepRanges(),
  };
};

/** Most world ids per instance in the summary view (the dashboard's cluster table); `worldCount` counts them all. */
const SUMMARY_WORLDS = 10;

/**
 * The cluster view without its per-world lists (`leases`, `held`, `stepRanges`: ~280 bytes a world,
 * 84 KB with 300 worlds): each instance with its first {@link SUMMARY_WORLDS} world ids and
 * `worldCount`, and `worldCount` of the cluster. What the dashboard polls.
 */
export const clusterSummary = (cluster: ClusterService) => {
  const { instances, leases } = cluster.view();
  return {
    mode: cluster.enforce ? 'cluster' : 'single',
    coordinator: cluster.coordinator.kind,
    instance: cluster.instanceId,
    reachable: cluster.reachable,
    draining: cluster.drainState === 'draining',
    instances: instances.map((i) => {
      const worlds = leases.filter((l) => l.instanceId === i.id).map((l) => l.worldId);
      return { ...i, worlds: worlds.slice(0, SUMMARY_WORLDS), worldCount: worlds.length };
    }),
    worldCount: leases.length,
    counters: { ...cluster.counters },
    notStarted: cluster.notStarted.list(),
  };
};

/** `GET /api/v1/cluster`: this instance's view of the cluster (`?view=summary`: {@link clusterSummary}). */
export const clusterRoutes = (cluster: ClusterService): Route[] => [
  {
    method: 'GET',
    pattern: '/api/v1/cluster',
    handler: (req) => {
      const q = strictQuery(req, 'cluster view', ['view']);
      const view = q.once('view', (v) => v === 'summary', 'summary (or absent: the whole view)');
      q.done();
      return { json: view === null ? clusterStatus(cluster) : clusterSummary(cluster) };
    },
  },
];

/** The admin server options cluster mode adds: intercept (forwarding, cluster world list), `/api/v1/cluster`, metrics. */
export const clusterAdminOptions = (
  cluster: ClusterService,
  logger: Logger,
  hasWorld: (worldId: string) => boolean,
  unconfirmed?: InterceptOptions['unconfirmed'],
) => ({
  intercept: createAdminIntercept(cluster, logger, hasWorld, unconfirmed ? { unconfirmed } : {}),
  extraRoutes: clusterRoutes(cluster),
  extraMetrics: (registry: Registry, labelled: () => ReadonlySet<string> | null) => {
    registerClusterMetrics(registry, cluster, labelled);
    registerNotStartedMetrics(registry, cluster.notStarted);
  },
});

/** Register the cluster series on the admin's registry (read at scrape time); per world: the worlds of `labelled()` (null: all). */
export const registerClusterMetrics = (
  registry: Registry,
  cluster: ClusterService,
  labelled: () => ReadonlySet<string> | null = () => null,
): void => {
  const served = (): string[] => {
    const only = labelled();
    return only ? cluster.serving().filter((w) => only.has(w)) : cluster.serving();
  };
  const { gauge, counter } = createMetricKit(registry, () => []);
  gauge('worldtick_cluster_instances', 'Live instances in the cluster (as of the last control tick).', [], (put) =>
    put({}, cluster.view().instances.length),
  );
  gauge('worldtick_cluster_instance_sessions', 'Game sessions per instance, as heartbeated.', ['instance'], (put) => {
    for (const i of cluster.view().instances) put({ instance: i.id }, i.load.sessions);
  });
  gauge(
    'worldtick_cluster_instance_step_load_ratio',
    'Seconds of world stepping per wall second per instance (stepCostMs / 1000), as heartbeated.',
    ['instance'],
    (put) => {
      for (const i of cluster.view().instances) put({ instance: i.id }, i.load.stepCostMs / 1000);
    },
  );
  gauge('worldtick_cluster_instance_cpu', 'Process CPU per instance (fraction of one core), as heartbeated.', ['instance'], (put) => {
    for (const i of cluster.view().instances) put({ instance: i.id }, i.load.cpu);
  });
  gauge('worldtick_cluster_instance_worlds', 'Worlds whose lease each instance holds.', ['instance'], (put) => {
    const { instances, leases } = cluster.view();
    for (const i of instances) put({ instance: i.id }, leases.filter((l) => l.instanceId === i.id).length);
  });
  gauge('worldtick_cluster_world_owned', 'Worlds this instance steps now (1), by world.', ['world'], (put) => {
    for (const w of served()) put({ world: w }, 1);
  });
  gauge('worldtick_cluster_world_fencing_token', 'Fencing token of each world this instance holds.', ['world'], (put) => {
    for (const w of served()) {
      const f = cluster.fence(w);
      if (f) put({ world: w }, f.token);
    }
  });
  gauge('worldtick_cluster_coordinator_up', '1 when the last control tick reached the coordinator.', [], (put) =>
    put({}, cluster.reachable ? 1 : 0),
  );
  counter(
    'worldtick_cluster_coordinator_damaged_records_total',
    'Damaged keys in Redis the coordinator met (lease keys, fence counters, instance records, index sets): skipped in listings (rising every control tick while one stays), replaced when the world is acquired, an index rebuilt.',
    [],
    (put) => put({}, cluster.coordinator.counters.damagedRecords),
  );
  gauge(
    'worldtick_cluster_draining',
    '1 while this instance is draining (POST /api/v1/cluster/drain: capacity 0, /readyz 503), else 0.',
    [],
    (put) => put({}, cluster.drainState === 'draining' ? 1 : 0),
  );
  const k = cluster.counters;
  const total = (name: string, help: string, read: () => number): void => counter(name, help, [], (put) => put({}, read()));
  total('worldtick_cluster_lease_renewals_total', 'Lease renewals granted.', () => k.leaseRenewals);
  total('worldtick_cluster_lease_failures_total', 'Lease renewals that failed or were refused.', () => k.leaseFailures);
  total('worldtick_cluster_leases_acquired_total', 'Leases acquired (new fencing tokens).', () => k.leaseAcquired);
  total(
    'worldtick_cluster_leases_lost_total',
    'Worlds this instance stopped stepping because it could not prove ownership.',
    () => k.leasesLost,
  );
  total(
    'worldtick_cluster_lease_lapses_recovered_total',
    "Lapses of a world's lease validity (its renewal late: the event loop held, the machine starved) that the renewal ended under the same token: the world paused, its sessions kept.",
    () => k.leaseLapsesRecovered,
  );
  total(
    'worldtick_cluster_fence_refusals_total',
    'New fencing tokens the store refused (it had seen a higher one; the world not stepped with it).',
    () => k.fenceRefusals,
  );
  total(
    'worldtick_cluster_fence_lock_timeouts_total',
    "Announces of a new fencing token that gave up waiting for the world's fence row (another writer holds it); tried again next control tick.",
    () => k.fenceLockTimeouts,
  );
  total(
    'worldtick_cluster_fence_writers_ended_total',
    "Store sessions of fenced-out writers (older token, same world) ended because they held the world's fence row.",
    () => k.fenceWritersEnded,
  );
  total('worldtick_cluster_failovers_total', 'Worlds taken over after another instance held them.', () => k.failovers);
  total('worldtick_cluster_migrations_total', 'Worlds moved by handover (the migration phase).', () => k.migrations);
  total('worldtick_cluster_redirects_total', 'Game clients redirected to the owner of their world.', () => k.redirects);
  total('worldtick_cluster_tickets_previous_secret_total', 'Tickets --cluster-secret-previous signed.', () => k.ticketsPreviousSecret);
  total('worldtick_cluster_admin_forwarded_total', 'Admin requests forwarded to a world owner.', () => k.forwardedAdmin);
  total(
    'worldtick_cluster_admin_forwarded_refused_total',
    'Admin writes forwarded here as to the owner of a world this instance does not own (refused: the world moved).',
    () => k.forwardedRefused,
  );
  total(
    'worldtick_cluster_adopt_refusals_total',
    'Worlds handed here that were refused (draining, stopping, or a checkpoint this instance cannot run).',
    () => k.adoptRefusals,
  );
  total(
    'worldtick_cluster_checkpoint_too_new_total',
    'Worlds not taken over (handover or failover) because a newer build wrote their checkpoint.',
    () => k.checkpointTooNew,
  );
  total(
    'worldtick_cluster_game_incompatible_total',
    'Worlds not taken over (handover or failover) because their checkpoint holds game data this game cannot hold.',
    () => k.gameIncompatible,
  );
};
