/**
 * Game-server options: one DEFAULTS object, validated once at construction with messages that
 * name the field (`net.idleTimeoutSeconds must be 0 or 8..960`).
 */
import { resolveOptions, type NumberSpec, type ObjectSpec } from '../config/schema.js';
import { optionInvalid } from '../errors.js';
import { trustedProxiesProblems } from './client-address.js';
import type { NetAdmissionConfig } from './net-admission-config.js';

export type { NetAdmissionConfig } from './net-admission-config.js';

/** Every `net` setting; those of admission (connections, per-address limits, joins) are {@link NetAdmissionConfig}. */
export interface NetConfig extends NetAdmissionConfig {
  /** Largest client frame accepted (bytes); a bigger one closes the socket (uWS: code 1006). */
  maxPayloadLength: number;
  /** uWS per-socket send buffer cap (bytes). A send beyond it is dropped → session closed 4008. */
  maxBackpressure: number;
  /** A session whose socket has more than this buffered (bytes) is skipped for the step. */
  skipBufferedBytes: number;
  /** Consecutive skipped steps after which a slow session is closed with 4008. */
  maxSkippedSteps: number;
  /** uWS idle timeout (wall seconds); 0 disables; 1..7 would abort the process, so refused. */
  idleTimeoutSeconds: number;
  /** permessage-deflate (off by default: snapshots are small and CPU is the budget). */
  compression: boolean;
  /** Wall seconds a disconnected player stays parked for resume (0 = removed at once). */
  resumeGraceSeconds: number;
  /**
   * Most parked players (disconnected, resumable) in the whole server; parking one more first
   * evicts the oldest parked player (removed as if its grace ended, counted `parkedEvicted.server`).
   * 1..10000000, default 10000 (src/net/session-parking.ts; docs/PROTOCOL.md "Parked players").
   */
  maxParked: number;
  /**
   * Most parked players whose last socket came from one client address (IPv6 by /64); parking one
   * more first evicts that address's oldest (counted `parkedEvicted.address`). 0 = no limit.
   * 0..1000000, default 64.
   */
  maxParkedPerAddress: number;
  /** Loopback peers are not counted against `maxParkedPerAddress` (default true: local bots and benches). */
  parkedExemptLoopback: boolean;
  /**
   * Server messages (`sendToPlayer`) kept per parked player for its resume (delivered in order after
   * its `welcome`; past it the oldest are dropped, counted). 0 = none kept. 0..1024, default 16
   * (src/net/game-backlog.ts).
   */
  parkedBacklogMessages: number;
  /** Bytes of server-message frames kept per parked player (past it the oldest are dropped). 0..16777216, default 8192. */
  parkedBacklogBytes: number;
  /** Area-of-interest radius of new players (world units). */
  interestRadius: number;
  /** Entities nearer than this (world units) are always replicated every step. */
  detailedRadius: number;
  /** Most entities one session tracks (bounds per-session memory and snapshot size). */
  maxEntitiesPerSession: number;
  /** Wire position units per world unit (1/positionScale = quantum). */
  positionScale: number;
  /** Player speed at full input (world units per simulation second). */
  maxSpeed: number;
  /** Token-bucket refill of client messages (all types) per wall second, per session. */
  messageRatePerSecond: number;
  /** Token-bucket size (messages). */
  messageBurst: number;
  /** Offences (error replies) after which a socket is closed with 4002. */
  maxStrikes: number;
  /** Most intents delivered as events per world per step. */
  maxEventsPerStep: number;
  /** Most game server messages queued per world per step (a broadcast is one); past it the newest is dropped, counted. */
  maxGameMessagesPerStep: number;
  /**
   * Most game server message frames handed to sockets per world per step (a world broadcast to
   * 5,000 sessions is 5,000); the messages past it wait, in order, for the next step (counted
   * `deferred`). At least one message is delivered per step. 0 = no limit.
   */
  maxGameMessageDeliveriesPerStep: number;
  /**
   * Most wall ms a world's step spends handing game server message frames to sockets (checked every
   * 64 frames, so it overshoots by at most 64 sends); what is left waits, in order, for the next
   * step (a broadcast cut part way continues to the sessions it has not reached). 0 = no limit.
   * 0..60000, default 10 (a fifth of the 50 ms step).
   */
  maxGameMessageDeliveryMsPerStep: number;
  /**
   * Most broadcasts (`broadcast`, `broadcastNear`) sent by one player's client-message handlers
   * that wait per world; past it that player's newest is dropped, counted `capped`. Broadcasts of
   * systems, timers and hooks are bounded by `maxGameMessagesPerStep` only. 0 = no cap. 0..1000000, default 8.
   */
  maxGameBroadcastsPerSender: number;
  /** Quality ladder: bytes still buffered at a session's send that step it down one level. */
  ladderDownBytes: number;
  /** Quality ladder: consecutive clean sends (nothing buffered) that step it up one level. */
  ladderUpSteps: number;
  /** Quality ladder: fewest steps between two steps down. */
  ladderHoldSteps: number;
  /** Priority: a session with an input in the last `activeInputMs` wall ms is active. */
  activeInputMs: number;
  /** Priority: other players in view from which an active player's region counts as crowded. */
  crowdPlayers: number;
  /**
   * Under load (controller not normal): wall ms of the replicate phase after which sessions
   * below active-player priority are deferred to a later step. 0 = never defer.
   */
  replicateBudgetMs: number;
  /**
   * Snapshots per wall second each session gets (at most the step rate): a world stepping at
   * 60 Hz with the default 20 sends each session every 3rd step, sessions staggered over the 3.
   */
  snapshotHz: number;
  /**
   * Under load: the lowest snapshot rate (per wall second) an idle player is deferred down to
   * by the replicate budget (active players are never deferred). 0.01..10000, default 4; a value
   * above `snapshotHz` acts as `snapshotHz` (never deferred).
   */
  idlePlayerMinHz: number;
  /**
   * Under load: the lowest snapshot rate (per wall second) a spectator, bot or observer is
   * deferred down to. 0.01..10000, default 1; a value above `idlePlayerMinHz` acts as
   * `idlePlayerMinHz` (non-players never get more than idle players under load).
   */
  nonPlayerMinHz: number;
  /**
   * Under sustained overload (docs/NET-SCALE.md "10,000 sessions"; see `overloadLateFactor`):
   * the idle players' floor instead of `idlePlayerMinHz` (the lower of the two applies).
   * 0.01..10000, default 1.
   */
  overloadIdlePlayerMinHz: number;
  /**
   * Under sustained overload: the floor of spectators, bots and observers instead of
   * `nonPlayerMinHz` (the lower applies; never above the idle players' floor). 0.01..10000, default 0.25.
   */
  overloadNonPlayerMinHz: number;
  /**
   * Under sustained overload: wall ms of the replicate phase after which sessions below
   * active-player priority are deferred, instead of `replicateBudgetMs` (the lower applies).
   * Default 0: from the start, so they get their overload floors and no more while the loop is late.
   */
  overloadReplicateBudgetMs: number;
  /**
   * Overload = controller in emergency while the loop runs late: the smoothed wall interval
   * between two steps over this × the nominal step. 0 = emergency alone. 0..100, default 1.1.
   */
  overloadLateFactor: number;
  /**
   * Under sustained overload: the lowest snapshot rate (per wall second) active players are
   * spread down to when their own sends do not fit `overloadActiveShare` of the step (each sent
   * every k-th step, staggered; active players in crowded regions last; src/net/active-spread.ts).
   * 0.01..10000, default 10; a value at or above the snapshot rate turns the spread off.
   */
  overloadActivePlayerMinHz: number;
  /**
   * Under sustained overload: share of the nominal step the active players' sends may take
   * (measured wall ms per active-player snapshot × those due per step) before they are spread.
   * 0..1, default 0.5.
   */
  overloadActiveShare: number;
  /**
   * The active players' spread applies only while the process uses at least this share of one
   * core (the controller's CPU meter, `controller.cpuShare`, sampled by the loop runner over 1 s):
   * a loop that runs late while the process has CPU to spare is late for reasons outside it (a
   * preempted VM, another process), which fewer snapshots would not fix. A spread in effect holds
   * down to 0.8 × this (hysteresis: `SPREAD_CPU_HOLD`, src/net/active-spread.ts). 0 = no CPU
   * condition (manual stepping never samples the meter). 0..64, default 0.8.
   */
  overloadSpreadMinCpu: number;
  /**
   * Consecutive overloaded steps that switch to the overload floors — or fewer, once they took as
   * long as this many nominal steps (wall time; each counted at most 4 steps long). 1..1000000,
   * default 20.
   */
  overloadEnterSteps: number;
  /**
   * Consecutive calm steps (not in emergency, or the loop on time) that switch back to the normal
   * floors; doubled (up to 8×) when overload comes back soon after. 1..1000000, default 100.
   */
  overloadExitSteps: number;
  /**
   * How sessions get their view (docs/NET-SCALE.md "Region frames"): `exact` (default) — a delta
   * snapshot per session; `regions` — a session at full quality is sent its cell's shared region
   * frame (full state of every entity in the cell's box grown by `interestRadius`, encoded once
   * per step per cell), falling back to the exact snapshot where the frame would be over
   * `regionMaxEntitiesFactor × maxEntitiesPerSession` entities or the session is degraded.
   */
  viewMode: 'exact' | 'regions';
  /** Side of a region cell (world units); 0 = `interestRadius`. Used by `viewMode: 'regions'` only. */
  regionCellSize: number;
  /** A region frame holds at most this × `maxEntitiesPerSession` entities (bounds its bytes); a denser cell falls back to exact snapshots. */
  regionMaxEntitiesFactor: number;
  /**
   * A cell's sessions get its shared frame only when at least this many players stand in it;
   * fewer → exact snapshots (a frame shared by few sessions costs more to send than it saves in
   * encoding: docs/NET-SCALE.md "Region frames").
   */
  regionMinPlayers: number;
}

