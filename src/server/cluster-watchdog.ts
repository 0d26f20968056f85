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
  /** Per world served here, the fencing token it is served under. */
  readonly servedTokens: Map<string, number>;
  /** Margin before a lease's validity ends within which a world no longer steps (the service's step guard, ms). */
  readonly guardMs: number;
  /** Worlds whose lease validity lapsed while served: since when (coordinator clock), and under which token. */
  readonly lapsed: Map<string, { since: number; token: number }>;
}

/** How long a lapsed lease keeps its world's sessions, waiting for the renewal: half the lease TTL. */
export const lapseGraceMs = (leaseTtlMs: number): number => leaseTtlMs / 2;

/** One watchdog pass (nothing without `enforce`). */
export const watchStepping = (x: WatchContext): void => {
  const o = x.opts;
  if (!o.enforce) return;
  const c = o.coordinator;
  const lose = (worldId: string): void => {
    x.servedTokens.delete(worldId);
    x.lapsed.delete(worldId);
    x.counters.leasesLost++;
    const closed = o.closeSessions(worldId, CloseCode.LEASE_LOST, 'lease lost');
    o.logger.warn({ world: worldId, closedSessions: closed }, 'cluster: cannot prove ownership of the world, stopped stepping');
  };
  for (const w of o.worlds()) {
    if (x.held.has(w.id)) continue;
    const ok = x.canStep(w);
    const token = c.heldLease(w.id)?.fencingToken;
    const lapse = x.lapsed.get(w.id);
    if (lapse) {
      if (ok && token === lapse.token) {
        x.lapsed.delete(w.id);
        x.serving.add(w.id);
        x.counters.leaseLapsesRecovered++;
        o.logger.info(
          { world: w.id, fencingToken: token, lapsedMs: Math.round(c.now() - lapse.since) },
          'cluster: world lease renewed after its validity lapsed, stepping again (sessions kept)',
        );
      } else if (token !== lapse.token || c.now() - lapse.since > lapseGraceMs(o.leaseTtlMs)) lose(w.id);
      continue;
    }
    if (ok && !x.serving.has(w.id)) {
      x.serving.add(w.id);
      if (token !== undefined) x.servedTokens.set(w.id, token);
      o.logger.info({ world: w.id, fencingToken: token }, 'cluster: world lease held, stepping');
    } else if (!ok && x.serving.has(w.id)) {
      x.serving.delete(w.id);
      x.ranges.close(w.id);
      const served = x.servedTokens.get(w.id);
      const validUntil = c.leaseValidUntil(w.id);
      if (token !== undefined && token === served && validUntil !== null && c.now() + x.guardMs >= validUntil) {
        x.lapsed.set(w.id, { since: c.now(), token });
        o.logger.info(
          { world: w.id, fencingToken: token, graceMs: lapseGraceMs(o.leaseTtlMs) },
          'cluster: world lease validity lapsed (its renewal is late): not stepping until it is renewed',
        );
      } else lose(w.id);
    }
  }
  // Worlds gone from here (deleted, migrated out) leave nothing behind.
  if (x.servedTokens.size + x.lapsed.size > 0) {
    const here = new Set(o.worlds().map((w) => w.id));
    for (const m of [x.servedTokens, x.lapsed]) for (const id of m.keys()) if (!here.has(id)) m.delete(id);
  }
};
