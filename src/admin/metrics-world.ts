/**
 * Per-world simulation metrics of the admin (src/admin/metrics.ts): world clock and counters,
 * NPC tiers, step budget and phases, controller mode, ingest, jobs, scenes, periodic tasks, and
 * the game server's sessions by world, class and quality-ladder level. Read at scrape time.
 */
import { TIER_COUNT, TIER_NAMES } from '../../components/tier.js';
import { PHASES } from '../core/phases.js';
import type { LadderStats } from '../net/session-priority.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';
import type { MetricKit, Put } from './metrics-kit.js';
import {
  bytesSentOf,
  field,
  jobsOf,
  ladderLevelsOf,
  modeOf,
  periodicOf,
  readIngest,
  readTierStats,
  type StatsSources,
  safeCall,
  sessionClassesOf,
  sessionsIn,
  worldMode,
} from './sources.js';
import { budgetMsOf, type Telemetry } from './telemetry.js';

/** Controller modes always exported (0/1 each), plus any other mode the controller reports. */
export const CONTROLLER_MODES: readonly string[] = ['normal', 'degraded', 'emergency'];

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

/** Register the world, step, controller, ingest, job, scene, periodic and session metrics (in this order). */
export const registerWorldMetrics = (
  kit: MetricKit,
  worlds: () => readonly SimWorld[],
  telemetry: Telemetry,
  sources: StatsSources,
): void => {
  const { gauge, counter, perWorld } = kit;
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
    'worldtick_system_last_seconds',
    'Wall cost of each system of the pipeline in the last step (seconds).',
    ['world', 'system', 'phase'],
    perWorld((w, put) => {
      const p = w.pipeline;
      for (let i = 0; i < p.length; i++) put({ world: w.id, system: p[i].name, phase: p[i].phase }, (w.stats.systemMs[i] ?? 0) / 1000);
    }),
  );
  counter(
    'worldtick_system_seconds_total',
    'Cumulative wall cost of each system of the pipeline (seconds).',
    ['world', 'system', 'phase'],
    perWorld((w, put) => {
      const p = w.pipeline;
      const total = telemetry.of(w).systemTotalMs;
      for (let i = 0; i < p.length; i++) put({ world: w.id, system: p[i].name, phase: p[i].phase }, (total[i] ?? 0) / 1000);
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
  // Upgrades refused: `full` (net.maxConnections, HTTP 503), `address` (net.maxConnectionsPerAddress, HTTP 429).
  counter('worldtick_net_connections_refused_total', 'WebSocket upgrades refused, by reason (full, address).', ['reason'], (put) => {
    const report = safeCall(sources.sessions);
    const full = field(report, 'rejectedConnections');
    const address = field(report, 'rejectedPerAddress');
    if (full !== null) put({ reason: 'full' }, full);
    if (address !== null) put({ reason: 'address' }, address);
  });
  // Hellos refused NEW_PLAYER_LIMITED (net.maxNewPlayersPerAddressPerMinute, src/net/new-player-limit.ts).
  counter(
    'worldtick_net_new_players_refused_total',
    'Hellos refused: their address created too many new players this minute.',
    [],
    (put) => {
      const v = field(safeCall(sources.sessions), 'newPlayersRefused');
      if (v !== null) put({}, v);
    },
  );
  // Hellos refused AUTH_LIMITED (net.maxAuthFailuresPerAddressPerMinute, src/net/auth-failure-limit.ts).
  counter(
    'worldtick_net_auth_limited_total',
    "Hellos refused without asking the game's authenticate hook: their address had too many refused authentications lately.",
    [],
    (put) => {
      const v = field(safeCall(sources.sessions), 'authLimited');
      if (v !== null) put({}, v);
    },
  );
  // Parked (away) players and those evicted by the parking caps (net.maxParked, net.maxParkedPerAddress; src/net/session-parking.ts).
  gauge('worldtick_net_parked', 'Parked players (disconnected, resumable) in the game server.', [], (put) => {
    const v = field(safeCall(sources.sessions), 'parked');
    if (v !== null) put({}, v);
  });
  counter(
    'worldtick_net_parked_evicted_total',
    'Parked players evicted before their resume grace ended, by cause (server: maxParked, address: maxParkedPerAddress, world-full: a live join needed the room).',
    ['reason'],
    (put) => {
      const report = safeCall(sources.sessions);
      const ev = report !== null && typeof report === 'object' ? (report as Record<string, unknown>).parkedEvicted : null;
      for (const [reason, key] of [
        ['server', 'server'],
        ['address', 'address'],
        ['world-full', 'worldFull'],
      ] as const) {
        const v = field(ev, key);
        if (v !== null) put({ reason }, v);
      }
    },
  );
  // Per session class (player, spectator, bot, observer): priority and quality ladder (docs/PROTOCOL.md).
  const byClass =
    (key: string) =>
    (put: Put): void => {
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
  // Outcomes of the game's authenticate hook (src/net/hello-auth.ts; `/stats` `sessions.server.auth`).
  counter(
    'worldtick_net_auth_total',
    "Hellos by outcome of the game's authenticate hook (accepted, refused, failed, timedOut, abandoned).",
    ['outcome'],
    (put) => {
      const report = safeCall(sources.sessions);
      const auth: unknown = typeof report === 'object' && report !== null ? (report as Record<string, unknown>).auth : null;
      for (const outcome of ['accepted', 'refused', 'failed', 'timedOut', 'abandoned']) {
        const v = field(auth, outcome);
        if (v !== null) put({ outcome }, v);
      }
    },
  );
  registerSpreadMetrics(kit, byClass);
};

/**
 * The active players' overload spread (src/net/active-spread.ts; `/stats` `ladder.activeSpread`,
 * `crowdSpread`, `activeUsPerSnapshot`, `spreadRaised` per world and `byClass.<class>.spread`),
 * read at scrape time from each served world's `net` slot (a world not served has no series).
 */
const registerSpreadMetrics = (kit: MetricKit, byClass: (key: string) => (put: Put) => void): void => {
  const { gauge, counter, perWorld } = kit;
  const ladder = (pick: (l: LadderStats) => number) =>
    perWorld((w, put) => {
      if (w.net !== null) put({ world: w.id }, pick(w.net.stats.ladder));
    });
  gauge(
    'worldtick_net_active_spread',
    'Steps over which active players (priority 3) are spread under overload, as a multiple of the snapshot interval (1 = not spread).',
    ['world'],
    ladder((l) => l.activeSpread),
  );
  gauge(
    'worldtick_net_crowd_spread',
    'Steps over which active players in crowded regions (priority 4) are spread under overload, as a multiple of the snapshot interval (1 = not spread).',
    ['world'],
    ladder((l) => l.crowdSpread),
  );
  gauge(
    'worldtick_net_active_snapshot_seconds',
    'Smoothed wall time of one active-player snapshot, the spread estimate (seconds; 0 before the first measurement).',
    ['world'],
    ladder((l) => l.activeUsPerSnapshot / 1e6),
  );
  counter(
    'worldtick_net_spread_raised_total',
    'Times the active-player spread level rose.',
    ['world'],
    ladder((l) => l.spreadRaised),
  );
  counter(
    'worldtick_net_class_spread_total',
    'Session-steps of active players left out by the overload spread, per class.',
    ['class'],
    byClass('spread'),
  );
};