/** Defaults (documented in docs/PROTOCOL.md). */
export const NET_DEFAULTS: Readonly<NetConfig> = Object.freeze({
  maxPayloadLength: 1024,
  maxBackpressure: 512 * 1024,
  skipBufferedBytes: 64 * 1024,
  maxSkippedSteps: 40,
  idleTimeoutSeconds: 32,
  compression: false,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 64,
  perAddressExemptLoopback: true,
  maxNewPlayersPerAddressPerMinute: 30,
  newPlayersExemptLoopback: true,
  maxAuthFailuresPerAddressPerMinute: 30,
  authFailuresExemptLoopback: true,
  trustedProxies: Object.freeze([]),
  helloTimeoutMs: 5000,
  maxJoinsPerStep: 16,
  maxJoinQueue: 1024,
  maxJoinsPerSecond: 320,
  authTimeoutMs: 5000,
  resumeGraceSeconds: 30,
  maxParked: 10_000,
  maxParkedPerAddress: 64,
  parkedExemptLoopback: true,
  parkedBacklogMessages: 16,
  parkedBacklogBytes: 8192,
  interestRadius: 80,
  detailedRadius: 40,
  maxEntitiesPerSession: 256,
  positionScale: 16,
  maxSpeed: 6,
  messageRatePerSecond: 60,
  messageBurst: 60,
  maxStrikes: 5,
  maxEventsPerStep: 4096,
  maxGameMessagesPerStep: 1024,
  maxGameMessageDeliveriesPerStep: 10_000,
  maxGameMessageDeliveryMsPerStep: 10,
  maxGameBroadcastsPerSender: 8,
  ladderDownBytes: 16 * 1024,
  ladderUpSteps: 40,
  ladderHoldSteps: 10,
  activeInputMs: 2000,
  crowdPlayers: 8,
  replicateBudgetMs: 30,
  snapshotHz: 20,
  idlePlayerMinHz: 4,
  nonPlayerMinHz: 1,
  overloadIdlePlayerMinHz: 1,
  overloadNonPlayerMinHz: 0.25,
  overloadReplicateBudgetMs: 0,
  overloadLateFactor: 1.1,
  overloadActivePlayerMinHz: 10,
  overloadActiveShare: 0.5,
  overloadSpreadMinCpu: 0.8,
  overloadEnterSteps: 20,
  overloadExitSteps: 100,
  viewMode: 'exact',
  regionCellSize: 0,
  regionMaxEntitiesFactor: 2,
  regionMinPlayers: 8,
});

