/**
 * Prometheus metrics (prom-client) on a Registry owned by the runtime — never the global
 * default registry. Everything per world is read at scrape time in `collect()` callbacks from
 * the world, its telemetry and the other modules' sources, so the step pays nothing for
 * metrics beyond the telemetry hook. The step-duration histogram is a custom collector over
 * the telemetry buckets, whose edges are multiples of each world's frame budget (the budget is
 * an edge: `le` equal to `frameBudgetMs / 1000`).
 */
import { registerLedgerMetrics } from './metrics-ledger.js';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { PHASES } from '../core/phases.js';
import { TIER_NAMES, TIER_COUNT } from '../../components/tier.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';
import {
  bytesSentOf,
  ladderLevelsOf,
  sessionClassesOf,
  field,
  jobsOf,
  modeOf,
  periodicOf,
  worldMode,
  readIngest,
  readTierStats,
  safeCall,
  sessionsIn,
  type StatsSources,
} from './sources.js';
import { budgetMsOf, type Telemetry } from './telemetry.js';
import type { OpsState } from './ops-state.js';
import { controllerOverrideOf } from '../controller/controller.js';
import { physicsStatsOf, type PhysicsStatsReport } from '../physics/physics-world.js';

/** Controller modes always exported (0/1 each), plus any other mode the controller reports. */
export const CONTROLLER_MODES: readonly string[] = ['normal', 'degraded', 'emergency'];

export interface MetricsOptions {
  worlds: () => readonly SimWorld[];
  telemetry: Telemetry;
  sources?: StatsSources;
  /** Also export Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Operator state (maintenance, override and task changes, heartbeat check). */
  ops?: OpsState;
}

/** The admin's metrics: the registry to scrape and the counters the admin server updates. */
export interface AdminMetrics {
  readonly registry: Registry;
  /** Admin HTTP requests by route group and status. */
  readonly requests: Counter<'status'>;
}

type Labels = Record<string, string>;
type Put = (labels: Labels, value: number) => void;

interface PeriodicTask {
  name: string;
  triggers: number;
  misses: number;
}

/** Periodic tasks from a periodic-schedule report: `[{name, triggers|fired, misses|missed}]`. */
const periodicTasks = (report: unknown): PeriodicTask[] => {
  const list = Array.isArray(report) ? report : (report as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(list)) return [];
  const out: PeriodicTask[] = [];
  for (const t of list) {
    if (typeof t !== 'object' || t === null || typeof (t as { name?: unknown }).name !== 'string') continue;
    const triggers = field(t, 'triggers') ?? field(t, 'fired') ?? field(t, 'runs') ?? 0;
    const misses = field(t, 'misses') ?? field(t, 'missed') ?? 0;
    out.push({ name: (t as { name: string }).name, triggers, misses });
  }
  return out;
};

