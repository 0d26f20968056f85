/**
 * The bots' receive-side lag: how late a 1 ms interval timer fires in a bots process. A timer
 * due while the event loop is busy (reading and handling other sockets' frames, sending inputs)
 * fires only when that work is done, so its lateness is how long a frame that became readable at
 * that moment waited before its handler ran — the part of the measured update latency that the
 * load generator adds on top of the server and the network. Wall milliseconds, recorded in an HDR
 * histogram like the latencies (mergeable over processes). Node's timers have 1 ms granularity,
 * so an idle loop records 0–1 ms.
 */
import { recordMs, type LatencyHistogram } from './histogram.js';

/** A running sampler; `stop()` clears its timer. */
export interface LoopDelaySampler {
  stop(): void;
}

/** Every `periodMs` (default 1), record into `h` how many ms after its due time the timer ran, while `measuring()`. */
export const startLoopDelay = (h: LatencyHistogram, measuring: () => boolean, periodMs = 1): LoopDelaySampler => {
  let due = performance.now() + periodMs;
  const timer = setInterval(() => {
    const now = performance.now();
    if (measuring()) recordMs(h, now - due);
    due = now + periodMs;
  }, periodMs);
  return { stop: () => clearInterval(timer) };
};
