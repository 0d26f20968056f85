/**
 * The client's silence watch (`ClientOptions.silenceTimeoutMs`): a connection whose peer vanished
 * without a FIN or RST — a dropped Wi-Fi, a sleeping laptop, a NAT that forgot the flow — never
 * fires a close event on its own (TCP waits minutes; a browser's WebSocket has no timeout), so a
 * client that waits for one waits forever. Every server message counts as a sign of life; after
 * half the limit without one the watch sends a `ping` (a paused world sends no snapshots, but it
 * answers pings), and after the whole limit it gives the socket up.
 */

/** A running watch of one socket. */
export interface SilenceWatch {
  /** A message arrived. */
  heard(): void;
  stop(): void;
}

/**
 * Watch a socket: `ping()` after `limitMs / 2` of silence, `lost(quietMs)` (once) after `limitMs`.
 * Checks every `limitMs / 4` wall ms (the loss is seen within 1.25 × `limitMs`). `limitMs <= 0`: no
 * watch (null).
 */
export const watchSilence = (limitMs: number, ping: () => void, lost: (quietMs: number) => void): SilenceWatch | null => {
  if (limitMs <= 0) return null;
  let last = Date.now();
  const timer = setInterval(() => {
    const quiet = Date.now() - last;
    if (quiet >= limitMs) {
      clearInterval(timer);
      lost(quiet);
    } else if (quiet >= limitMs / 2) ping();
  }, limitMs / 4);
  return {
    heard: () => {
      last = Date.now();
    },
    stop: () => clearInterval(timer),
  };
};
