/**
 * The cluster service's side of store fencing (src/server/cluster-service.ts, docs/CLUSTER.md):
 * a new lease owner announces its fencing token to the store once before the world steps or
 * writes, and a refusal tells it the store has seen a higher token than the coordinator handed
 * out (the coordinator lost its counter) — the lease is then given back and the next grant must
 * exceed the store's token.
 *
 * The announce waits at most `fenceLockWaitMs` for the world's fence row: a writer of the previous
 * owner paused in the middle of a fenced write (SIGSTOP, a long GC pause, a frozen VM) holds that
 * row's lock until it resumes, and the control tick that awaits the announce must not wait with it
 * (its other worlds' renewals would stop). Past the bound the store records nothing, the world is
 * not stepped (its token is not announced), and the next control tick tries again: counted
 * (`fenceLockTimeouts`), logged at the 1st, 10th, 100th… failure in a row of a world. The store then
 * ends the sessions of writers of the world under an older token (`endFencedOutWriters`, counted
 * `fenceWritersEnded`): a writer paused while still sending a statement holds the row, and no server
 * timeout ends it.
 *
 * The control tick waits for an announce at most {@link FenceAnnouncer.tickWaitMs} (`announceInTick`): the
 * fence-row wait and 100 ms, at least a sixth of the TTL. A store whose connection the network dropped silently
 * does not answer before its whole query timeout (5 s), and ticks never overlap: the next tick's grants and checks
 * would wait for it (the held leases are renewed meanwhile only by the interval's renewal pass, `renewHeldLeases`
 * in src/server/cluster-control-tick.ts; docs/CLUSTER.md "An instance cut off from the network"). Past
 * the bound the announce stays in flight, the world is not stepped and gets no write fence (its token is
 * not recorded), and a later tick takes the answer: one announce per world in flight at most, so a silent
 * store never holds a second. Logged at the 1st, 10th, 100th… tick in a row that stopped waiting.
 *
 * `onToken` (the world's ledger fence token) is told only of a token whose lease is still held here: an announce
 * answered after its lease was given back sets nothing.
 */
import { isWorldtickError } from '../errors.js';
import { isLoggedOccurrence } from '../log.js';
import { orphanScanWaitMs, settledWithin } from './cluster-stored.js';
import { fenceLockWaitMs, type ClusterCounters, type ClusterServiceOptions } from './cluster-types.js';

/** Time (ms) a control tick allows, past the fence-row wait, for the store's answer that the row stayed locked. */
const LOCK_ANSWER_MS = 100;

/** Why an announce was not recorded: the store refused the token, the fence row stayed locked past the bound, or the store was unavailable. */
export interface AnnounceFailure {
  readonly reason: string;
  readonly kind: 'refused' | 'locked' | 'unavailable';
}

/** Tokens announced to the store, and the tokens the store refused ours for, per world. A class: it owns these maps. */
export class FenceAnnouncer {
  readonly #o: ClusterServiceOptions;
  readonly #counters: ClusterCounters;
  readonly #lockWaitMs: number;
  /** Token announced to the store per world (only with `store`). */
  readonly #announced = new Map<string, number>();
  /** Highest token the store refused ours for, per world: the next grant must exceed it (coordinator lost its counter). */
  readonly #storeTokens = new Map<string, number>();
  /** Why the last announce of a world failed (a claim's error says it), and how; cleared when one succeeds. */
  readonly #failures = new Map<string, AnnounceFailure>();
  /** Announces in a row of a world that gave up waiting for its fence row. */
  readonly #lockStreaks = new Map<string, number>();
  /** Announces in a row of a world that failed with the store unavailable (down, or no pooled connection free in time). */
  readonly #downStreaks = new Map<string, number>();
  /** Control ticks in a row of a world that stopped waiting for its announce. */
  readonly #slowStreaks = new Map<string, number>();
  /** The announce in flight per world, with its token (one at a time). */
  readonly #inFlight = new Map<string, { token: number; run: Promise<boolean> }>();
  readonly #tickWaitMs: number;

  constructor(opts: ClusterServiceOptions, counters: ClusterCounters) {
    this.#o = opts;
    this.#counters = counters;
    this.#lockWaitMs = opts.fenceLockWaitMs ?? fenceLockWaitMs(opts.leaseTtlMs);
    // A row lock that times out is answered just after `lockWaitMs`: the tick takes that answer (no slow line too).
    this.#tickWaitMs = Math.max(orphanScanWaitMs(opts.leaseTtlMs), this.#lockWaitMs + LOCK_ANSWER_MS);
  }

