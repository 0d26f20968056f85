/**
 * Session-claim metrics of the game server (docs/PROTOCOL.md "Sessions"), read at scrape time from
 * `GameServer.stats()`: players claimed by hellos (a resume or a takeover, by resume token or by
 * identity, live or parked), hellos waiting for their identity's join in flight, and join admission
 * (hellos waiting for a join slot, src/net/join-admission.ts; for the process-wide bound, join-rate.ts),
 * kicks and leaves (src/net/session-kick.ts, per world), and per world the snapshots that met a full
 * or non-empty socket (clients behind).
 * Label values are fixed.
 */
import type { MetricKit } from './metrics-kit.js';
import { field, type StatsSources, safeCall } from './sources.js';

/** `/stats` `takeovers` key of each `{by, from}` label pair. */
const TAKEOVER_KEYS = [
  ['resume-token', 'live', 'resumeLive'],
  ['resume-token', 'parked', 'resumeParked'],
  ['identity', 'live', 'identityLive'],
  ['identity', 'parked', 'identityParked'],
] as const;

/** The session sweep's counters (docs/DURABILITY.md "Expired records (the session sweep)"): metric name, `/stats` key, help. */
const SWEEP_COUNTERS = [
  ['worldtick_net_expired_sessions_swept_total', 'expiredSessionsSwept', 'Expired durable session records deleted by the session sweep.'],
  [
    'worldtick_net_session_sweeps_deferred_total',
    'sessionSweepsDeferred',
    'Session sweep passes stopped by a world in emergency mode (the expired records left for the next pass).',
  ],
] as const;

/** Per-world counters of clients that fall behind: metric name, world replication stats key, help. */
const SLOW_CLIENT_COUNTERS = [
  [
    'worldtick_net_backpressure_skips_total',
    'skippedBackpressure',
    'Session-steps skipped because the socket held more than net.skipBufferedBytes (closed 4008 after net.maxSkippedSteps in a row).',
  ],
  [
    'worldtick_net_snapshots_sent_buffered_total',
    'sentBuffered',
    'Snapshots sent into a socket still holding bytes of an earlier frame (its client is behind, under the skip threshold).',
  ],
] as const;

/** Join admission's counters: metric name, `/stats` key, help. */
const JOIN_QUEUE_COUNTERS = [
  ['worldtick_net_joins_queued_total', 'joinsQueued', 'Hellos that waited in a join queue for a join slot (net.maxJoinsPerStep).'],
  [
    'worldtick_net_join_queue_full_total',
    'joinQueueFull',
    "Hellos refused WORLD_FULL (closed 4009) because their world's join queue held net.maxJoinQueue.",
  ],
  [
    'worldtick_net_join_wait_timeouts_total',
    'joinWaitTimeouts',
    'Hellos that waited net.helloTimeoutMs in a join queue (answered UNAVAILABLE, closed 1013).',
  ],
  [
    'worldtick_net_joins_process_waited_total',
    'joinsProcessWaited',
    "Hellos held in their world's join queue by the process-wide net.maxJoinsPerSecond while their world had a slot for them.",
  ],
] as const;

/**
 * Register `worldtick_net_kicks_total{world, by}`, `_leaves_total{world}`, `_backpressure_skips_total{world}`,
 * `_snapshots_sent_buffered_total{world}`, `worldtick_net_takeovers_total{by, from}`, `_identity_waiting`, `_identity_wait_timeouts_total`,
 * `_anonymous_players_pruned_total`, `_joins_waiting`, `_joins_queued_total`, `_join_queue_full_total`, `_join_wait_timeouts_total` and
 * `_joins_process_waited_total`.
 */
export const registerNetSessionMetrics = (kit: MetricKit, sources: StatsSources): void => {
  const { counter, gauge, perWorld } = kit;
  const report = (): unknown => safeCall(sources.sessions);
  counter(
    'worldtick_net_kicks_total',
    "Sessions ended by a kick (closed 4020; the player removed, not parked), by who asked: the game's kickPlayer (game) or the admin API (admin).",
    ['world', 'by'],
    perWorld((w, put) => {
      const k = w.net?.stats.kicks;
      if (!k) return;
      put({ world: w.id, by: 'game' }, k.game);
      put({ world: w.id, by: 'admin' }, k.admin);
    }),
  );
  counter(
    'worldtick_net_leaves_total',
    "Sessions ended by their client's leave message (closed 1000 left; the player removed, not parked).",
    ['world'],
    perWorld((w, put) => {
      const n = w.net?.stats.leaves;
      if (n !== undefined) put({ world: w.id }, n);
    }),
  );
  for (const [name, key, help] of SLOW_CLIENT_COUNTERS)
    counter(
      name,
      help,
      ['world'],
      perWorld((w, put) => {
        const n = w.net?.stats[key];
        if (n !== undefined) put({ world: w.id }, n);
      }),
    );
  counter(
    'worldtick_net_takeovers_total',
    'Players held in memory claimed by a hello, by how (resume-token, identity: the same identity without a resume token) and from what (live: its old socket closed 4011, parked).',
    ['by', 'from'],
    (put) => {
      const r = report();
      const t = r !== null && typeof r === 'object' ? (r as Record<string, unknown>).takeovers : null;
      for (const [by, from, key] of TAKEOVER_KEYS) {
        const v = field(t, key);
        if (v !== null) put({ by, from }, v);
      }
    },
  );
  gauge('worldtick_net_identity_waiting', "Hellos waiting for their identity's join in flight.", [], (put) => {
    const v = field(report(), 'identityWaiting');
    if (v !== null) put({}, v);
  });
  counter(
    'worldtick_net_identity_wait_timeouts_total',
    "Hellos that waited net.helloTimeoutMs for their identity's join in flight (answered UNAVAILABLE, closed 1013).",
    [],
    (put) => {
      const v = field(report(), 'identityWaitTimeouts');
      if (v !== null) put({}, v);
    },
  );
  counter(
    'worldtick_net_anonymous_players_pruned_total',
    'Anonymous players (g: ids) whose player record and player data were deleted once no session could resume them; their ledger entries are kept.',
    [],
    (put) => {
      const v = field(report(), 'anonymousPlayersPruned');
      if (v !== null) put({}, v);
    },
  );
  gauge('worldtick_net_joins_waiting', 'Hellos waiting in a join queue for a join slot (net.maxJoinsPerStep).', [], (put) => {
    const v = field(report(), 'joinsWaiting');
    if (v !== null) put({}, v);
  });
  for (const [name, key, help] of [...JOIN_QUEUE_COUNTERS, ...SWEEP_COUNTERS])
    counter(name, help, [], (put) => {
      const v = field(report(), key);
      if (v !== null) put({}, v);
    });
};
