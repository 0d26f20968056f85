/**
 * When the cluster's control tick runs (src/server/cluster-service.ts): every interval, one at a time. A kick
 * while a tick runs joins it. An interval that fires while a tick runs (a store that does not answer makes a
 * tick wait up to its bounds, longer than the interval: docs/CLUSTER.md "A store that does not answer") starts
 * the next tick as soon as that one ends: otherwise the next lease renewal would wait for the interval after
 * it, two intervals from the last, and a lease of TTL/3 ticks would lapse with a fifth of the TTL of delay. It
 * also calls `whileOverdue` then: the leases whose step is done are renewed without waiting for the tick.
 */
export class ControlTickTimer {
  readonly #run: () => Promise<void>;
  readonly #whileOverdue: () => Promise<void>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  readonly #overduePasses = new Set<Promise<void>>(); // `whileOverdue` calls in flight
  #overdue = false; // the interval fired while a tick ran: the next starts when it ends
  #stopped = false;

  /**
   * `whileOverdue` is called each time the interval fires while a tick still runs (the cluster service renews the
   * leases whose own step is done meanwhile: one slow world does not hold the others' renewal).
   */
  constructor(run: () => Promise<void>, whileOverdue: () => Promise<void> = async () => {}) {
    this.#run = run;
    this.#whileOverdue = whileOverdue;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Tick every `intervalMs` from now (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      if (this.#running) {
        this.#overdue = true;
        const pass: Promise<void> = this.#whileOverdue()
          .catch(() => undefined)
          .finally(() => this.#overduePasses.delete(pass));
        this.#overduePasses.add(pass);
      } else void this.kick();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Run a tick now, unless one is running (then its promise); nothing once stopped. */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#running ?? this.#tick();
  }

  /** No tick starts from now; resolves once the running one (and a `whileOverdue` call in flight) ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all([this.#running, ...this.#overduePasses]);
  }

  #tick(): Promise<void> {
    const run = this.#run().finally(() => {
      this.#running = null;
      if (this.#overdue && !this.#stopped) {
        this.#overdue = false;
        void this.#tick();
      }
    });
    this.#running = run;
    return run;
  }
}
