/**
 * The process-wide bound on join work: at most `net.maxJoinsPerSecond` joins start per wall second
 * in all the worlds one game server serves together (one game server per process: src/server/runtime.ts),
 * on top of each world's `net.maxJoinsPerStep` (join-admission.ts). The per-world bound alone lets a
 * join storm spread over N worlds, all stepping on one event loop, start N times the join work it
 * was sized for; this one keeps the whole process at what one world gets (16 per 50 ms step = 320 a
 * second, the default). docs/PROTOCOL.md "Join admission".
 *
 * A token bucket on wall time (join admission is operational work: DESIGN.md "Time"): it refills
 * `maxJoinsPerSecond` tokens a second up to {@link JOIN_BURST_SECONDS} of them (32 at the default),
 * and a join takes one. So from any instant t0, the joins started by t are at most
 * `burst + maxJoinsPerSecond × (t − t0)`. Which world gets a token is join-admission.ts's business
 * (round robin over the worlds with hellos waiting). A plain class: it owns its count.
 */

/** Wall seconds of `maxJoinsPerSecond` the bucket holds when full: two 20 Hz steps' worth (32 joins at 320 a second). */
export const JOIN_BURST_SECONDS = 0.1;

/** The joins-per-second bucket of one game server (`maxJoinsPerSecond` 0: no bound, every `take` succeeds). */
export class JoinRate {
  /** Joins a wall second (0 = off). */
  readonly perSecond: number;
  /** Most tokens held (joins that may start at once after a quiet spell). */
  readonly burst: number;
  #tokens: number;
  /** performance.now() of the last refill. */
  #at: number;

  constructor(perSecond: number, now = performance.now()) {
    this.perSecond = perSecond;
    this.burst = perSecond > 0 ? Math.max(1, Math.ceil(perSecond * JOIN_BURST_SECONDS)) : 0;
    this.#tokens = this.burst;
    this.#at = now;
  }

  /** Whether the bound is on (`maxJoinsPerSecond` > 0). */
  get on(): boolean {
    return this.perSecond > 0;
  }

  /** Take a token for one join at `now` (performance.now() ms): false when the bound is reached (the join waits). */
  take(now: number): boolean {
    if (this.perSecond === 0) return true;
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.perSecond) / 1000);
      this.#at = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
