/**
 * Prometheus metrics (prom-client) on a Registry owned by the runtime — never the global
 * default registry. Everything per world is read at scrape time in `collect()` callbacks from
 * the world, its telemetry and the other modules' sources, so the step pays nothing for
 * metrics beyond the telemetry hook. The step-duration histogram is a custom collector over
 * the telemetry buckets, whose edges are multiples of each world's frame budget (the budget is
 * an edge: `le` equal to `frameBudgetMs / 1000`). The metrics by concern: metrics-world.ts,
 * metrics-checkpoint.ts, metrics-physics.ts, metrics-ledger.ts, metrics-regions.ts,
 * metrics-game-messages.ts.
 */

import { Counter, collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import { controllerOverrideOf } from '../controller/controller-status.js';
import type { SimWorld } from '../world/sim-world.js';
import { readBuildInfo } from './build-info.js';
import { registerCheckpointMetrics } from './metrics-checkpoint.js';
import { registerGameFactMetrics, registerGameLogMetrics, registerGameTimerMetrics } from './metrics-game-facts.js';
import { registerGameMessageMetrics } from './metrics-game-messages.js';
import { createMetricKit, type Labels } from './metrics-kit.js';
import { registerLedgerMetrics } from './metrics-ledger.js';
import { registerNetErrorMetrics } from './metrics-net-errors.js';
import { registerNetSessionMetrics } from './metrics-net-sessions.js';
import { registerPhysicsMetrics } from './metrics-physics.js';
import { registerPlayerDataMetrics } from './metrics-player-data.js';
import { registerRegionMetrics } from './metrics-regions.js';
import { registerWorldMetrics } from './metrics-world.js';
import type { OpsState } from './ops-state.js';
import { type StatsSources, sessionsTakenOnce } from './sources.js';
import type { Telemetry } from './telemetry.js';

export { CONTROLLER_MODES } from './metrics-world.js';

export interface MetricsOptions {
  worlds: () => readonly SimWorld[];
  telemetry: Telemetry;
  sources?: StatsSources;
  /** Also export Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Operator state (maintenance, override and task changes, heartbeat check). */
  ops?: OpsState;
  /**
   * Most worlds with series labelled `world`, the oldest first (`--metrics-worlds`; default: every
   * world): each world adds ~140 series (bench/many-worlds.ts). `worldtick_worlds` and
   * `worldtick_metrics_worlds_unlabelled` count every world.
   */
  maxLabelledWorlds?: number;
}

/** The admin's metrics: the registry to scrape and the counters the admin server updates. */
export interface AdminMetrics {
  readonly registry: Registry;
  /** Admin HTTP requests by route group and status. */
  readonly requests: Counter<'status'>;
  /** Admin requests authorised by the accept-only previous token (`--admin-token-previous`, a rotation in progress). */
  readonly previousToken: Counter;
  /**
   * Promise rejections nothing handled, counted by the process's handler (src/cli/unhandled-rejections.ts,
   * installed by `runMain`; stays 0 in a process that embeds `startServer` without it).
   */
  readonly unhandledRejections: Counter;
  /** Ids of the worlds with series labelled `world` (read at scrape time), or null: every world (none left out now). */
  labelledWorldIds(): ReadonlySet<string> | null;
}

/** A registry whose every scrape (`metrics()`) runs inside `around`. */
class ScrapeRegistry extends Registry {
  readonly #around: (scrape: () => Promise<string>) => Promise<string>;
  constructor(around: (scrape: () => Promise<string>) => Promise<string>) {
    super();
    this.#around = around;
  }
  override async metrics(): Promise<string> {
    return this.#around(() => super.metrics());
  }
}

/** Create the registry and every metric. */
export const createAdminMetrics = (opts: MetricsOptions): AdminMetrics => {
  const live = opts.sources ?? {};
  // One scrape takes the game server's session report once (`sessionsTakenOnce`), scrapes at the
  // same time share it; a read outside a scrape takes its own.
  let scrape: StatsSources | null = null;
  let scraping = 0;
  const registry = new ScrapeRegistry(async (run) => {
    if (scraping++ === 0) scrape = sessionsTakenOnce(live);
    try {
      return await run();
    } finally {
      if (--scraping === 0) scrape = null;
    }
  });
  const { telemetry } = opts;
  const allWorlds = opts.worlds;
  const max = opts.maxLabelledWorlds ?? Number.POSITIVE_INFINITY;
  // Registration order is age order (the loop runner's Map): the oldest worlds keep their series.
  const worlds = (): readonly SimWorld[] => {
    const all = allWorlds();
    return all.length <= max ? all : all.slice(0, max);
  };
  const sources: StatsSources = live.sessions ? { ...live, sessions: () => (scrape ?? live).sessions?.() } : live;
  const kit = createMetricKit(registry, worlds);
  const { gauge, counter, perWorld } = kit;

  // Which build runs here (value 1; the facts are labels): src/admin/build-info.ts.
  const build = readBuildInfo();
  gauge(
    'worldtick_build_info',
    'Build of this process (value 1): package version, Node, wire protocol, store schema, checkpoint format and schema.',
    ['version', 'node', 'protocol', 'schema', 'checkpoint_format', 'checkpoint_schema'],
    (put) =>
      put(
        {
          version: build.version,
          node: build.node,
          protocol: build.protocol,
          schema: build.schema,
          checkpoint_format: build.checkpointFormat,
          checkpoint_schema: build.checkpointSchema,
        },
        1,
      ),
  );
  gauge(
    'worldtick_worlds',
    'Worlds this process runs, by state (running, paused, faulted); every world, labelled or not.',
    ['state'],
    (put) => {
      let running = 0;
      let paused = 0;
      let faulted = 0;
      for (const w of allWorlds()) {
        if (w.fault) faulted++;
        else if (w.clock.paused) paused++;
        else running++;
      }
      put({ state: 'running' }, running);
      put({ state: 'paused' }, paused);
      put({ state: 'faulted' }, faulted);
    },
  );
  gauge(
    'worldtick_metrics_worlds_unlabelled',
    'Worlds left out of the series labelled world (--metrics-worlds: only the oldest N have them).',
    [],
    (put) => put({}, Math.max(0, allWorlds().length - max)),
  );
  registerWorldMetrics(kit, worlds, telemetry, sources);
  registerNetErrorMetrics(kit, sources);
  registerNetSessionMetrics(kit, sources);
  // Checkpoints (src/persist/checkpointer.ts; worlds that are persisted only).
  registerCheckpointMetrics(kit, sources);

  const ops = opts.ops;
  if (ops) {
    gauge(
      'worldtick_world_maintenance',
      "1 while the world is in maintenance (its own flag or the runtime's).",
      ['world'],
      perWorld((w, put) => put({ world: w.id }, ops.isOn(w.id) ? 1 : 0)),
    );
    counter(
      'worldtick_admin_ops_changes_total',
      'Operator changes through the admin API by kind (maintenance, override, task, trigger).',
      ['kind'],
      (put) => {
        for (const [kind, n] of Object.entries(ops.changes)) put({ kind }, n);
      },
    );
    gauge(
      'worldtick_periodic_heartbeat_age_seconds',
      "Wall seconds since the world's periodic heartbeat (paused worlds have none; alert on worldtick_periodic_heartbeat_stale).",
      ['world'],
      perWorld((w, put) => put({ world: w.id }, ops.heartbeat(w).ageSeconds)),
    );
    gauge(
      'worldtick_periodic_heartbeat_stale',
      "1 when a running world's heartbeat is lost (this also turns /readyz red).",
      ['world'],
      perWorld((w, put) => put({ world: w.id }, ops.heartbeat(w).stale ? 1 : 0)),
    );
  }
  // Physics, shards and navigation (worlds built with physics only; src/physics/physics-world.ts).
  registerPhysicsMetrics(kit);
  // Shared region frames (worlds served with net viewMode 'regions' only; src/net/region-frames.ts).
  registerRegionMetrics(kit);
  registerGameMessageMetrics(kit);
  registerGameFactMetrics(kit);
  registerGameTimerMetrics(kit);
  registerGameLogMetrics(kit);
  gauge(
    'worldtick_controller_override',
    '1 while an operator override forces the controller mode.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, controllerOverrideOf(w) ? 1 : 0)),
  );

  const histName = 'worldtick_step_duration_seconds';
  const histHelp = 'Wall cost of one step (seconds); bucket edges are multiples of the frame budget.';
  const hist = {
    name: histName,
    help: histHelp,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    get: async () => {
      const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
      for (const w of worlds()) {
        const t = telemetry.of(w);
        let cum = 0;
        for (let i = 0; i < t.edgesSec.length; i++) {
          cum += t.bucketCounts[i];
          values.push({ metricName: `${histName}_bucket`, labels: { world: w.id, le: String(t.edgesSec[i]) }, value: cum });
        }
        cum += t.bucketCounts[t.edgesSec.length];
        values.push({ metricName: `${histName}_bucket`, labels: { world: w.id, le: '+Inf' }, value: cum });
        values.push({ metricName: `${histName}_sum`, labels: { world: w.id }, value: t.sumSec });
        values.push({ metricName: `${histName}_count`, labels: { world: w.id }, value: t.count });
      }
      return { name: histName, help: histHelp, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(hist as unknown as Metric);

  registerLedgerMetrics(registry, worlds, counter);
  registerPlayerDataMetrics(worlds, counter, gauge);

  const requests = new Counter({
    name: 'worldtick_admin_requests_total',
    help: 'Admin HTTP requests by status.',
    labelNames: ['status'],
    registers: [registry],
  });
  const previousToken = new Counter({
    name: 'worldtick_admin_previous_token_total',
    help: 'Admin requests authorised by --admin-token-previous (a rotation in progress): once it stops rising, drop that option.',
    registers: [registry],
  });
  const unhandledRejections = new Counter({
    name: 'worldtick_unhandled_rejections_total',
    help: 'Promise rejections nothing handled (a promise callback of the game that threw, typically): logged at error level, the server goes on (runMain / npm start).',
    registers: [registry],
  });
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges `..._total`, which `promtool check metrics` rejects
    // (the suffix is reserved for counters); the rest of the process metrics stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      registry.removeSingleMetric(name);
  }
  const labelledWorldIds = (): ReadonlySet<string> | null => {
    const all = allWorlds();
    return all.length <= max ? null : new Set(all.slice(0, max).map((w) => w.id));
  };
  return { registry, requests, previousToken, unhandledRejections, labelledWorldIds };
};