/** Create the registry and every metric. */
export const createAdminMetrics = (opts: MetricsOptions): AdminMetrics => {
  const registry = new Registry();
  const { worlds, telemetry } = opts;
  const sources = opts.sources ?? {};
  const gauge = (name: string, help: string, labelNames: string[], fill: (put: Put) => void): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((l, v) => this.set(l, v));
      },
    });
  };
  const counter = (name: string, help: string, labelNames: string[], fill: (put: Put) => void): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((l, v) => {
          if (Number.isFinite(v) && v >= 0) this.inc(l, v);
        });
      },
    });
  };
  const perWorld = (fn: (w: SimWorld, put: Put) => void) => (put: Put) => {
    for (const w of worlds()) fn(w, put);
  };

  gauge(
    'worldtick_world_time_seconds',
    'World time of a world (world seconds).',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.clock.now)),
  );
  gauge(
    'worldtick_world_time_scale',
    'World seconds per simulation second.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.config.simulation.timeScale)),
  );
  gauge(
    'worldtick_world_paused',
    '1 if the world is paused (or faulted).',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.clock.paused ? 1 : 0)),
  );
  gauge(
    'worldtick_world_entities',
    'Live entities in the world.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, entityCount(w))),
  );
  counter(
    'worldtick_world_steps_total',
    'Steps run.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.counters.steps)),
  );
  counter(
    'worldtick_world_faults_total',
    'Times the world faulted.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.counters.faults)),
  );
  counter(
    'worldtick_dropped_steps_total',
    'Steps dropped by the catch-up cap.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.counters.droppedSteps)),
  );
  counter(
    'worldtick_dropped_seconds_total',
    'Simulation seconds dropped by the catch-up cap.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, w.counters.droppedSeconds)),
  );
  gauge(
    'worldtick_npcs',
    'NPCs per tier.',
    ['world', 'tier'],
    perWorld((w, put) => {
      const t = readTierStats(w);
      if (t) for (let i = 0; i < TIER_COUNT; i++) put({ world: w.id, tier: TIER_NAMES[i] }, t.npcsPerTier[i]);
    }),
  );
  counter(
    'worldtick_npc_ticks_total',
    'NPC ticks per tier.',
    ['world', 'tier'],
    perWorld((w, put) => {
      const t = readTierStats(w);
      if (t?.ticksTotalPerTier) for (let i = 0; i < TIER_COUNT; i++) put({ world: w.id, tier: TIER_NAMES[i] }, t.ticksTotalPerTier[i]);
    }),
  );
  gauge(
    'worldtick_step_budget_seconds',
    'Frame budget of one step (wall seconds).',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, budgetMsOf(w) / 1000)),
  );
  counter(
    'worldtick_step_overruns_total',
    'Steps that cost more than the frame budget.',
    ['world'],
    perWorld((w, put) => put({ world: w.id }, telemetry.of(w).overruns)),
  );
  gauge(
    'worldtick_phase_last_seconds',
    'Wall cost of each phase in the last step (seconds).',
    ['world', 'phase'],
    perWorld((w, put) => {
      for (let i = 0; i < PHASES.length; i++) put({ world: w.id, phase: PHASES[i] }, w.stats.phaseMs[i] / 1000);
    }),
  );
  counter(
    'worldtick_phase_seconds_total',
    'Cumulative wall cost of each phase (seconds).',
    ['world', 'phase'],
    perWorld((w, put) => {
      const t = telemetry.of(w);
      for (let i = 0; i < PHASES.length; i++) put({ world: w.id, phase: PHASES[i] }, t.phaseTotalMs[i] / 1000);
    }),
  );
  gauge(
    'worldtick_controller_mode',
    'Controller mode of the world (1 = current mode).',
    ['world', 'mode'],
    perWorld((w, put) => {
      const mode = worldMode(w) ?? modeOf(safeCall(sources.controller && (() => sources.controller!(w))));
      if (mode === null) return;
      for (const m of CONTROLLER_MODES) put({ world: w.id, mode: m }, m === mode ? 1 : 0);
      if (!CONTROLLER_MODES.includes(mode)) put({ world: w.id, mode }, 1);
    }),
  );
  gauge(
    'worldtick_ingest_pending',
    'Facts waiting in ingest buffers.',
    ['world'],
    perWorld((w, put) => {
      const i = readIngest(w);
      if (i) put({ world: w.id }, i.pending);
    }),
  );
  counter(
    'worldtick_ingest_dropped_total',
    'Ingest facts dropped (evicted by policy).',
    ['world'],
    perWorld((w, put) => {
      const i = readIngest(w);
      if (i) put({ world: w.id }, i.dropped);
    }),
  );
  counter(
    'worldtick_ingest_rejected_total',
    'Ingest facts refused at push.',
    ['world'],
    perWorld((w, put) => {
      const i = readIngest(w);
      if (i) put({ world: w.id }, i.rejected);
    }),
  );
  const jobField = (key: string) =>
    perWorld((w, put) => {
      const v = field(jobsOf(w, sources), key);
      if (v !== null) put({ world: w.id }, v);
    });
  counter('worldtick_jobs_started_total', 'Jobs started.', ['world'], jobField('started'));
  counter('worldtick_jobs_completed_total', 'Jobs completed.', ['world'], jobField('completed'));
  counter('worldtick_jobs_failed_total', 'Jobs failed (after retries).', ['world'], jobField('failed'));
  gauge('worldtick_jobs_pending', 'Jobs queued or running.', ['world'], jobField('pending'));
  // Scene jobs (worlds with scenes enabled only): requests, saturation deferrals and outcomes.
  counter(
    'worldtick_scene_jobs_total',
    'Scene jobs by outcome (requested, deferred, applied, stale, failed).',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const sc = w.scenes;
      if (!sc) return;
      for (const outcome of ['requested', 'deferred', 'applied', 'stale', 'failed'] as const) put({ world: w.id, outcome }, sc[outcome]);
    }),
  );
  const periodic = (key: 'triggers' | 'misses') =>
    perWorld((w, put) => {
      for (const t of periodicTasks(periodicOf(w, sources))) put({ world: w.id, task: t.name }, t[key]);
    });
  counter('worldtick_periodic_triggers_total', 'Periodic task triggers.', ['world', 'task'], periodic('triggers'));
  counter('worldtick_periodic_misses_total', 'Periodic task triggers missed or skipped.', ['world', 'task'], periodic('misses'));
  gauge('worldtick_sessions', 'Open game sessions per world.', ['world'], (put) => {
    const report = safeCall(sources.sessions);
    if (report === null) return;
    for (const w of worlds()) {
      const n = sessionsIn(report, w.id);
      if (n !== null) put({ world: w.id }, n);
    }
  });
  counter('worldtick_bytes_sent_total', 'Bytes sent to game clients.', [], (put) => {
    const v = bytesSentOf(safeCall(sources.sessions));
    if (v !== null) put({}, v);
  });
  // Per session class (player, spectator, bot, observer): priority and quality ladder (docs/PROTOCOL.md).
  const byClass =
    (key: string) =>
    (put: (labels: Record<string, string>, v: number) => void): void => {
      for (const [cls, c] of sessionClassesOf(safeCall(sources.sessions))) {
        const v = field(c, key);
        if (v !== null) put({ class: cls }, v);
      }
    };
  gauge('worldtick_net_class_sessions', 'Replicated sessions per session class.', ['class'], byClass('sessions'));
  gauge(
    'worldtick_net_class_degraded_sessions',
    'Sessions per class replicated below their desired quality (ladder level > 0).',
    ['class'],
    byClass('degraded'),
  );
  counter('worldtick_net_class_snapshots_total', 'Snapshots sent per session class.', ['class'], byClass('snapshots'));
  counter('worldtick_net_class_snapshot_bytes_total', 'Snapshot bytes sent per session class.', ['class'], byClass('bytes'));
  counter(
    'worldtick_net_class_deferred_total',
    'Session-steps deferred by the replicate budget under load, per class.',
    ['class'],
    byClass('deferred'),
  );
  counter(
    'worldtick_net_class_cooldown_skips_total',
    'Session-steps left out by a quality-ladder cooldown, per class.',
    ['class'],
    byClass('cooldownSkips'),
  );
  gauge('worldtick_net_ladder_sessions', 'Sessions at each quality-ladder level (0 = desired quality).', ['level'], (put) => {
    const levels = ladderLevelsOf(safeCall(sources.sessions));
    for (let l = 0; l < levels.length; l++) put({ level: String(l) }, levels[l]);
  });

  // Checkpoints (src/persist/checkpointer.ts; worlds that are persisted only).
  const ckOf = (w: SimWorld): unknown => safeCall(sources.checkpoint && (() => sources.checkpoint!(w)));
  const ckField = (key: string, scale = 1) =>
    perWorld((w, put) => {
      const v = field(ckOf(w), key);
      if (v !== null) put({ world: w.id }, v * scale);
    });
  counter(
    'worldtick_checkpoints_total',
    'Full world checkpoints by outcome (saved, failed).',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const r = ckOf(w);
      for (const outcome of ['saved', 'failed'] as const) {
        const v = field(r, outcome);
        if (v !== null) put({ world: w.id, outcome }, v);
      }
    }),
  );
  gauge(
    'worldtick_checkpoint_last_duration_seconds',
    'Wall seconds of the last checkpoint, capture to durable (copy + compression + write).',
    ['world'],
    ckField('lastDurationMs', 1e-3),
  );
  gauge(
    'worldtick_checkpoint_last_copy_seconds',
    "Wall seconds of the last checkpoint's synchronous copy (the only part on the event loop between steps).",
    ['world'],
    ckField('lastCopyMs', 1e-3),
  );
  gauge('worldtick_checkpoint_last_bytes', 'Stored (compressed) bytes of the last checkpoint.', ['world'], ckField('lastBytes'));
  gauge('worldtick_checkpoint_last_step', 'Step of the last saved checkpoint.', ['world'], ckField('lastStep'));
  gauge(
    'worldtick_checkpoint_last_timestamp_seconds',
    'Unix time (wall) of the last saved checkpoint.',
    ['world'],
    perWorld((w, put) => {
      const at = field(ckOf(w), 'lastAt');
      if (at !== null && at > 0) put({ world: w.id }, at / 1000);
    }),
  );
  counter(
    'worldtick_world_records_total',
    'World record writes (config + clock, every 10 steps) by outcome.',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const r = ckOf(w);
      const ok = field(r, 'recordsWritten'),
        bad = field(r, 'recordFailures');
      if (ok !== null) put({ world: w.id, outcome: 'written' }, ok);
      if (bad !== null) put({ world: w.id, outcome: 'failed' }, bad);
    }),
  );
  gauge(
    'worldtick_world_restore_seconds',
    'Wall seconds to load and rebuild the world at start (restored worlds only).',
    ['world'],
    perWorld((w, put) => {
      const r = ckOf(w);
      const restored = typeof r === 'object' && r !== null ? (r as { restored?: unknown }).restored : null;
      const ms = field(restored, 'ms');
      if (ms !== null) put({ world: w.id }, ms / 1000);
    }),
  );

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
  const phys = (pick: (p: PhysicsStatsReport) => number | null) =>
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      const v = p ? pick(p) : null;
      if (v !== null && Number.isFinite(v)) put({ world: w.id }, v);
    });
  counter(
    'worldtick_physics_steps_total',
    'Physics steps run.',
    ['world'],
    phys((p) => p.physics.steps),
  );
  gauge(
    'worldtick_physics_bodies',
    'Bodies in the last physics step.',
    ['world'],
    phys((p) => p.physics.lastBodies),
  );
  counter(
    'worldtick_physics_pairs_total',
    'Neighbour pairs examined by collision.',
    ['world'],
    phys((p) => p.physics.pairs),
  );
  counter(
    'worldtick_physics_edge_stops_total',
    'Body-steps clamped at the world edge.',
    ['world'],
    phys((p) => p.physics.edgeStops),
  );
  counter(
    'worldtick_physics_obstacle_pushes_total',
    'Bodies pushed out of obstacles.',
    ['world'],
    phys((p) => p.physics.obstaclePushes),
  );
  counter(
    'worldtick_physics_anomalies_total',
    'Anomalies bounded by the physics guard, by kind.',
    ['world', 'kind'],
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      if (!p) return;
      put({ world: w.id, kind: 'quarantined' }, p.physics.quarantined);
      put({ world: w.id, kind: 'velocity_clamped' }, p.physics.velocityClamped);
      put({ world: w.id, kind: 'position_clamped' }, p.physics.positionClamped);
      put({ world: w.id, kind: 'cell_capped' }, p.physics.cellCapped);
    }),
  );
  gauge(
    'worldtick_shards_configured',
    'Shard workers configured for the world (0 = inline).',
    ['world'],
    phys((p) => p.shards.configured),
  );
  gauge(
    'worldtick_shards_ready',
    'Shard workers READY now.',
    ['world'],
    phys((p) => p.shards.pool?.ready ?? 0),
  );
  gauge(
    'worldtick_shards_last_sharded',
    '1 when the last physics step ran on shards, 0 inline.',
    ['world'],
    phys((p) => (p.shards.lastSharded ? 1 : 0)),
  );
  counter(
    'worldtick_shards_events_total',
    'Shard pool events by kind (dispatched, inline, timeouts, crashes, restarts).',
    ['world', 'kind'],
    perWorld((w, put) => {
      const pool = physicsStatsOf(w.physics)?.shards.pool;
      if (!pool) return;
      for (const kind of ['dispatched', 'inline', 'timeouts', 'crashes', 'restarts'] as const) put({ world: w.id, kind }, pool[kind]);
    }),
  );
  counter(
    'worldtick_navigation_plans_total',
    'Navigation plans (A*) run.',
    ['world'],
    phys((p) => p.navigation.plans),
  );
  counter(
    'worldtick_navigation_outcomes_total',
    'Navigation outcomes by kind.',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      if (!p) return;
      for (const [outcome, n] of Object.entries(p.navigation.byOutcome)) put({ world: w.id, outcome }, n);
    }),
  );
  gauge(
    'worldtick_navigation_queued',
    'Navigation goals waiting for a plan.',
    ['world'],
    phys((p) => p.navigation.queued),
  );
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

  const requests = new Counter({
    name: 'worldtick_admin_requests_total',
    help: 'Admin HTTP requests by status.',
    labelNames: ['status'],
    registers: [registry],
  });
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges `..._total`, which `promtool check metrics` rejects
    // (the suffix is reserved for counters); the rest of the process metrics stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      registry.removeSingleMetric(name);
  }
  return { registry, requests };
};