const int = (min: number, max: number): NumberSpec => ({ kind: 'number', default: 0, integer: true, min, max });
const real = (min: number, max: number): NumberSpec => ({ kind: 'number', default: 0, min, max });

/** The schema of {@link NetConfig} (src/config/schema.ts; defaults are {@link NET_DEFAULTS}). */
export const NET_CONFIG_SPEC: ObjectSpec = {
  kind: 'object',
  fields: {
    maxPayloadLength: int(64, 16 * 1024 * 1024),
    maxBackpressure: int(1024, 1 << 30),
    skipBufferedBytes: int(0, 1 << 30),
    maxSkippedSteps: int(1, 1_000_000),
    idleTimeoutSeconds: int(0, 960),
    compression: { kind: 'boolean', default: false },
    maxConnections: int(1, 1_000_000),
    maxConnectionsPerAddress: int(0, 1_000_000),
    perAddressExemptLoopback: { kind: 'boolean', default: true },
    maxNewPlayersPerAddressPerMinute: int(0, 1_000_000),
    newPlayersExemptLoopback: { kind: 'boolean', default: true },
    maxAuthFailuresPerAddressPerMinute: int(0, 1_000_000),
    authFailuresExemptLoopback: { kind: 'boolean', default: true },
    helloTimeoutMs: real(1, 3_600_000),
    maxJoinsPerStep: int(0, 1_000_000),
    maxJoinQueue: int(0, 1_000_000),
    maxJoinsPerSecond: int(0, 1_000_000),
    authTimeoutMs: real(1, 600_000),
    resumeGraceSeconds: real(0, 86_400),
    maxParked: int(1, 10_000_000),
    maxParkedPerAddress: int(0, 1_000_000),
    parkedExemptLoopback: { kind: 'boolean', default: true },
    parkedBacklogMessages: int(0, 1024),
    parkedBacklogBytes: int(0, 1 << 24),
    interestRadius: real(0, 1e7),
    detailedRadius: real(0, 1e7),
    maxEntitiesPerSession: int(1, 65_535),
    positionScale: int(1, 1024),
    maxSpeed: real(0, 1e6),
    messageRatePerSecond: real(0.001, 1e6),
    messageBurst: real(1, 1e6),
    maxStrikes: int(1, 1e6),
    maxEventsPerStep: int(0, 1e7),
    maxGameMessagesPerStep: int(0, 1_000_000),
    maxGameMessageDeliveriesPerStep: int(0, 100_000_000),
    maxGameMessageDeliveryMsPerStep: real(0, 60_000),
    maxGameBroadcastsPerSender: int(0, 1_000_000),
    ladderDownBytes: int(0, 1 << 30),
    ladderUpSteps: int(1, 1_000_000),
    ladderHoldSteps: int(0, 1_000_000),
    activeInputMs: real(0, 86_400_000),
    crowdPlayers: int(1, 1_000_000),
    replicateBudgetMs: real(0, 60_000),
    snapshotHz: real(0.01, 10_000),
    idlePlayerMinHz: real(0.01, 10_000),
    nonPlayerMinHz: real(0.01, 10_000),
    overloadIdlePlayerMinHz: real(0.01, 10_000),
    overloadNonPlayerMinHz: real(0.01, 10_000),
    overloadReplicateBudgetMs: real(0, 60_000),
    overloadLateFactor: real(0, 100),
    overloadActivePlayerMinHz: real(0.01, 10_000),
    overloadActiveShare: real(0, 1),
    overloadSpreadMinCpu: real(0, 64),
    overloadEnterSteps: int(1, 1_000_000),
    overloadExitSteps: int(1, 1_000_000),
    viewMode: { kind: 'enum', default: 'exact', values: ['exact', 'regions'] },
    regionCellSize: real(0, 1e7),
    regionMaxEntitiesFactor: real(0.01, 64),
    regionMinPlayers: int(1, 1_000_000),
  },
};

