/**
 * Player-experience priority and the per-client quality ladder (issue 12, items 2 and 4).
 *
 * Every session has a class (set at join), an activity (wall time of its last input) and a
 * crowd level (players in its last view). They give a priority, highest last to degrade:
 *
 *   4  active player in a crowded region     (crowd >= net.crowdPlayers)
 *   3  active player                         (input within net.activeInputMs)
 *   2  idle player
 *   1  spectator
 *   0  bot / observer
 *
 * The world's controller gives a pressure (0 normal, 2 degraded, 4 emergency). A session's
 * degradation from load is `pressure - priority` (≥ 0): the lowest priorities degrade first,
 * active players in crowds last. Player-class sessions are never degraded by load beyond
 * level 2 (no cooldown): the detailed ring keeps its every-step floor.
 *
 * Independently, each session walks its own quality ladder from socket backpressure: a send
 * that finds more than `net.ladderDownBytes` still buffered steps it down one level (at most
 * once per `net.ladderHoldSteps` steps), `net.ladderUpSteps` consecutive clean sends (nothing
 * buffered) step it back up. The effective level is the larger of the two:
 *
 *   level 0  desired: full rate, full radius
 *   level 1  staler data: far entities (beyond detailedRadius) every 4× as many steps
 *   level 2  smaller radius: × LADDER_RADIUS_SCALE (never below detailedRadius)
 *   level 3  longer cooldown: a snapshot every 2nd step (the tolerable floor for a slow client)
 *   level 4  a snapshot every 4th step
 *
 * A skipped or cooled-down step never changes the session's known set, so the next snapshot is
 * still an exact delta against what the client holds.
 *
 * Under sustained overload ({@link updateOverload}: emergency while the loop runs late) the
 * replicate phase lowers the deferral floors of idle players and non-players further
 * ({@link deferFloors}); active players are never deferred, but when their own sends do not
 * fit the step they are spread over k steps down to `overloadActivePlayerMinHz`, crowded
 * regions last (active-spread.ts).
 */
import { type ActiveSpreadState, createActiveSpread } from './active-spread.js';
import { isLoggedOccurrence, type Logger } from '../log.js';
import type { NetConfig } from './net-config.js';
import type { Session } from './session.js';

/** Session classes (numeric codes; names in {@link SESSION_CLASS_NAMES}). */
export const SessionClass = { player: 0, spectator: 1, bot: 2, observer: 3 } as const;
export type SessionClassName = keyof typeof SessionClass;
export type SessionClassCode = (typeof SessionClass)[SessionClassName];
/** Class names by code. */
export const SESSION_CLASS_NAMES: readonly SessionClassName[] = ['player', 'spectator', 'bot', 'observer'];
/** The player class as a plain number (a module constant needs no property load, so no type feedback, in hot code). */
export const PLAYER_CLASS: number = SessionClass.player;
/** Highest ladder level. */
export const LADDER_MAX = 4;
/** Radius multiplier at ladder level ≥ 2. */
export const LADDER_RADIUS_SCALE = 0.6;
/** Highest level load may impose on a player-class session (no cooldown). */
export const PLAYER_LOAD_CAP = 2;

/**
 * Default class of a session from its hello token: a token `spectator`, `bot` or `observer`,
 * alone or followed by `:` (e.g. `spectator:abc`), gives that class; anything else is a player.
 * A game may pass its own hook (`GameServerOptions.sessionClass`).
 */
export const classFromToken = (token: string): SessionClassName => {
  const i = token.indexOf(':');
  const head = i < 0 ? token : token.slice(0, i);
  return head === 'spectator' || head === 'bot' || head === 'observer' ? head : 'player';
};

/**
 * The class code of a session whose class `ask()` names — the game's `sessionClass` hook, fed by
 * the client's hello. Anything but one of the four names (a prototype key such as `constructor`, a
 * typo, a non-string) and a throw give the player class, logged at warn the 1st, 10th, 100th… time
 * (`bad.n` counts them).
 */
