/**
 * The operator surface: admin HTTP API, Prometheus metrics and dashboard (`AdminServer`), fed
 * by per-step telemetry. The runtime composes it:
 *
 *   const telemetry = createTelemetry({ sources, stepLog: createStepLog(logger, { sources }) });
 *   const runner = new LoopRunner({ onStep: telemetry.onStep, ... });
 *   const admin = createAdminServer({ runner, telemetry, sources, ... });  // a Service
 */
import type { Registry } from 'prom-client';
import { AdminServer, type AdminServerOptions } from './admin-server.js';
import { createAdminMetrics } from './metrics.js';
import { OpsState } from './ops-state.js';

export { OpsState } from './ops-state.js';

export { AdminServer, type InterceptedRequest } from './admin-server.js';
export { createTelemetry, type Telemetry } from './telemetry.js';
export type { StatsSources } from './sources.js';
export type { Route } from './router.js';
export type { RouteResponse } from './http.js';

/** Options of {@link createAdminServer}: the server's options; the metrics registry is built here. */
export type CreateAdminOptions = Omit<AdminServerOptions, 'metrics'> & {
  /**
   * Registers other modules' metrics on the admin's registry (the cluster view); a series labelled
   * `world` is for a world of `labelled()` only (null: every world; `--metrics-worlds`).
   */
  readonly extraMetrics?: (registry: Registry, labelled: () => ReadonlySet<string> | null) => void;
  /** Most worlds with series labelled `world` in `/metrics`, the oldest first (`--metrics-worlds`). Default: every world. */
  readonly metricsWorlds?: number;
};

/** Build the admin server with its own metrics registry (process metrics included). */
export const createAdminServer = (o: CreateAdminOptions): AdminServer => {
  const ops = o.ops ?? new OpsState();
  const metrics = createAdminMetrics({
    worlds: () => o.runner.worlds(),
    telemetry: o.telemetry,
    sources: o.sources,
    ops,
    maxLabelledWorlds: o.metricsWorlds,
  });
  o.extraMetrics?.(metrics.registry, metrics.labelledWorldIds);
  return new AdminServer({ ...o, metrics, ops });
};
