/**
 * The watchdog pass of the cluster service (src/server/cluster-service.ts, every 50 ms and after each
 * control tick): a world that can step again is logged and counted as served; one that no longer can
 * (its lease lapsing, refused, lost) stops being served, its step range is closed, its sessions are
 * closed (4015) and the loss is counted. Moved out of cluster-service.ts; the state it reaches is the
 * service's, handed in as {@link WatchContext}.
 */
import { CloseCode } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import type { StepRangeLog } from './cluster-step-ranges.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';

/** What the watchdog reads and updates of the cluster service. */
export interface WatchContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  /** Worlds whose stepping is held (not watched meanwhile). */
  readonly held: ReadonlySet<string>;
  /** Worlds served (stepped) here now. */
  readonly serving: Set<string>;
  readonly ranges: StepRangeLog;
  readonly canStep: (world: SimWorld) => boolean;
}

/** One watchdog pass (nothing without `enforce`). */
export const watchStepping = (x: WatchContext): void => {
  const o = x.opts;
  if (!o.enforce) return;
  for (const w of o.worlds()) {
    if (x.held.has(w.id)) continue;
    const ok = x.canStep(w);
    if (ok && !x.serving.has(w.id)) {
      x.serving.add(w.id);
      o.logger.info({ world: w.id, fencingToken: o.coordinator.heldLease(w.id)?.fencingToken }, 'cluster: world lease held, stepping');
    } else if (!ok && x.serving.has(w.id)) {
      x.serving.delete(w.id);
      x.ranges.close(w.id);
      x.counters.leasesLost++;
      const closed = o.closeSessions(w.id, CloseCode.LEASE_LOST, 'lease lost');
      o.logger.warn({ world: w.id, closedSessions: closed }, 'cluster: cannot prove ownership of the world, stopped stepping');
    }
  }
};
