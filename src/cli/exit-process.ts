/**
 * How a server process ends (src/game/server.ts `runMain`, src/cli/stop-signals.ts). `process.exit`
 * joins libuv's pool threads before the process ends, so while one of them is blocked — a file
 * operation on a FIFO nobody opens, a hung network file system, a DNS lookup that does not answer —
 * it never returns, and neither a second signal nor `--stop-timeout` could end the process. With such
 * a request in flight the process waits up to `graceMs` for it to finish, then logs what it waits for
 * and ends itself with SIGKILL (a shell shows status 137, a supervisor "killed"); the exit code it
 * meant is in that log line. With none in flight it is `process.exit(code)`.
 */
import { pino } from 'pino';
import type { Logger } from '../log.js';

/** libuv requests that run on its pool threads and can block one indefinitely (names of `process.getActiveResourcesInfo()`). */
export const BLOCKING_POOL_REQUESTS: ReadonlySet<string> = new Set([
  'FSReqCallback',
  'FSReqPromise',
  'GetAddrInfoReqWrap',
  'GetNameInfoReqWrap',
]);

/** How often {@link exitProcess} looks again while it waits for pool requests. */
const POLL_MS = 25;

/** The process as {@link exitProcess} sees it (tests pass their own). */
export interface ProcessExitHooks {
  activeResources(): string[];
  exit(code: number): void;
  killSelf(): void;
}

const realProcess: ProcessExitHooks = {
  activeResources: () => process.getActiveResourcesInfo(),
  exit: (code) => process.exit(code),
  killSelf: () => process.kill(process.pid, 'SIGKILL'),
};

/** Wall ms {@link exitProcess} waits for the logger to write out its last lines before SIGKILL. */
const LOG_FLUSH_WAIT_MS = 500;

/** pino's stdout stream (sonic-boom) as far as {@link flushLoggerThen} uses it. */
interface LogStream {
  /** A write handed to the pool is in flight (its bytes are no longer in the buffer `flushSync` writes). */
  _writing?: boolean;
  flushSync?: () => void;
}

/**
 * Write out what the logger still holds, then `then()`. pino's stdout stream writes asynchronously
 * on the pool's other threads and flushes at `process.exit`, which a SIGKILL skips; `flushSync` writes
 * its buffer but not a write already in flight, so wait for that one first. Bounded by
 * {@link LOG_FLUSH_WAIT_MS}: the process ends whether or not the lines got out. A write still in
 * flight at the bound means the log's pipe or file does not take bytes (a stalled reader): a
 * synchronous write would block the main thread for as long, so the buffer is left unwritten.
 */
const flushLoggerThen = (logger: Logger, then: () => void): void => {
  const stream = (logger as unknown as Record<symbol, LogStream | undefined>)[pino.symbols.streamSym];
  const deadline = performance.now() + LOG_FLUSH_WAIT_MS;
  const attempt = (): void => {
    if (stream?._writing === true) {
      if (performance.now() < deadline) {
        setTimeout(attempt, 5);
        return;
      }
      then(); // the in-flight write is stuck: flushSync would block on the same output
      return;
    }
    try {
      stream?.flushSync?.();
    } catch {
      // not open, or the reader is gone: nothing more can be written anyway
    }
    then();
  };
  attempt();
};

/** The pool requests in flight now (a name per request). */
export const blockingRequests = (resources: readonly string[]): string[] => resources.filter((r) => BLOCKING_POOL_REQUESTS.has(r));

/**
 * Wall ms an exit "at once" (a second signal, a stop timeout) still waits for pool requests: the
 * logger's own last line is one (pino writes on the pool), and it finishes in well under this.
 */
export const EXIT_AT_ONCE_GRACE_MS = 250;

/**
 * End the process with `code` (see the module comment), waiting up to `graceMs` for in-flight pool
 * requests; a clean stop passes more.
 */
export const exitProcess = (code: number, logger: Logger, graceMs = EXIT_AT_ONCE_GRACE_MS, hooks: ProcessExitHooks = realProcess): void => {
  const deadline = performance.now() + graceMs;
  const attempt = (): void => {
    const pending = blockingRequests(hooks.activeResources());
    if (pending.length === 0) {
      hooks.exit(code);
      return;
    }
    if (performance.now() < deadline) {
      setTimeout(attempt, POLL_MS);
      return;
    }
    logger.error(
      { exitCode: code, pending },
      'a thread is blocked in a file or DNS operation, so the process cannot exit normally: ending it with SIGKILL',
    );
    flushLoggerThen(logger, hooks.killSelf);
  };
  attempt();
};