/**
 * `patch` checked field by field (every field but `trustedProxies`, a list, which the schema has no
 * kind for: returned for its own check): the schema's answer, and its problems plus the one bound of a
 * single field the schema cannot say (`idleTimeoutSeconds`: 0 or 8..960).
 */
const resolveNetFields = (patch: unknown) => {
  const isObject = typeof patch === 'object' && patch !== null && !Array.isArray(patch);
  const { trustedProxies = NET_DEFAULTS.trustedProxies, ...rest } = isObject ? (patch as Partial<NetConfig>) : ({} as Partial<NetConfig>);
  const { trustedProxies: _, ...defaults } = NET_DEFAULTS;
  const r = resolveOptions<Omit<NetConfig, 'trustedProxies'>>(NET_CONFIG_SPEC, defaults, isObject ? rest : patch, 'net');
  const problems = r.ok ? [] : r.problems;
  const idle: unknown = rest.idleTimeoutSeconds; // not a number: the schema's problem already (a comparison would call its toString)
  if (typeof idle === 'number' && idle > 0 && idle < 8)
    problems.push('net.idleTimeoutSeconds must be 0 or 8..960 (uWS aborts the process for 1..7)');
  return { r, problems, rest, trustedProxies };
};

/**
 * The relations between fields, on the merged values `cfg` whatever their validity (so one answer lists every
 * problem); `given`: the fields the patch set. `onlyGiven`: only the relations whose fields the patch set all of
 * (a config file's block: a relation with a default in it is checked once a game's defaults are merged under it).
 */