export const sessionClassCode = (ask: () => unknown, log: Logger, bad: { n: number }): number => {
  let answer: unknown;
  let err: unknown = null;
  try {
    answer = ask();
    const i = SESSION_CLASS_NAMES.indexOf(answer as SessionClassName);
    if (i >= 0) return i;
  } catch (e) {
    err = e;
  }
  const n = ++bad.n;
  if (isLoggedOccurrence(n))
    log.warn(
      { answer: typeof answer === 'string' ? answer.slice(0, 64) : typeof answer, err, times: n },
      'game sessionClass hook threw or answered no class (player, spectator, bot, observer): the session joins as a player',
    );
  return SessionClass.player;
};

/** A session's priority (0..4, higher degrades later) at wall time `nowMs` (performance.now). */
export const sessionPriority = (s: Session, cfg: NetConfig, nowMs: number): number => {
  const cls = s.cls;
  if (cls === SessionClass.bot || cls === SessionClass.observer) return 0;
  if (cls === SessionClass.spectator) return 1;
  if (s.lastInputAt < 0 || nowMs - s.lastInputAt > cfg.activeInputMs) return 2;
  return s.crowd >= cfg.crowdPlayers ? 4 : 3;
};

/** Load pressure from the controller's interest-quality knob (0 normal, 1 degraded, 3 emergency). */
export const pressureOf = (interestQuality: number): number => (interestQuality <= 0 ? 0 : interestQuality >= 3 ? 4 : 2);

/** The level load imposes on a session of `priority` under `pressure`. */
export const loadLevel = (cls: number, priority: number, pressure: number): number => {
  // Every compare runs whatever the pressure (0 included: the replicate phase calls this in every
  // mode), so V8 has type feedback for all of them and the first degraded step does not
  // deoptimize the phase it is inlined into (docs/NET-SCALE.md "Deoptimization on the first degraded step").
  const d = pressure - priority;
  const cap = cls === PLAYER_CLASS ? PLAYER_LOAD_CAP : LADDER_MAX;
  const capped = d > cap ? cap : d;
  return d <= 0 ? 0 : capped;
};

/** Steps between snapshots at `level` (cooldown). */
export const cooldownOf = (level: number): number => (level >= 4 ? 4 : level >= 3 ? 2 : 1);

/**
 * Walk `s` on its ladder after finding `buffered` bytes on its socket at step `step`
 * (before its send). Returns -1 stepped down, 1 stepped up, 0 unchanged.
 */
export const updateLadder = (s: Session, cfg: NetConfig, buffered: number, step: number): number => {
  if (buffered > cfg.ladderDownBytes) {
    s.ladderCalm = 0;
    if (s.ladder < LADDER_MAX && step - s.ladderAt >= cfg.ladderHoldSteps) {
      s.ladder++;
      s.ladderAt = step;
      return -1;
    }
    return 0;
  }
  if (buffered > 0) {
    s.ladderCalm = 0;
    return 0;
  }
  if (s.ladder === 0) return 0;
  if (++s.ladderCalm >= cfg.ladderUpSteps) {
    s.ladder--;
    s.ladderCalm = 0;
    s.ladderAt = step;
    return 1;
  }
  return 0;
};

/** Per-class replication counters (one entry per class in `WorldNetStats.byClass`). */
export interface ClassStats {
  /** Sessions of the class in the last replicate run (gauge). */
  sessions: number;
  /** Of those, sessions replicated below ladder level 0 (gauge). */
  degraded: number;
  /** Snapshots sent (total). */
  snapshots: number;
  /** Snapshot bytes sent (total). */
  bytes: number;
  /** Session-steps left out by a cooldown (total). */
  cooldownSkips: number;
  /** Session-steps skipped for backpressure (total). */
  skippedBackpressure: number;
  /** Session-steps deferred by the replicate budget under load (total). */
  deferred: number;
  /** Session-steps of active players left out by the overload spread (active-spread.ts) (total). */
  spread: number;
}

/** Fresh per-class counters, indexed by class code. */
export const createClassStats = (): ClassStats[] =>
  SESSION_CLASS_NAMES.map(() => ({
    sessions: 0,
    degraded: 0,
    snapshots: 0,
    bytes: 0,
    cooldownSkips: 0,
    skippedBackpressure: 0,
    deferred: 0,
    spread: 0,
  }));

