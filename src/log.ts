/**
 * Logger factory. The logger is created once by the entry point and passed down; there is no
 * module-level logger (STYLE.md: no singletons).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A pino logger writing JSON lines to stdout (or to `destination` when given, for tests). */
export const createLogger = (level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger =>
  destination ? pino({ level, base: { name: 'worldtick' } }, destination) : pino({ level, base: { name: 'worldtick' } });
