/**
 * What one coordinator handle knows locally about the leases it holds: the fencing token and
 * how long it can still *prove* ownership.
 *
 *   sentAt ──request──▶ backend applies at t ≥ sentAt, lease expires at t + ttl (backend clock)
 *   validUntil = sentAt + ttl − margin   ≤   t + ttl − margin   <   expiry
 *
 * Measuring from the send time (not the reply) means a slow reply never extends validity, and
 * the margin absorbs clock-rate differences between this host and the backend. A reply that
 * never comes changes nothing: the previous validity lapses on its own. A later grant with a
 * shorter ttl shortens validity (the backend's expiry shrank too).
 */
import type { HeldLease } from './coordinator.js';
import { optionInvalid } from '../errors.js';

/** Safety margin options (ms). The margin is `fixedMs + ttl × driftFactor` (Redlock's formula). */
export interface SafetyMargin {
  /** Constant part, ms (network jitter, timer granularity). Default 2. */
  readonly fixedMs: number;
  /** Proportional part: bound on the relative clock-rate difference. Default 0.01. */
  readonly driftFactor: number;
}

/** Default safety margin. */
export const DEFAULT_SAFETY_MARGIN: SafetyMargin = { fixedMs: 2, driftFactor: 0.01 };

/** Smallest and largest lease / presence TTL accepted (ms). */
export const TTL_BOUNDS = { minMs: 10, maxMs: 24 * 3600 * 1000 } as const;

/** Validates a TTL argument; throws WT_ERR_OPTION_INVALID naming the parameter. */
export const checkTtl = (name: string, ttlMs: number): void => {
  if (!Number.isInteger(ttlMs) || ttlMs < TTL_BOUNDS.minMs || ttlMs > TTL_BOUNDS.maxMs) {
    throw optionInvalid([`${name} must be an integer between ${TTL_BOUNDS.minMs} and ${TTL_BOUNDS.maxMs} (ms)`]);
  }
};

/** Validates an id argument (world or instance id): 1–200 characters. */
export const checkId = (name: string, id: string): void => {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw optionInvalid([`${name} must be a non-empty string of at most 200 characters`]);
  }
};

/** Validates the arguments of a lease call (acquire, renew): world id, instance id, TTL (ms). */
/** `minToken` of an acquire: a non-negative safe integer. */
export const checkMinToken = (minToken: number): void => {
  if (!Number.isSafeInteger(minToken) || minToken < 0) throw optionInvalid([`minToken must be an integer >= 0 (got ${String(minToken)})`]);
};

export const checkLeaseArgs = (worldId: string, instanceId: string, ttlMs: number): void => {
  checkId('worldId', worldId);
  checkId('instanceId', instanceId);
  checkTtl('ttlMs', ttlMs);
};

/** Validates safety margin options. */
export const checkSafetyMargin = (m: SafetyMargin): void => {
  const problems: string[] = [];
  if (!Number.isFinite(m.fixedMs) || m.fixedMs < 0) problems.push('safetyMargin.fixedMs must be a number >= 0');
  if (!Number.isFinite(m.driftFactor) || m.driftFactor < 0 || m.driftFactor >= 0.5) {
    problems.push('safetyMargin.driftFactor must be a number in [0, 0.5)');
  }
  if (problems.length > 0) throw optionInvalid(problems);
};

/** The local lease book of one coordinator handle. */
export interface LeaseBook {
  /** Margin (ms) subtracted for a lease of `ttlMs`. */
  marginFor(ttlMs: number): number;
  /** Validity a grant would give if the request was sent at `sentAt`. */
  validityFor(sentAt: number, ttlMs: number): number;
  /**
   * An acquire/renew of `worldId` is being sent: the world's epoch, passed back to {@link granted};
   * call {@link end} once its reply was handled or it failed. Every {@link lost} while a request is
   * in flight starts a new epoch, so a grant whose request was sent before a release, handover or
   * refusal is ignored when its reply lands after it. Epochs come from one counter of the book and
   * are kept only while a request of the world is in flight: the book keeps nothing of a world
   * that holds no lease and has no request out (a deleted world leaves no entry behind).
   */
  begin(worldId: string): number;
  /** The request {@link begin} counted is over (its reply handled, or it failed). */
  end(worldId: string): void;
  /**
   * Records a successful acquire/renew sent at `sentAt` (in `epoch`, from {@link begin}). The newest grant replaces the old one
   * even when it is shorter: the backend's expiry is now the newest request's. (Grants arrive in
   * the order they were applied: one connection, replies in order.)
   */
  granted(worldId: string, instanceId: string, fencingToken: number, sentAt: number, ttlMs: number, epoch: number): number;
  /** Forgets the lease if `instanceId` held it here (refused, released, handed over). */
  lost(worldId: string, instanceId: string): void;
  validUntil(worldId: string): number | null;
  held(worldId: string): HeldLease | null;
}

/** Creates an empty lease book. */
export const createLeaseBook = (margin: SafetyMargin): LeaseBook => {
  const leases = new Map<string, HeldLease>();
  /** Per world with requests in flight: how many, and the epoch they must still be in for a grant to count. */
  const inFlight = new Map<string, { n: number; epoch: number }>();
  let lastEpoch = 0; // one counter for every world: an epoch is never reused, even after its world's entry went
  const marginFor = (ttlMs: number): number => margin.fixedMs + ttlMs * margin.driftFactor;
  const validityFor = (sentAt: number, ttlMs: number): number => sentAt + ttlMs - marginFor(ttlMs);
  return {
    marginFor,
    validityFor,
    begin(worldId) {
      let e = inFlight.get(worldId);
      if (!e) inFlight.set(worldId, (e = { n: 0, epoch: ++lastEpoch }));
      e.n++;
      return e.epoch;
    },
    end(worldId) {
      const e = inFlight.get(worldId);
      if (e && --e.n <= 0) inFlight.delete(worldId);
    },
    granted(worldId, instanceId, fencingToken, sentAt, ttlMs, epoch) {
      // Replace, never max(): the backend applied this request last (one ordered connection),
      // so its expiry is this request's — shorter than before if the ttl shrank.
      const validUntil = validityFor(sentAt, ttlMs);
      if (inFlight.get(worldId)?.epoch === epoch) leases.set(worldId, { worldId, instanceId, fencingToken, validUntil });
      return validUntil;
    },
    lost(worldId, instanceId) {
      if (leases.get(worldId)?.instanceId === instanceId || !leases.has(worldId)) {
        leases.delete(worldId);
        const e = inFlight.get(worldId);
        if (e) e.epoch = ++lastEpoch; // the requests out now were sent before the loss: their grants do not count
      }
    },
    validUntil: (worldId) => leases.get(worldId)?.validUntil ?? null,
    held: (worldId) => leases.get(worldId) ?? null,
  };
};
