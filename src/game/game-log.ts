/**
 * Game code's logger (below the assembly): `gameLog(world)` is the server's pino logger bound with
 * `{ world, game }`, so a system, hook, message handler or timer writes JSON lines with the
 * server's own (levels, fields, destination) instead of `console.log`.
 *
 *   game code ── gameLog(world).warn({ code }, 'reward refused') ──► level enabled? ──► budget left?
 *                                                                        │ no: nothing     │ no: dropped++
 *                                                                        ▼                 ▼ yes
 *                                                                   (free, no token)   the server's logger
 *
 * A world's game code cannot flood the process: each world has a budget of
 * {@link GAME_LOG_BURST} lines refilled at {@link GAME_LOG_LINES_PER_SECOND} a wall-clock second
 * (a token bucket); a line over it is dropped and counted, and the next line written is preceded by
 * one warn line saying how many were dropped. A line is bounded in size too: over
 * {@link GAME_LOG_MAX_LINE_BYTES} of message and fields it is written cut, with a marker, and counted
 * (src/game/log-line-bound.ts). Logging is not world state: nothing here is hashed, checkpointed or
 * recorded, and a world no server serves (a replay, one built with `createGameWorld` without its
 * `logger` option) gets a silent logger, so a replay behaves the same whatever the live world logged.
 */
import type { Logger } from '../log.js';
import { boundLine, GAME_LOG_MAX_LINE_BYTES } from './log-line-bound.js';

export { GAME_LOG_MAX_LINE_BYTES } from './log-line-bound.js';

/** Levels game code logs at (no `fatal`: a game does not end the process). */
export type GameLogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** A level's method: a message, or fields (an `err` serialized with its cause) and a message. */
export interface GameLogFn {
  (msg: string): void;
  (fields: object, msg?: string): void;
}

/** The logger game code receives from {@link gameLog}. */
export interface GameLogger {
  readonly error: GameLogFn;
  readonly warn: GameLogFn;
  readonly info: GameLogFn;
  readonly debug: GameLogFn;
  readonly trace: GameLogFn;
  /** Whether `level` is written at the server's `--log-level` (build costly fields only then). */
  isLevelEnabled(level: GameLogLevel): boolean;
}

/** Lines a world's game code may write in a burst (the bucket's size). */
export const GAME_LOG_BURST = 200;
/** Lines per wall-clock second a world's budget refills by. */
export const GAME_LOG_LINES_PER_SECOND = 50;

/** Lines game code logged, by outcome, each line in one (levels the server does not write count in none). */
export interface GameLogCounters {
  /** Written as given. */
  written: number;
  /** Over {@link GAME_LOG_MAX_LINE_BYTES}: written cut, with a `logTruncated` marker (src/game/log-line-bound.ts). */
  truncated: number;
  /** Over the world's budget: not written. */
  dropped: number;
}

/** What a served world carries for game logging: its bound, rate-limited logger and counters. */
export interface GameLogSink {
  readonly logger: GameLogger;
  readonly counters: GameLogCounters;
}

/** The game-log slot of a world. */
export interface GameLogSlot {
  gameLogSink: GameLogSink | null;
}

/** The empty slot (no server: game code's lines go nowhere). */
export const createGameLogSlot = (): GameLogSlot => ({ gameLogSink: null });

const noop = (): void => {};
/** The logger of a world no server serves: writes nothing, allocates nothing. */
const SILENT: GameLogger = Object.freeze({
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  isLevelEnabled: () => false,
});

/** Options of {@link createGameLogSink} (tests shrink the budget and drive the clock). */
export interface GameLogSinkOptions {
  burst?: number;
  linesPerSecond?: number;
  /** Wall-clock milliseconds (default `performance.now`). */
  now?: () => number;
}

/**
 * A world's game logger over the server's `base` logger: a pino child bound with
 * `{ world, game }`, rate-limited per world (the runtime builds one for every world it serves).
 */
export const createGameLogSink = (base: Logger, world: string, game: string, opts: GameLogSinkOptions = {}): GameLogSink => {
  const burst = opts.burst ?? GAME_LOG_BURST;
  const perMs = (opts.linesPerSecond ?? GAME_LOG_LINES_PER_SECOND) / 1000;
  const now = opts.now ?? (() => performance.now());
  const child = base.child({ world, game });
  const counters: GameLogCounters = { written: 0, truncated: 0, dropped: 0 };
  let tokens = burst;
  let last = now();
  let unreported = 0;
  const method =
    (level: GameLogLevel): GameLogFn =>
    (a: object | string, msg?: string): void => {
      // A level the server does not write costs a check and takes no budget (pino's noop).
      if (!child.isLevelEnabled(level)) return;
      const t = now();
      tokens = Math.min(burst, tokens + (t - last) * perMs);
      last = t;
      if (tokens < 1) {
        counters.dropped++;
        unreported++;
        return;
      }
      tokens -= 1;
      if (unreported > 0) {
        child.warn({ dropped: unreported }, 'game log: lines dropped by the rate limit');
        unreported = 0;
      }
      // Bounded in size: a line over GAME_LOG_MAX_LINE_BYTES is written cut, with a marker.
      const line = typeof a === 'string' ? boundLine(undefined, a) : boundLine(a, msg);
      if (line.truncated) counters.truncated++;
      else counters.written++;
      if (line.fields === undefined) child[level](line.msg ?? '');
      else child[level](line.fields, line.msg);
    };
  const logger: GameLogger = {
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
    trace: method('trace'),
    isLevelEnabled: (level) => child.isLevelEnabled(level),
  };
  return { logger, counters };
};

/**
 * The logger of the server running `world`, bound with `{ world: <world id>, game: <game name> }` —
 * for game code that holds a world (a system, hook, message handler, timer, a promise's callback).
 * Lines follow the server's `--log-level` and go where its log goes; each world may write
 * {@link GAME_LOG_BURST} lines at once and {@link GAME_LOG_LINES_PER_SECOND} a second after that,
 * the rest dropped and counted (`worldtick_game_log_lines_total{outcome="dropped"}`); a line over
 * {@link GAME_LOG_MAX_LINE_BYTES} is written cut (`outcome="truncated"`). A world no server serves (a
 * replay, a deleted world, one built with `createGameWorld` without `logger`) gets a silent logger.
 * Logging is not world state: a replay of the world does not depend on it.
 */
export const gameLog = (world: GameLogSlot): GameLogger => world?.gameLogSink?.logger ?? SILENT;
