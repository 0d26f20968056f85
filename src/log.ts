/**
 * Logger factory. The logger is created once by the entry point and passed down; there is no
 * module-level logger (STYLE.md: no singletons).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A pino logger writing JSON lines to stdout (or to `destination` when given, for tests). An `err`
 * is logged with its own message and its `cause` as a nested object (`err.cause.message`,
 * `err.cause.code`, …): pino's default appends each cause's message to the error's, and ours
 * already name their cause, so a wrapped error read "…: disk full: disk full".
 */
export const createLogger = (level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger => {
  const options = { level, base: { name: 'worldtick' }, serializers: { err: pino.stdSerializers.errWithCause } };
  return destination ? pino(options, destination) : pino(options);
};

/**
 * Whether the `n`-th occurrence of a repeated event is logged: the 1st, 10th, 100th… (a flood
 * gives a handful of lines, each with the count so far).
 */
export const isLoggedOccurrence = (n: number): boolean => {
  if (!Number.isInteger(n) || n < 1) return false;
  let v = n;
  while (v % 10 === 0) v /= 10;
  return v === 1;
};
