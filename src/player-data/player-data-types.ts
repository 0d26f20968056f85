/**
 * Types and limits of player data shared by the service (player-data-service.ts), the game API
 * (src/game/player-data.ts) and the admin routes (src/admin/routes-player-data.ts).
 */
import type { PlayerDataCodeValue } from '../errors.js';
import type { PlayerDataKeyInfo, PlayerDataLimits, Store } from '../store/types.js';

/** Limits of player data (per value: checked at the call; per player: in the store's transaction). */
export const PLAYER_DATA_LIMITS = {
  /** Longest key (characters of `A-Z a-z 0-9 _ . : -`). */
  maxKeyLength: 64,
  /** Largest value: UTF-8 bytes of its JSON text. */
  maxValueBytes: 64 * 1024,
  /** Sum of a player's values (UTF-8 bytes of their JSON texts). */
  maxBytesPerPlayer: 256 * 1024,
  /** Keys of one player. */
  maxKeysPerPlayer: 100,
  /** Deleted keys (tombstones) kept per player beyond `maxKeysPerPlayer`: past them a new key is refused. */
  maxDeletedKeysPerPlayer: 1000,
} as const;

/**
 * Why a call was answered `PD_UNAVAILABLE`: `no-store` (a world outside a server), `closed` (the
 * service is closing), `queue-full` (`maxQueued` calls or `maxQueuedBytes` queued: refused at once,
 * nothing sent), `deadline` (the store failed for longer than `retryDeadlineMs` since the call — a
 * write answered so was never attempted, or its last attempt failed: on PostgreSQL a COMMIT whose
 * answer was lost may have landed, load to see), `store-error` (a failure that is not worth a retry:
 * the store is closed, or a bug, reported to `onError`).
 */
export type PlayerDataUnavailableReason = 'no-store' | 'closed' | 'queue-full' | 'deadline' | 'store-error';

/** Answer of a player-data call. `version` 0 means "never written". */
export type PlayerDataResult =
  | {
      status: 'ok';
      key: string;
      /** Load: the stored value (undefined when none). Save: the value saved. Delete: undefined. */
      value: unknown;
      /** Load: the stored version (0: never written; after a delete, the delete's). Save, delete: the new version. */
      version: number;
    }
  | {
      status: 'rejected';
      key: string;
      code: PlayerDataCodeValue;
      /** `PD_VERSION_STALE`, `PD_VALUE_UNREADABLE`: the stored version (0: never written). */
      version?: number;
      /** `PD_UPDATE_FAILED`: what the update threw, or why its value was refused. */
      problem?: string;
      /** `PD_UNAVAILABLE`: why (see {@link PlayerDataUnavailableReason}). */
      reason?: PlayerDataUnavailableReason;
    };

/** A `PD_UNAVAILABLE` answer of an admin call (list, forget). */
export interface PlayerDataUnavailable {
  status: 'rejected';
  code: 'PD_UNAVAILABLE';
  reason: PlayerDataUnavailableReason;
}

/** Answer of {@link PlayerDataService.list}: every row of the player, live keys and tombstones, by key. */
export type PlayerDataListResult = { status: 'ok'; playerId: string; keys: PlayerDataKeyInfo[] } | PlayerDataUnavailable;

/** Answer of {@link PlayerDataService.forget}: the keys deleted (tombstoned) and their new versions. */
export type PlayerDataForgetResult =
  | { status: 'ok'; playerId: string; keys: Array<{ key: string; version: number }> }
  | PlayerDataUnavailable;

/** Options of {@link PlayerDataService}. */
export interface PlayerDataServiceOptions {
  store: Store;
  /** Wait this long (wall ms) after the first queued call before committing (default 2). */
  flushDelayMs?: number;
  /** Operations per transaction at most (default 64: ≈ 1 ms of SQLite commit on the loop, tens of thousands of saves a second). */
  maxBatch?: number;
  /**
   * Bytes of values per transaction, about (a batch closes before the value that would pass it;
   * default 256 KiB). A batch that writes also stops after the load or listing whose answers pass
   * it (they are recorded with the batch, for a retry: docs/DURABILITY.md "Store outages"); the calls
   * after it run in the next batch.
   */
  maxBatchBytes?: number;
  /** Calls queued or in the batch being committed beyond this are answered `PD_UNAVAILABLE` (`queue-full`) at once (default 10,000). */
  maxQueued?: number;
  /**
   * Bytes of values (JSON text) queued or in the batch being committed beyond this are answered
   * `PD_UNAVAILABLE` (`queue-full`) at once (default 32 MiB): 10,000 calls of 64 KiB values would
   * otherwise hold ≈ 640 MB while the store is down.
   */
  maxQueuedBytes?: number;
  /**
   * A call is retried while the store is unavailable for at most this long (wall ms from the call;
   * default 30,000, at most 300,000); then it is answered `PD_UNAVAILABLE` (`deadline`).
   */
  retryDeadlineMs?: number;
  /** First wait before a retry (wall ms, default 20), doubling up to `retryMaxMs` (default 1,000); each ×0.5–1.5 at random. */
  retryFirstMs?: number;
  retryMaxMs?: number;
  /** After `close`, a batch the store refuses is retried at most this much longer (wall ms, default 2,000). */
  closeGraceMs?: number;
  /** Per-player limits (default {@link PLAYER_DATA_LIMITS}). */
  limits?: PlayerDataLimits;
  /** Called with a store failure that is not a coded store error (a bug); the batch was answered PD_UNAVAILABLE. */
  onError?: (err: unknown) => void;
  /**
   * Called when the store fails an attempt after a success (`down`, with the error) and when it
   * takes a batch again (`up`: the outage's wall ms, the retries made and the calls answered
   * `deadline` meanwhile): one pair per outage, for log lines.
   */
  onOutage?: (event: { state: 'down'; err: unknown } | { state: 'up'; ms: number; retries: number; expired: number }) => void;
}

/** Counters of a player-data service. */
export interface PlayerDataStats {
  loads: number;
  saves: number;
  deletes: number;
  /** Admin listings and "forget player" calls. */
  lists: number;
  forgets: number;
  /** Store transactions (batches) committed. */
  batches: number;
  /** Largest batch run (operations). */
  maxBatch: number;
  /** Refusals by code. */
  rejected: Record<string, number>;
  /** `PD_UNAVAILABLE` answers by reason. */
  unavailable: Record<string, number>;
  /** Store attempts that failed (every failure, retried or not). */
  storeFailures: number;
  /** Attempts re-run after a failure (the same batch, same id: exactly once). */
  retries: number;
  /** Batches that committed after at least one failed attempt. */
  recoveredBatches: number;
  /** Calls in a batch waiting for the store to come back, now (a gauge). */
  retrying: number;
  /** Wall ms of the longest outage seen (first failed attempt to the next commit). */
  longestOutageMs: number;
}