  /** How long (ms) a control tick waits for an announce: {@link lockWaitMs} + 100, at least a sixth of the TTL (and 50). */
  get tickWaitMs(): number {
    return this.#tickWaitMs;
  }

  /** How long (ms) an announce waits for the world's fence row. */
  get lockWaitMs(): number {
    return this.#lockWaitMs;
  }

  /** The token last announced to the store for `worldId`, if any. */
  announced(worldId: string): number | undefined {
    return this.#announced.get(worldId);
  }

  /**
   * Whether an announce of `worldId` is in flight (sent, not answered yet). A takeover whose announce the store has
   * not answered within the tick's bound gives its lease back; the control tick does not take the world again while
   * this holds (docs/CLUSTER.md "A store that does not answer").
   */
  pending(worldId: string): boolean {
    return this.#inFlight.has(worldId);
  }

  /** The token a new grant of `worldId` must exceed (0: any). */
  minToken(worldId: string): number {
    return this.#storeTokens.get(worldId) ?? 0;
  }

  /** Why the last announce for `worldId` failed (undefined when it did not). */
  failure(worldId: string): string | undefined {
    return this.#failures.get(worldId)?.reason;
  }

  /** How the last announce for `worldId` failed, with the reason (undefined when it did not). */
  failureOf(worldId: string): AnnounceFailure | undefined {
    return this.#failures.get(worldId);
  }

  /** Forget what was announced for `worldId` (it was deleted or handed over here). */
  forget(worldId: string): void {
    this.#announced.delete(worldId);
    this.#storeTokens.delete(worldId);
    this.#failures.delete(worldId);
    this.#lockStreaks.delete(worldId);
    this.#downStreaks.delete(worldId);
    this.#slowStreaks.delete(worldId);
  }

  /**
   * Announce a token to the store once (new owners only); false: not recorded — refused (the world
   * stays stopped with that token), the fence row stayed locked past the bound, or the store was
   * unavailable (both tried again by the caller's next attempt: the next control tick).
   */
  async announce(worldId: string, token: number): Promise<boolean> {
    if (!this.#o.store || this.#announced.get(worldId) === token) return true;
    const flying = this.#inFlight.get(worldId);
    if (flying?.token === token) return flying.run;
    if (flying) {
      await flying.run.catch(() => false); // another token's: the store answers it first (one in flight)
      return this.announce(worldId, token);
    }
    const run: Promise<boolean> = this.#announceNow(worldId, token).finally(() => {
      if (this.#inFlight.get(worldId)?.run === run) this.#inFlight.delete(worldId);
    });
    this.#inFlight.set(worldId, { token, run });
    return run;
  }

