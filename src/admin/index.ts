/**
 * The operator surface: admin HTTP API, Prometheus metrics and dashboard (`AdminServer`), fed
 * by per-step telemetry. The runtime composes it:
 *
 *   const telemetry = createTelemetry({ sources, stepLog: createStepLog(logger, { sources }) });
 *   const runner = new LoopRunner({ onStep: telemetry.onStep, ... });
 *   const admin = createAdminServer({ runner, telemetry, sources, ... });  // a Service
 */
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { AdminServer } from './admin-server.js';
import { createAdminMetrics } from './metrics.js';
import type { Route } from './router.js';
import type { StatsSources } from './sources.js';
import type { Telemetry } from './telemetry.js';

export { AdminServer } from './admin-server.js';
export { createTelemetry, type Telemetry } from './telemetry.js';
export type { StatsSources } from './sources.js';
export type { Route } from './router.js';

export interface CreateAdminOptions {
  host: string;
  /** Admin port (0 = any free port; see `AdminServer.port` after start). */
  port: number;
  token: string;
  tokenGenerated: boolean;
  runner: LoopRunner;
  logger: Logger;
  telemetry: Telemetry;
  sources?: StatsSources;
  isReady: () => boolean;
  protectedWorldIds?: readonly string[];
  bodyLimitBytes?: number;
  extraRoutes?: readonly Route[];
  printUrl?: boolean;
}

/** Build the admin server with its own metrics registry (process metrics included). */
export const createAdminServer = (o: CreateAdminOptions): AdminServer => {
  const metrics = createAdminMetrics({ worlds: () => o.runner.worlds(), telemetry: o.telemetry, sources: o.sources });
  return new AdminServer({ ...o, metrics });
};