/** Ladder counters of a world (`WorldNetStats.ladder`). */
export interface LadderStats {
  /** Sessions at each effective level 0..4 in the last replicate run (gauge). */
  levels: number[];
  /** Steps down / up the backpressure ladder (totals). */
  down: number;
  up: number;
  /** Controller pressure of the last run (0, 2 or 4). */
  pressure: number;
  /** 1 while the overload floors apply ({@link updateOverload}), else 0 (gauge). */
  overload: number;
  /** Times the world entered overload (total). */
  overloadEntered: number;
  /** Smoothed wall ms between two replicate runs (the loop's real step interval). */
  stepIntervalMs: number;
  /** Wall ms from the last run's start until its active players (priority ≥ 3) were all sent. */
  activeSentMs: number;
  /**
   * Overload spread (active-spread.ts) of the last run: steps between two snapshots of an active
   * player (priority 3) and of an active player in a crowded region (priority 4); 1 = not spread (gauges).
   */
  activeSpread: number;
  crowdSpread: number;
  /** Smoothed wall µs per active-player snapshot, the spread's cost estimate (gauge). */
  activeUsPerSnapshot: number;
  /** Times the spread level rose (total). */
  spreadRaised: number;
}

/** Fresh ladder counters. */
export const createLadderStats = (): LadderStats => ({
  levels: [0, 0, 0, 0, 0],
  down: 0,
  up: 0,
  pressure: 0,
  overload: 0,
  overloadEntered: 0,
  stepIntervalMs: 0,
  activeSentMs: 0,
  activeSpread: 1,
  crowdSpread: 1,
  activeUsPerSnapshot: 0,
  spreadRaised: 0,
});

/**
 * Sustained-overload detector of one world's replicate phase (docs/NET-SCALE.md "10,000
 * sessions"). A run is hot when the controller is in emergency (pressure 4) and the loop runs
 * late: the smoothed wall interval between two runs is over `overloadLateFactor` × the nominal
 * step (0 = emergency alone). `overloadEnterSteps` hot runs in a row (or their nominal wall time) turn overload on;
 * `overloadExitSteps` calm runs in a row turn it off. Re-entering within 4 × the exit hold of
 * leaving doubles the hold (at most 8 × `overloadExitSteps`), so a load that fits only at the
 * overload floors does not flap between the two sets of floors; a clean entry resets it.
 */
export interface OverloadState {
  on: boolean;
  /** Consecutive hot runs (while off) / calm runs (while on). */
  streak: number;
  /** Wall ms the hot runs of the current streak took (while off; each interval counted at most 4 steps long). */
  hotMs: number;
  /** Wall ms (performance.now) of the last run; -1 before the first. */
  lastRunMs: number;
  /** Smoothed interval between runs (wall ms); 0 before the second run. */
  meanIntervalMs: number;
  /** Current exit hold (runs); 0 = not set yet. */
  exitSteps: number;
  /** Step overload last turned off. */
  offStep: number;
  /** The active players' spread (active-spread.ts), in effect only while `on`. */
  spread: ActiveSpreadState;
  /** Open active players of priority 3 and 4 in the last run (the spread's input at the next). */
  lastActive: number;
  lastCrowd: number;
}

/** A detector in the off state. */
export const createOverloadState = (): OverloadState => ({
  on: false,
  streak: 0,
  hotMs: 0,
  lastRunMs: -1,
  meanIntervalMs: 0,
  exitSteps: 0,
  offStep: Number.NEGATIVE_INFINITY,
  spread: createActiveSpread(),
  lastActive: 0,
  lastCrowd: 0,
});

/** Weight of one interval in the smoothed step interval (≈ 20 runs, 1 s at 20 Hz). */
const INTERVAL_ALPHA = 0.05;

/**
 * Feed one replicate run (wall `nowMs`, `step`, nominal step `tickMs`, controller `pressure`)
 * to `o`. Returns 1 when overload turned on, -1 when it turned off, 0 otherwise. It turns on after
 * `overloadEnterSteps` hot runs in a row, or sooner once those runs took as long as that many
 * nominal steps: late steps are long ones, and at 200 ms a step 20 of them are 4 s of every active
 * player sent at once (docs/NET-SCALE.md "The longest steps at 5,000 sessions"). An interval is
 * counted at most 4 steps long, so a pause or a stall does not hold the mean up for long, and no
 * fewer than a quarter of `overloadEnterSteps` runs turn overload on.
 * `hold` (while on): the run counts as hot whatever the controller and the loop say — the
 * active players' spread is what keeps the loop on time, and unspread they would not fit
 * (active-spread.ts `spreadNeeded`), so leaving overload would only bring it back.
 */
