/**
 * The watchdog pass of the cluster service (src/server/cluster-service.ts, every 50 ms and after each
 * control tick): a world that can step again is logged and counted as served; one that no longer can
 * (its lease lapsing, refused, lost) stops being served, its step range is closed, its sessions are
 * closed (4015) and the loss is counted. Moved out of cluster-service.ts; the state it reaches is the
 * service's, handed in as {@link WatchContext}.
 *
 * A lapse is not a loss yet. When the lease is still held here under the token the world was served
 * with, and only its validity ran out (the renewal came late: the event loop held by a long restore or
 * step, or the machine starved of CPU), the world stops stepping at once but keeps its sessions for
 * {@link lapseGraceMs}: the renewal that follows finds the lease still ours under the same token —
 * nobody held the world meanwhile (any grant elsewhere takes a new token) — and it steps on with its
 * players. Before, every such lapse closed them all with 4015 `lease lost` (seen under load in the
 * cluster tests: cut-store-grant, bots-moves-failover, redirect-affinity). A lease refused, released
 * or re-granted under another token, or a lapse the grace does not cover, is a loss as before.
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
  /** Margin before a lease's validity ends within which a world no longer steps (the service's step guard, ms). */
  readonly guardMs: number;
  /**
   * Per world served here (or lapsed while served): the fencing token it was served under, and since when
   * (coordinator clock) its lease validity lapsed, null while it steps.
   */
  readonly tokens: Map<string, { token: number; lapsedSince: number | null }>;
}

/** How long a lapsed lease keeps its world's sessions, waiting for the renewal: half the lease TTL. */
export const lapseGraceMs = (leaseTtlMs: number): number => leaseTtlMs / 2;

/** One watchdog pass (nothing without `enforce`). */
export const watchStepping = (x: WatchContext): void => {
  const o = x.opts;
  if (!o.enforce) return;
  const c = o.coordinator;
  const lose = (worldId: string): void => {
    x.tokens.delete(worldId);
    x.counters.leasesLost++;
    const closed = o.closeSessions(worldId, CloseCode.LEASE_LOST, 'lease lost');
    o.logger.warn({ world: worldId, closedSessions: closed }, 'cluster: cannot prove ownership of the world, stopped stepping');
  };
  for (const w of o.worlds()) {
    if (x.held.has(w.id)) continue;
    const ok = x.canStep(w);
    const token = c.heldLease(w.id)?.fencingToken;
    const served = x.tokens.get(w.id);
    if (served && served.lapsedSince !== null) {
      if (ok && token === served.token) {
        x.serving.add(w.id);
        x.counters.leaseLapsesRecovered++;
        o.logger.info(
          { world: w.id, fencingToken: token, lapsedMs: Math.round(c.now() - served.lapsedSince) },
          'cluster: world lease renewed after its validity lapsed, stepping again (sessions kept)',
        );
        served.lapsedSince = null;
      } else if (token !== served.token || c.now() - served.lapsedSince > lapseGraceMs(o.leaseTtlMs)) lose(w.id);
      continue;
    }
    if (ok && !x.serving.has(w.id)) {
      x.serving.add(w.id);
      if (token !== undefined) x.tokens.set(w.id, { token, lapsedSince: null });
      o.logger.info({ world: w.id, fencingToken: token }, 'cluster: world lease held, stepping');
    } else if (!ok && x.serving.has(w.id)) {
      x.serving.delete(w.id);
      x.ranges.close(w.id);
      const validUntil = c.leaseValidUntil(w.id);
      if (served && token === served.token && validUntil !== null && c.now() + x.guardMs >= validUntil) {
        served.lapsedSince = c.now();
        o.logger.info(
          { world: w.id, fencingToken: token, graceMs: lapseGraceMs(o.leaseTtlMs) },
          'cluster: world lease validity lapsed (its renewal is late): not stepping until it is renewed',
        );
      } else lose(w.id);
    }
  }
  // Worlds gone from here (deleted, migrated out) leave nothing behind.
  if (x.tokens.size > 0) {
    const here = new Set(o.worlds().map((w) => w.id));
    for (const id of x.tokens.keys()) if (!here.has(id)) x.tokens.delete(id);
  }
};
