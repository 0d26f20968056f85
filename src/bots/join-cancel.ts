/**
 * Joins in flight cancelled by a stop (docs/BOTS.md "Stopping a run"): when the fleet's stop signal is
 * aborted (a SIGINT or SIGTERM, or the coordinator's `stop` over IPC), every join not yet welcomed has
 * its socket dropped at once (terminated: no close handshake to wait for on a slow server), so the
 * ramp — or an influx or churn join of the window — ends now instead of at its join timeout. Such a
 * join is counted apart (`cancelledJoins`): it is neither a join failure nor a bot that joined, so
 * never a disconnect. Nothing of it is left: its timer ends with its socket's close. A bot the stop
 * finds welcomed already leaves instead ({@link cancelJoin}): the server removes its player at its
 * next step rather than parking it for `resumeGraceSeconds` (docs/PROTOCOL.md "Leaving").
 */
import type { WorldtickClient } from '../client/client.js';
import { dropSocket } from '../client/close-bound.js';
import type { LightBot } from './light-bot.js';

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

/** What {@link cancelJoin} needs of a bot (full client or light bot). */
interface CancellableBot {
  /** Its socket is open and welcomed: the server holds a player for it. */
  readonly welcomed: boolean;
  /** Send `leave` and close (the server removes the player at its next step, not parked). */
  leave(): unknown;
  /** Drop the socket at once, without a close handshake. */
  drop(): void;
}

/**
 * Cancel one bot's join: welcomed already, it leaves (its player removed at the server's next step,
 * never parked: nothing of the cancelled join is left for 30 s); not yet, its socket is dropped at once
 * (the server spawns nothing for a join whose socket closed before its step applied it).
 */
const cancelJoin = (bot: CancellableBot): void => {
  if (bot.welcomed) void bot.leave();
  else bot.drop();
};

/** {@link cancelJoin} of a full client's join (the fleet's `WorldtickClient`). */
export const cancelClientJoin = (c: WorldtickClient): void =>
  cancelJoin({
    welcomed: c.open && c.welcome !== null,
    leave: () => c.leave(),
    drop: () => {
      const s = c.socket;
      if (s) dropSocket(s, 1000, 'join cancelled');
    },
  });

/** {@link cancelJoin} of a light bot's join. */
export const cancelLightJoin = (c: LightBot): void =>
  cancelJoin({ welcomed: c.welcomed, leave: () => c.leave(), drop: () => c.close(true) });

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