  /**
   * {@link announce} for the control tick: waits at most {@link tickWaitMs}; false when not recorded yet
   * (the announce goes on in flight, a later call takes its answer), as well as when not recorded.
   */
  async announceInTick(worldId: string, token: number): Promise<boolean> {
    if (!this.#o.store || this.#announced.get(worldId) === token) return true;
    const r = await settledWithin(this.announce(worldId, token), this.#tickWaitMs);
    if (r !== null) return r;
    const ticks = (this.#slowStreaks.get(worldId) ?? 0) + 1;
    this.#slowStreaks.set(worldId, ticks);
    if (isLoggedOccurrence(ticks))
      this.#o.logger.warn(
        { world: worldId, fencingToken: token, waitMs: this.#tickWaitMs, ticks },
        'cluster: fencing token not announced yet: the store has not answered; the world does not step until it does',
      );
    return false;
  }

  async #announceNow(worldId: string, token: number): Promise<boolean> {
    const store = this.#o.store;
    if (!store) return true;
    try {
      await store.fence({ worldId, token }, { lockWaitMs: this.#lockWaitMs });
      // Noted only while the lease of that token is still held here: a world deleted (its lease given back)
      // while the store answered would otherwise stay noted for good.
      const held = this.#o.coordinator.heldLease(worldId)?.fencingToken === token;
      if (held) this.#announced.set(worldId, token);
      this.#storeTokens.delete(worldId); // the coordinator's counter is past the store's token now
      this.#failures.delete(worldId);
      this.#downStreaks.delete(worldId);
      this.#slowStreaks.delete(worldId);
      const streak = this.#lockStreaks.get(worldId);
      if (streak !== undefined) {
        this.#lockStreaks.delete(worldId);
        this.#o.logger.info(
          { world: worldId, fencingToken: token, failures: streak },
          'cluster: fencing token announced after waiting for the fence row',
        );
      }
      // A late answer (the lease given back, maybe held elsewhere now) must not set a stale token on the world's ledger.
      if (held) this.#o.onToken?.(worldId, token);
      return true;
    } catch (err) {
      if (isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE') && Reflect.get(Object(err.details), 'reason') === 'busy') {
        this.#lockTimedOut(worldId, token, err);
        await this.#endFencedOutWriters(worldId, token);
        return false;
      }
      if (isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')) {
        // Not a refusal: the store did not answer (down, or every pooled connection busy past the wait).
        this.#storeUnavailable(worldId, token, err);
        return false;
      }
      this.#counters.fenceRefusals++;
      this.#failures.set(worldId, { reason: `the store refused fencing token ${token}`, kind: 'refused' });
      this.#o.logger.warn({ world: worldId, fencingToken: token, err }, 'cluster: the store refused the fencing token; not stepping');
      // The store has seen a higher token than the coordinator hands out for the lease we hold: the
      // coordinator lost its counter (Redis restarted without its data). Give the lease back; the
      // next grant (any instance's) is re-seeded above the store's token, so the world steps again.
      const current = isWorldtickError(err, 'WT_ERR_STORE_FENCED') ? Number(Reflect.get(Object(err.details), 'current')) : Number.NaN;
      const held = this.#o.coordinator.heldLease(worldId);
      if (Number.isSafeInteger(current) && current > token && held?.fencingToken === token) {
        this.#storeTokens.set(worldId, Math.max(current, this.#storeTokens.get(worldId) ?? 0));
        await this.#o.coordinator.release(worldId, this.#o.instanceId).catch(() => false);
      }
      return false;
    }
  }

  /**
   * After an announce gave up on the fence row: end the store sessions of writers of this world
   * under an older token (the previous owner, fenced out by our grant). One paused while still
   * sending a statement is not idle in the server's sense, so nothing else ends it before it resumes.
   * The next control tick's announce then finds the row free. Counted and logged per session ended.
   */
  async #endFencedOutWriters(worldId: string, token: number): Promise<void> {
    const end = this.#o.store?.endFencedOutWriters;
    if (!end) return;
    try {
      const ended = await end.call(this.#o.store, worldId, token);
      for (const w of ended) {
        this.#counters.fenceWritersEnded++;
        this.#o.logger.warn(
          { world: worldId, fencingToken: token, writerToken: w.token, pid: w.pid, state: w.state, waitEvent: w.waitEvent },
          "cluster: ended the store session of a fenced-out writer holding the world's fence row",
        );
      }
    } catch (err) {
      if (!isLoggedOccurrence(this.#lockStreaks.get(worldId) ?? 1)) return;
      this.#o.logger.warn({ world: worldId, fencingToken: token, err }, 'cluster: could not end the sessions of fenced-out writers');
    }
  }

  /**
   * The store was unavailable (its own metrics count the outage): nothing recorded, not a refusal (no
   * `fenceRefusals`); tried again by the next attempt. Logged at the 1st, 10th, 100th… failure in a row.
   */
  #storeUnavailable(worldId: string, token: number, err: Error): void {
    const failures = (this.#downStreaks.get(worldId) ?? 0) + 1;
    this.#downStreaks.set(worldId, failures);
    this.#failures.set(worldId, { reason: `the store could not record fencing token ${token} (${err.message})`, kind: 'unavailable' });
    if (!isLoggedOccurrence(failures)) return;
    this.#o.logger.warn(
      { world: worldId, fencingToken: token, failures, err: err.message },
      'cluster: fencing token not announced: the store is unavailable',
    );
  }

  /** The fence row stayed locked past the bound: nothing recorded; counted, logged at the 1st, 10th, 100th… in a row. */
  #lockTimedOut(worldId: string, token: number, err: Error): void {
    this.#counters.fenceLockTimeouts++;
    const failures = (this.#lockStreaks.get(worldId) ?? 0) + 1;
    this.#lockStreaks.set(worldId, failures);
    this.#failures.set(worldId, {
      reason: `the store did not record fencing token ${token} within ${this.#lockWaitMs} ms: the world's fence row is locked by another writer (a previous owner paused mid-write?)`,
      kind: 'locked',
    });
    if (!isLoggedOccurrence(failures)) return;
    this.#o.logger.warn(
      { world: worldId, fencingToken: token, reason: 'busy', lockWaitMs: this.#lockWaitMs, failures, err: err.message },
      'cluster: fencing token not announced: the fence row is locked by another writer',
    );
  }
}
