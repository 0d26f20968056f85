/**
 * Joins in flight cancelled by a stop (docs/BOTS.md "Stopping a run"): when the fleet's stop signal is
 * aborted (a SIGINT or SIGTERM, or the coordinator's `stop` over IPC), every join not yet welcomed has
 * its socket dropped at once (terminated: no close handshake to wait for on a slow server), so the
 * ramp — or an influx or churn join of the window — ends now instead of at its join timeout. Such a
 * join is counted apart (`cancelledJoins`): it is neither a join failure nor a bot that joined, so
 * never a disconnect. Nothing of it is left: its timer ends with its socket's close.
 */

/** The joins in flight of one fleet, and how many a stop cancelled. */
export interface JoinCanceller {
  /**
   * Register a join in flight whose socket exists; `drop()` terminates that socket (the join then
   * rejects). Returns `end()`, to call exactly once when the join settled (either way): true when
   * the stop cancelled it (counted in {@link JoinCanceller.cancelled}). A join registered after the
   * stop is dropped at once.
   */
  start(drop: () => void): () => boolean;
  /** Joins the stop cancelled so far. */
  readonly cancelled: number;
}

/** A {@link JoinCanceller} that drops every join in flight when `stop` is aborted. */
export const createJoinCanceller = (stop?: AbortSignal): JoinCanceller => {
  const inFlight = new Set<() => void>();
  let cancelled = 0;
  stop?.addEventListener(
    'abort',
    () => {
      for (const drop of inFlight) drop();
    },
    { once: true },
  );
  return {
    start(drop) {
      let dropped = false;
      const cancel = (): void => {
        inFlight.delete(cancel);
        dropped = true;
        drop();
      };
      inFlight.add(cancel);
      if (stop?.aborted) cancel();
      return () => {
        inFlight.delete(cancel);
        if (dropped) cancelled++;
        return dropped;
      };
    },
    get cancelled() {
      return cancelled;
    },
  };
};
