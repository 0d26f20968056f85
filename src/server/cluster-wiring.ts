/**
 * How the cluster service's parts reach each other (src/server/cluster-service.ts): the fencing-token
 * announcer, the view, the admin world leases, the takeover, and the contexts of the control tick, of
 * one world's lease step and of the watchdog — built once, from what the service owns.
 */
import type { SimWorld } from '../world/sim-world.js';
import { AdminWorldLeases } from './cluster-claim.js';
import type { ControlTickContext, DrainState } from './cluster-control-tick.js';
import { FenceAnnouncer } from './cluster-fence-announce.js';
import type { LeaseTickContext } from './cluster-lease-tick.js';
import type { StepRangeLog } from './cluster-step-ranges.js';
import { grantReads } from './cluster-stored.js';
import { WorldTakeover } from './cluster-takeover.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';
import { ClusterView } from './cluster-view.js';
import type { WatchContext } from './cluster-watchdog.js';
import type { NotStartedWorlds } from './not-started.js';
import type { WorldLoadMeter } from './world-load.js';

/** What the service owns and hands its parts. */
export interface ClusterOwned {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  readonly notStarted: NotStartedWorlds;
  /** Worlds whose stepping is held (migrating out, being adopted). */
  readonly held: Set<string>;
  /** Worlds stepped here now. */
  readonly serving: Set<string>;
  readonly ranges: StepRangeLog;
  /** Highest token seen per world as another instance's (failovers). */
  readonly seenTokens: Map<string, number>;
  /** `LeaseTickContext.granted`. */
  readonly granted: Set<string>;
  readonly meter: WorldLoadMeter;
  /** The step guard (ms). */
  readonly guardMs: number;
  readonly drain: () => DrainState;
  readonly stopped: () => boolean;
  /** Forget what the service keeps of a world (deleted, or its create undone). */
  readonly drop: (worldId: string) => void;
  /** Run the watchdog now. */
  readonly watch: () => void;
  readonly canStep: (world: SimWorld) => boolean;
}

/** The service's parts, wired. */
export interface ClusterParts {
  readonly fences: FenceAnnouncer;
  readonly view: ClusterView;
  readonly admin: AdminWorldLeases;
  readonly takeover: WorldTakeover;
  readonly tickCtx: ControlTickContext;
  readonly watchCtx: WatchContext;
}

export const wireCluster = (o: ClusterOwned): ClusterParts => {
  const { opts, counters, held } = o;
  const fences = new FenceAnnouncer(opts, counters);
  const view = new ClusterView(opts, o.drain);
  const admin = new AdminWorldLeases({ opts, counters, fences, held, leases: () => view.leases, drop: o.drop });
  // What the takeover and a world's lease step both reach.
  const shared = {
    opts,
    counters,
    held,
    minToken: (worldId: string) => fences.minToken(worldId),
    announcing: (worldId: string) => fences.pending(worldId),
    previousOwner: (worldId: string) => view.previousOwner(worldId) ?? 'unknown',
  };
  const takeover = new WorldTakeover({
    ...shared,
    leases: () => view.leases,
    instances: () => view.instances,
    announce: (worldId, token) => fences.announce(worldId, token),
    announceFailure: (worldId) => fences.failureOf(worldId),
    announceInTick: (worldId, token) => fences.announceInTick(worldId, token),
    tickWaitMs: fences.tickWaitMs,
    watch: o.watch,
    notStarted: o.notStarted,
    deleting: admin.deleting,
  });
  // What one world's lease step of the control tick reaches (src/server/cluster-lease-tick.ts).
  const leaseTick: LeaseTickContext = {
    ...shared,
    seenTokens: o.seenTokens,
    takeover,
    announce: (worldId, token) => fences.announceInTick(worldId, token),
    granted: o.granted,
    reads: grantReads(opts),
  };
  const watchCtx: WatchContext = {
    opts,
    counters,
    canStep: o.canStep,
    held,
    serving: o.serving,
    ranges: o.ranges,
    guardMs: o.guardMs,
    tokens: new Map(),
  };
  const tickCtx: ControlTickContext = {
    opts,
    counters,
    leaseTick,
    seenTokens: o.seenTokens,
    takeover,
    meter: o.meter,
    drain: o.drain,
    stopped: o.stopped,
    deleting: admin.deleting,
    creating: admin.creating,
    setView: (instances, leases) => view.set(instances, leases),
    leaseSteps: new Set(),
    damagedWarned: { count: 0, at: Number.NEGATIVE_INFINITY },
  };
  return { fences, view, admin, takeover, tickCtx, watchCtx };
};
