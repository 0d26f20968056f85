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
   * The world's epoch, read when an acquire/renew is sent and passed back to {@link granted}.
   * Every {@link lost} starts a new epoch, so a grant whose request was sent before a release,
   * handover or refusal is ignored when its reply lands after it.
   */
  epoch(worldId: string): number;
  /**
   * Records a successful acquire/renew sent at `sentAt` (in `epoch`). The newest grant replaces the old one
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
  const epochs = new Map<string, number>();
  const marginFor = (ttlMs: number): number => margin.fixedMs + ttlMs * margin.driftFactor;
  const validityFor = (sentAt: number, ttlMs: number): number => sentAt + ttlMs - marginFor(ttlMs);
  return {
    marginFor,
    validityFor,
    epoch: (worldId) => epochs.get(worldId) ?? 0,
    granted(worldId, instanceId, fencingToken, sentAt, ttlMs, epoch) {
      // Replace, never max(): the backend applied this request last (one ordered connection),
      // so its expiry is this request's — shorter than before if the ttl shrank.
      const validUntil = validityFor(sentAt, ttlMs);
      if (epoch === (epochs.get(worldId) ?? 0)) leases.set(worldId, { worldId, instanceId, fencingToken, validUntil });
      return validUntil;
    },
    lost(worldId, instanceId) {
      if (leases.get(worldId)?.instanceId === instanceId || !leases.has(worldId)) {
        leases.delete(worldId);
        epochs.set(worldId, (epochs.get(worldId) ?? 0) + 1);
      }
    },
    validUntil: (worldId) => leases.get(worldId)?.validUntil ?? null,
    held: (worldId) => leases.get(worldId) ?? null,
  };
};
