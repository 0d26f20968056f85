/**
 * How a server process reacts to SIGINT/SIGTERM (src/game/server.ts `runMain`, so `npm start` and
 * every game's main): handlers are installed before start, so a signal during a long restore is a
 * clean stop too. The first signal asks for a graceful stop (the `stopRequested` promise resolves and
 * `signal` aborts, which ends a start in progress after its current step) and arms the stop timeout;
 * a second signal, or the timeout, exits at once with code 1 and a log line saying why.
 *
 * A signal within {@link REPEAT_WINDOW_MS} of the first is the same request delivered twice, not a
 * second one: Ctrl-C in a terminal signals the whole foreground process group, and `npm start`
 * forwards what it gets to the server too, so the server sees each press twice; a supervisor that
 * signals every process of its group (systemd's default `KillMode`, GNU `timeout`) does the same.
 */
import type { Logger } from '../log.js';

/** Exit code of a stop that did not complete cleanly (second signal, stop timeout, failed final checkpoints). */
export const EXIT_STOP_FAILED = 1;

/** Wall ms after the first signal in which another is taken as the same request (see above). */
export const REPEAT_WINDOW_MS = 1000;

/** Options of {@link watchStopSignals}. */
export interface StopSignalOptions {
  logger: Logger;
  /** Wall seconds from the first signal until the process exits 1 anyway; 0 = no limit. */
  stopTimeoutSeconds: number;
  /** End the process (`process.exit`; tests of this module pass their own). */
  exit: (code: number) => void;
  /** Signals handled. Default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
}

/** The handle of {@link watchStopSignals}. */
export interface StopSignals {
  /** Aborted by the first signal (pass to `runtime.start`). */
  readonly signal: AbortSignal;
  /** Resolves with the first signal's name. */
  readonly stopRequested: Promise<NodeJS.Signals>;
  /** The stop completed: clear the timeout (a later signal still exits 1 at once). */
  done(): void;
}

/** Install the stop handlers on `process` now. */
export const watchStopSignals = (o: StopSignalOptions): StopSignals => {
  const abort = new AbortController();
  let resolveStop: (s: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((r) => (resolveStop = r));
  let first: NodeJS.Signals | null = null;
  let firstAt = 0;
  let timer: NodeJS.Timeout | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== null) {
      if (performance.now() - firstAt < REPEAT_WINDOW_MS) {
        o.logger.info({ signal, first }, 'signal repeated within 1 s: the same stop request (npm and the terminal both deliver it)');
        return;
      }
      o.logger.error({ signal, first }, 'second signal: exiting now, without a clean stop');
      o.exit(EXIT_STOP_FAILED);
      return;
    }
    first = signal;
    firstAt = performance.now();
    o.logger.info({ signal, stopTimeoutSeconds: o.stopTimeoutSeconds }, 'shutting down');
    if (o.stopTimeoutSeconds > 0) {
      timer = setTimeout(() => {
        o.logger.error({ signal, stopTimeoutSeconds: o.stopTimeoutSeconds }, 'stop timed out: exiting without a clean stop');
        o.exit(EXIT_STOP_FAILED);
      }, o.stopTimeoutSeconds * 1000);
    }
    abort.abort(new Error(`stop requested by ${signal}`));
    resolveStop(signal);
  };
  const signals = o.signals ?? (['SIGINT', 'SIGTERM'] as const);
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: abort.signal,
    stopRequested,
    done() {
      if (timer) clearTimeout(timer);
    },
  };
};
