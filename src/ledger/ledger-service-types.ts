/** Options, counters and the request record of one world's ledger service (src/ledger/ledger-service.ts). */
import type { Store } from '../store/types.js';
import type { Catalogue } from './catalogue.js';
import type { TxRequest, TxResult } from './decide.js';
import type { RateLimitOptions } from './rate-limit.js';

/** Options of `LedgerService` (src/ledger/ledger-service.ts). */
export interface LedgerServiceOptions {
  store: Store;
  catalogue: Catalogue;
  worldId: string;
  /** Fencing token of this world's owner; every commit carries it when set. */
  fenceToken?: number;
  /** Wait this long (wall ms) after the first queued request before committing (default 2). */
  flushDelayMs?: number;
  /** Commit at once when this many requests are queued (default 512). */
  maxBatch?: number;
  /** Answer TX_UNAVAILABLE when a request is not committed within this (wall ms, default 2000). */
  deadlineMs?: number;
  /** Queued requests beyond this are answered TX_UNAVAILABLE at once (default 20,000). */
  maxQueued?: number;
  /** Per-player purchase rate limit (rewards are not limited). */
  rateLimit?: RateLimitOptions;
  /**
   * Whether a player's balance stays cached after a batch touched it (e.g. the player is still in
   * the world); default: every player stays. The cache is reloaded from the store on demand.
   */
  retain?: (playerId: string) => boolean;
  /** Wall clock (ms), injectable for tests. */
  now?: () => number;
  /** Called once when a commit is refused for a stale fencing token. */
  onFenced?: (err: unknown) => void;
  /** Called with a store failure that is neither retryable nor fencing (a bug); the batch got TX_UNAVAILABLE. */
  onError?: (err: unknown) => void;
}

/** Counters of a ledger service. */
export interface LedgerStats {
  submitted: number;
  /** Entries committed by this service (ok + recorded rejections). */
  committed: number;
  /** Store transactions that committed a batch. */
  batches: number;
  /** Largest batch committed. */
  maxBatch: number;
  replayed: number;
  /** Failed commit attempts retried. */
  retries: number;
  /** Results by rejection code. */
  rejected: Record<string, number>;
  fenced: boolean;
}

/** A queued or in-flight request of the ledger service (ledger-service.ts). */
export interface Pending {
  req: TxRequest;
  fp: string;
  deadline: number;
  resolve: (r: TxResult) => void;
  followers: Array<(r: TxResult) => void>;
  done: boolean;
}

/** Key of a request in the service's in-flight table: (player, idempotency key). */
export const refKey = (playerId: string, key: string): string => `${playerId}\u0000${key}`;
