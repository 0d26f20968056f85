/**
 * Stopping a bots run early (docs/BOTS.md "Stopping a run"): the fleet's waits (warm-up, the measured
 * window, the coordinator's go) end as soon as its stop signal is aborted, and the abort's reason (the
 * signal's name, `SIGINT` or `SIGTERM`) is what the report says stopped it, with the phase it was in.
 */
import { REPEAT_WINDOW_MS } from '../cli/stop-signals.js';
import { Type } from '../typebox.js';

/** A bots process's phases, in order: joining the steady population, the warm-up, the measured window. */
export type RunPhase = 'ramp' | 'warmup' | 'measure';
const PHASES: readonly RunPhase[] = ['ramp', 'warmup', 'measure'];

/** What stopped a process or run early (`SIGINT`, `SIGTERM`), or null: it ran to its end. */
export const StoppedSchema = Type.Union([Type.String(), Type.Null()]);
/** The phase a process or run was stopped in (the earliest of the processes'), or null: it ran to its end. */
export const StoppedInSchema = Type.Union([Type.Literal('ramp'), Type.Literal('warmup'), Type.Literal('measure'), Type.Null()]);

/**
 * Follows a process's phase (`enter`); `stoppedIn()` is the phase it was in when `stop` was aborted, or
 * null; `skipped(p)`: the stop came before phase `p` (which then only passes by: no progress is shown for it).
 */
export const trackStopPhase = (
  stop?: AbortSignal,
): { enter: (p: RunPhase) => void; stoppedIn: () => RunPhase | null; skipped: (p: RunPhase) => boolean } => {
  let now: RunPhase = 'ramp';
  let at: RunPhase | null = stop?.aborted ? now : null;
  stop?.addEventListener('abort', () => (at = now), { once: true });
  return { enter: (p) => (now = p), stoppedIn: () => at, skipped: (p) => at !== null && PHASES.indexOf(p) > PHASES.indexOf(at) };
};

/** The run's stop from its processes': the signal of the first stopped early, and the earliest phase one was stopped in. */
export const mergeStops = (parts: readonly { stopped: string | null; stoppedIn: RunPhase | null }[]) => {
  const cut = parts.filter((p) => p.stopped !== null); // a window cut short in any process
  const stoppedBy = cut[0]?.stopped ?? null;
  return { partial: stoppedBy !== null, stoppedBy, stoppedIn: PHASES.find((ph) => cut.some((p) => p.stoppedIn === ph)) ?? null };
};

/** Resolves after `ms` wall ms, or at once when `stop` is (or becomes) aborted. */
export const sleepUnlessStopped = (ms: number, stop?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (stop?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
  });

/** Resolves when `wait` settles, or at once when `stop` is (or becomes) aborted. Never rejects. */
export const unlessStopped = (wait: Promise<unknown> | undefined, stop?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (wait === undefined || stop?.aborted) return resolve();
    const done = (): void => {
      stop?.removeEventListener('abort', done);
      resolve();
    };
    stop?.addEventListener('abort', done, { once: true });
    wait.then(done, done);
  });

/** What stopped the run early (the abort's reason, a signal name), or null when it ran to its end. */
export const stopReason = (stop?: AbortSignal): string | null => (stop?.aborted ? String(stop.reason) : null);

/**
 * Install a bots process's SIGINT/SIGTERM handlers: the first signal aborts `stop` (its reason the
 * signal's name); a signal within {@link REPEAT_WINDOW_MS} of the stop — however it began: a signal, or
 * the coordinator's `stop` over IPC — is the same press delivered twice (a terminal's Ctrl-C reaches the
 * whole process group, and `npm run bots` forwards it again), reported to `repeated`; a later one is a
 * second signal, handed to `second` (which exits at once).
 */
export const watchBotsSignals = (o: {
  stop: AbortController;
  first?: (sig: NodeJS.Signals) => void;
  repeated?: (sig: NodeJS.Signals) => void;
  second: (sig: NodeJS.Signals) => void;
}): void => {
  let stoppedAt = o.stop.signal.aborted ? performance.now() : 0;
  o.stop.signal.addEventListener('abort', () => (stoppedAt = performance.now()), { once: true });
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!o.stop.signal.aborted) {
      o.first?.(sig);
      o.stop.abort(sig);
    } else if (performance.now() - stoppedAt < REPEAT_WINDOW_MS) o.repeated?.(sig);
    else o.second(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
};
