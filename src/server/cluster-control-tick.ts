/**
 * One control tick of the cluster service (src/server/cluster-service.ts): presence heartbeat (or
 * re-registration), the lease step of every world (src/server/cluster-lease-tick.ts), a refresh of
 * the view (instances, leases), then orphan failover. Moved out of cluster-service.ts; the state it
 * reaches is the service's, handed in as {@link ControlTickContext}.
 */
import type { Coordinator, InstanceInfo, InstanceRecord, LeaseOwner } from '../cluster/coordinator.js';
import type { Logger } from '../log.js';
import type { SimWorld } from '../world/sim-world.js';
import { noteSeenToken, tickWorldLease, type LeaseTickContext } from './cluster-lease-tick.js';
import { pruneGrantReads } from './cluster-stored.js';
import type { WorldTakeover } from './cluster-takeover.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';
import type { WorldLoadMeter } from './world-load.js';

/**
 * Why this instance announces capacity 0 (docs/CLUSTER.md "Draining an instance"): `draining` (`POST
 * /api/v1/cluster/drain`; its presence record says `draining: true`), `stopping` (a clean stop: capacity 0,
 * not flagged draining), or `none`. Either of the first two takes no world and refuses a handover.
 */
export type DrainState = 'none' | 'draining' | 'stopping';

/** What a control tick reads and updates of the cluster service. */
export interface ControlTickContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  readonly leaseTick: LeaseTickContext;
  /** Highest token seen per world as another instance's (failover detection). */
  readonly seenTokens: Map<string, number>;
  readonly takeover: WorldTakeover;
  readonly meter: WorldLoadMeter;
  /** Draining or stopping (capacity 0, takes no world), or neither. */
  readonly drain: () => DrainState;
  readonly stopped: () => boolean;
  /** Worlds deleted here whose stored record is still being deleted: their held leases are renewed, nothing more. */
  readonly deleting: ReadonlySet<string>;
  /** Worlds an admin create claimed here, not hosted yet (being made durable, or a failed create being undone): their held leases are renewed, nothing more. */
  readonly creating: ReadonlySet<string>;
  /** Store the refreshed view (before orphan failover reads it). */
  readonly setView: (instances: InstanceRecord[], leases: Map<string, LeaseOwner>) => void;
  /** Worlds whose lease step (a control tick's, or {@link renewHeldLeases}'s renewal) runs now: one at a time per world. */
  readonly leaseSteps: Set<string>;
  /** The coordinator's damaged-records count at the last warning about it, and when (performance.now ms): {@link warnDamagedKeys}. */
  readonly damagedWarned: { count: number; at: number };
}

/** The least time between two warnings about damaged keys in Redis. */
const DAMAGED_WARN_MS = 60_000;

/**
 * Warn when the coordinator met damaged keys in Redis since the last warning (docs/CLUSTER.md "A damaged key in
 * Redis": skipped or replaced, so nothing fails), at most once a minute: a damaged lease is met by every control tick
 * while it stays, and `worldtick_cluster_coordinator_damaged_records_total` counts each meeting.
 */
export const warnDamagedKeys = (logger: Logger, c: Coordinator, last: { count: number; at: number }, now = performance.now()): void => {
  const count = c.counters.damagedRecords;
  if (count <= last.count || now - last.at < DAMAGED_WARN_MS) return;
  logger.warn(
    { coordinator: c.kind, target: c.target, damaged: count - last.count, total: count },
    'cluster: damaged keys in Redis skipped or replaced (docs/CLUSTER.md "A damaged key in Redis")',
  );
  last.count = count;
  last.at = now;
};

/** Run `step` as `worldId`'s lease step unless one runs already (then nothing: false). */
const leaseStep = async (x: ControlTickContext, worldId: string, step: () => Promise<void>): Promise<boolean> => {
  if (x.leaseSteps.has(worldId)) return false;
  x.leaseSteps.add(worldId);
  try {
    await step();
  } finally {
    x.leaseSteps.delete(worldId);
  }
  return true;
};

/**
 * Leases held for worlds not hosted here: a deleted world's lease outlives it until its record is gone
 * (src/server/cluster-service.ts `forget`); a created one's is kept from its claim until the runner hosts it or its
 * failed create is undone; a world being adopted (a migration's target or a failover restoring it: held, and hosted
 * only once restored) keeps the lease it was handed or granted through a restore longer than the TTL — before, it was
 * renewed once when the adopt began and lapsed under a slow restore, and another instance took the world over
 * (test/unit/server/adopt-lease-renewal.test.ts). Renewed, nothing more ({@link renewKept}; only while held here).
 */
const keptLeases = (x: ControlTickContext, hosted: ReadonlySet<string>): string[] =>
  [...new Set([...x.deleting, ...x.creating, ...x.leaseTick.held])].filter((w) => !hosted.has(w));

/** Renew a kept lease (when still held) as its lease step; a failed call is told to `onError`. */
const renewKept = async (x: ControlTickContext, worldId: string, onError: (err: unknown) => void): Promise<void> => {
  const o = x.opts;
  if (o.coordinator.heldLease(worldId) === null) return;
  await leaseStep(x, worldId, async () => {
    try {
      await o.coordinator.renew(worldId, o.instanceId, o.leaseTtlMs);
    } catch (err) {
      onError(err);
    }
  });
};

/** This instance's presence record: capacity 0 while draining or stopping, flagged `draining` only for a drain. */
export const instanceInfo = (o: ClusterServiceOptions, drain: DrainState): InstanceInfo => ({
  id: o.instanceId,
  gameUrl: o.gameUrl(),
  adminUrl: o.adminUrl(),
  capacity: drain === 'none' ? o.capacity() : 0,
  load: o.load(),
  draining: drain === 'draining',
});

