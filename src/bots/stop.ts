/**
 * Stopping a bots run early (docs/BOTS.md "Stopping a run"): the fleet's waits (warm-up, the measured
 * window, the coordinator's go) end as soon as its stop signal is aborted, and the abort's reason (the
 * signal's name, `SIGINT` or `SIGTERM`) is what the report says stopped it.
 */

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