const netRelationProblems = (cfg: NetConfig, given: Partial<NetConfig>, onlyGiven: boolean): string[] => {
  // A value of another type is its field's problem already; compared, an object would have its toString called (config-blocks fuzz).
  const isNum = (v: unknown): v is number => typeof v === 'number';
  const has = (...keys: Array<keyof NetConfig>): boolean => !onlyGiven || keys.every((k) => Object.hasOwn(given, k));
  const out: string[] = [];
  if (
    has('viewMode', 'regionCellSize', 'interestRadius') &&
    cfg.viewMode === 'regions' &&
    cfg.regionCellSize === 0 &&
    isNum(cfg.interestRadius) &&
    !(cfg.interestRadius > 0)
  )
    out.push('net.regionCellSize must be > 0 when net.interestRadius is 0 and net.viewMode is regions');
  if (
    has('skipBufferedBytes', 'maxBackpressure') &&
    isNum(cfg.skipBufferedBytes) &&
    isNum(cfg.maxBackpressure) &&
    cfg.skipBufferedBytes >= cfg.maxBackpressure
  ) {
    // Name the values: one of the two is often a default the operator never set (config-blocks fuzz, December 6).
    const d = (k: keyof NetConfig): string => (Object.hasOwn(given, k) ? '' : ' (the default)');
    out.push(
      `net.skipBufferedBytes must be below net.maxBackpressure (got ${cfg.skipBufferedBytes}${d('skipBufferedBytes')} and ${cfg.maxBackpressure}${d('maxBackpressure')})`,
    );
  }
  return out;
};

/**
 * The problems of each field of a `net` patch on its own (an unknown key, a value out of range, a bad
 * `trustedProxies`), without the relations between fields, which depend on values merged from
 * elsewhere: what a game's `net` defaults are checked for (a config file's block may override them).
 * `final`: also the relations between fields the patch sets all of — a config file's block, merged over a
 * game's defaults, so its own values stand (a relation with a default in it waits for the game server's
 * resolveNetConfig). Empty when nothing is wrong.
 */
export const netConfigFieldProblems = (patch: unknown, final = false): string[] => {
  const { problems, rest, trustedProxies } = resolveNetFields(patch);
  if (final) problems.push(...netRelationProblems({ ...NET_DEFAULTS, ...rest } as NetConfig, rest, true));
  return [...problems, ...trustedProxiesProblems(trustedProxies)];
};

/** Merge `patch` over the defaults and validate; throws `WT_ERR_OPTION_INVALID` listing every problem. */
export const resolveNetConfig = (patch: Partial<NetConfig> = {}): NetConfig => {
  const { r, problems, rest, trustedProxies } = resolveNetFields(patch);
  problems.push(...netRelationProblems({ ...NET_DEFAULTS, ...rest } as NetConfig, rest, false));
  problems.push(...trustedProxiesProblems(trustedProxies));
  if (problems.length || !r.ok) throw optionInvalid(problems);
  return { ...r.value, trustedProxies: Object.freeze([...trustedProxies]) };
};