/** What a control tick saw of the coordinator: how many of its calls failed (0 = reachable), the first error. */
export interface ControlTickResult {
  failures: number;
  error: unknown;
}

/** Run one control tick. */
export const runControlTick = async (x: ControlTickContext): Promise<ControlTickResult> => {
  const o = x.opts;
  const c = o.coordinator;
  const id = o.instanceId;
  let failures = 0;
  let error: unknown = null;
  const failed = (err: unknown): void => {
    failures++;
    error ??= err;
  };
  const presence = async (): Promise<void> => {
    try {
      // The drain flag rides every heartbeat: a register that failed when the drain began is made good.
      if (!(await c.heartbeat(id, o.load(), x.drain() === 'draining'))) {
        x.counters.reRegistrations++;
        await c.register(instanceInfo(o, x.drain()), o.presenceTtlMs ?? o.leaseTtlMs);
      }
    } catch (err) {
      failed(err);
      x.counters.heartbeatFailures++;
    }
  };
  const lease = async (w: SimWorld): Promise<void> => {
    if (x.drain() !== 'none' && c.heldLease(w.id) === null) return; // draining: renew what is held, take nothing
    // A failed lease call is the tick's error too when it came first (the reachability line names it). A renewal of the
    // world still in flight (renewHeldLeases, the tick before ran long) is this tick's renewal of it.
    await leaseStep(x, w.id, async () => {
      if (!(await tickWorldLease(x.leaseTick, w.id, (err) => void (error ??= err)))) failures++;
    });
  };
  const refresh = async (): Promise<void> => {
    try {
      const [instances, leases] = await Promise.all([c.listInstances(), c.listLeases()]);
      const byWorld = new Map(leases.map((l) => [l.worldId, l]));
      x.setView(instances, byWorld);
      for (const l of leases) {
        if (l.instanceId === id) continue;
        noteSeenToken(x.seenTokens, l.worldId, l.fencingToken);
        // Held elsewhere: a grant here is a takeover now (seen), so a stale copy no longer needs its own mark —
        // kept, it would take a world migrated here since over from the store again after a lapse.
        x.leaseTick.reads.mustAdopt.delete(l.worldId);
      }
      // Read only for worlds hosted here: one neither hosted nor leased (deleted, or an orphan nobody took
      // yet) is noted again from its next lease, so a deleted world's id is not kept for good.
      for (const w of x.seenTokens.keys()) if (!byWorld.has(w) && !hosted.has(w)) x.seenTokens.delete(w);
      for (const w of x.leaseTick.granted) if (!hosted.has(w)) x.leaseTick.granted.delete(w); // moved away or gone
      pruneGrantReads(x.leaseTick.reads, (w) => hosted.has(w)); // a grant's reads of a world not hosted here
    } catch (err) {
      failed(err);
    }
  };
  const hosted = new Set(o.worlds().map((w) => w.id));
  x.meter.sample(performance.now());
  const kept = keptLeases(x, hosted).map((worldId) => renewKept(x, worldId, failed));
  await Promise.all([presence(), refresh(), ...o.worlds().map(lease), ...kept]);
  // Orphan failover counts only its coordinator calls: a store that cannot list its worlds is not Redis down.
  if (o.enforce && o.adopt && (o.storedWorlds || o.storedRecords) && !x.stopped() && x.drain() === 'none')
    failures += await x.takeover.takeOrphans();
  warnDamagedKeys(o.logger, c, x.damagedWarned);
  return { failures, error };
};

/**
 * While a control tick runs past its interval (a grant's bounded store reads and coordinator calls add up to
 * ~70 % of the TTL: docs/CLUSTER.md "An instance cut off from the network"), run the lease step of every world
 * whose lease is held here and whose step is not running: the tick waits for its slowest world, and the others'
 * renewals must not wait with it (at a 2 s TTL that left ~0.37 s for an event loop slowed by the machine's load;
 * at the CLI's shortest TTL, nothing). The same step as the tick's ({@link tickWorldLease}: a renewal, and what a
 * refused or lapsed one leads to), except for a world whose stepping is held (migrating, being adopted) or whose
 * handed lease waits for its adopt request (its grace counts ticks): those are the tick's. A lease kept for a
 * create or delete is renewed as the tick does. Failures are counted as there, not against reachability. Nothing
 * without `enforce` (one instance: nothing is gated).
 */
export const renewHeldLeases = async (x: ControlTickContext): Promise<void> => {
  const o = x.opts;
  if (!o.enforce) return;
  const hosted = new Set(o.worlds().map((w) => w.id));
  const steps: Array<Promise<unknown>> = keptLeases(x, hosted).map((worldId) => renewKept(x, worldId, () => {}));
  for (const worldId of hosted) {
    if (o.coordinator.heldLease(worldId) === null || x.leaseTick.held.has(worldId) || x.takeover.awaitingHandover(worldId)) continue;
    steps.push(leaseStep(x, worldId, () => tickWorldLease(x.leaseTick, worldId).then(() => undefined)));
  }
  await Promise.all(steps);
};

/** The coordinator became unreachable (warn: which one, where, the first error) or answers again (info). */
export const logReachability = (logger: Logger, c: Coordinator, reachable: boolean, error: unknown): void => {
  if (reachable) logger.info({ coordinator: c.kind, target: c.target }, 'cluster: coordinator reachable again');
  else logger.warn({ coordinator: c.kind, target: c.target, err: error ?? undefined }, 'cluster: coordinator unreachable');
};