export const updateOverload = (
  o: OverloadState,
  cfg: Pick<NetConfig, 'overloadLateFactor' | 'overloadEnterSteps' | 'overloadExitSteps'>,
  nowMs: number,
  step: number,
  tickMs: number,
  pressure: number,
  hold = false,
): number => {
  const d = o.lastRunMs >= 0 ? Math.min(nowMs - o.lastRunMs, 4 * tickMs) : 0;
  if (o.lastRunMs >= 0) {
    o.meanIntervalMs = o.meanIntervalMs === 0 ? d : o.meanIntervalMs + (d - o.meanIntervalMs) * INTERVAL_ALPHA;
  }
  o.lastRunMs = nowMs;
  if (o.exitSteps === 0) o.exitSteps = cfg.overloadExitSteps;
  const late = cfg.overloadLateFactor <= 0 || o.meanIntervalMs > cfg.overloadLateFactor * tickMs;
  const hot = pressure >= 4 && late;
  if (!o.on) {
    o.streak = hot ? o.streak + 1 : 0;
    o.hotMs = hot ? o.hotMs + d : 0;
    if (o.streak < cfg.overloadEnterSteps && o.hotMs < cfg.overloadEnterSteps * tickMs) return 0;
    o.on = true;
    o.streak = 0;
    o.hotMs = 0;
    o.exitSteps = step - o.offStep < 4 * o.exitSteps ? Math.min(o.exitSteps * 2, cfg.overloadExitSteps * 8) : cfg.overloadExitSteps;
    return 1;
  }
  o.streak = hot || hold ? 0 : o.streak + 1;
  if (o.streak < o.exitSteps) return 0;
  o.on = false;
  o.streak = 0;
  o.offStep = step;
  return -1;
};

/**
 * The deferral floors (snapshots per wall second) in effect: `idlePlayerMinHz` and
 * `nonPlayerMinHz`, or under overload the lower of those and `overloadIdlePlayerMinHz` /
 * `overloadNonPlayerMinHz`. A non-player never gets a higher floor than an idle player.
 */
export const deferFloors = (
  cfg: Pick<NetConfig, 'idlePlayerMinHz' | 'nonPlayerMinHz' | 'overloadIdlePlayerMinHz' | 'overloadNonPlayerMinHz'>,
  overload: boolean,
): { idleHz: number; otherHz: number } => {
  let idleHz = cfg.idlePlayerMinHz,
    otherHz = cfg.nonPlayerMinHz;
  if (overload) {
    if (cfg.overloadIdlePlayerMinHz < idleHz) idleHz = cfg.overloadIdlePlayerMinHz;
    if (cfg.overloadNonPlayerMinHz < otherHz) otherHz = cfg.overloadNonPlayerMinHz;
  }
  return { idleHz, otherHz: otherHz < idleHz ? otherHz : idleHz };
};

/** Sum of per-class counters keyed by class name (for `GameServer.stats()`). */
export const sumClassStats = (into: Record<string, ClassStats>, from: readonly ClassStats[]): void => {
  for (let c = 0; c < from.length; c++) {
    const name = SESSION_CLASS_NAMES[c];
    let a = into[name];
    if (!a) {
      a = { sessions: 0, degraded: 0, snapshots: 0, bytes: 0, cooldownSkips: 0, skippedBackpressure: 0, deferred: 0, spread: 0 };
      into[name] = a;
    }
    const b = from[c];
    a.sessions += b.sessions;
    a.degraded += b.degraded;
    a.snapshots += b.snapshots;
    a.bytes += b.bytes;
    a.cooldownSkips += b.cooldownSkips;
    a.skippedBackpressure += b.skippedBackpressure;
    a.deferred += b.deferred;
    a.spread += b.spread;
  }
};
