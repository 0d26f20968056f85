/** Options, counters and the request record of one world's ledger service (src/ledger/ledger-service.ts). */
import type { Store } from '../store/types.js';
import type { Catalogue } from './catalogue.js';
import type { TxRequest, TxResult } from './decide.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { RefusalBudgetOptions } from './refusal-budget.js';

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
   * Per-player budget of recorded refusals (`TX_INSUFFICIENT_FUNDS` rows): past it a refusal is
   * answered unrecorded (`seq` null) and the same key is decided again (src/ledger/refusal-budget.ts).
   */
  recordedRefusals?: RefusalBudgetOptions;
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
  /** Of `retries`: batches decided on a balance another writer had moved (the same player's entry committed by another world or instance), decided again after a reload. */
  staleBatches: number;
  /**
   * Batches refused `WT_ERR_LEDGER_DAMAGED` (a player's balance damaged beyond a rebuild from its entries): that player's
   * requests answered `TX_UNAVAILABLE`, the rest committed again.
   */
  damagedBatches: number;
  /** Results by rejection code. */
  rejected: Record<string, number>;
  /** `TX_INSUFFICIENT_FUNDS` refusals written to the ledger (within the player's refusal budget; included in `committed`). */
  refusalsRecorded: number;
  /** `TX_INSUFFICIENT_FUNDS` refusals answered without a ledger row (the player's refusal budget was spent). */
  refusalsUnrecorded: number;
  /** The player whose purchase was refused `TX_RATE_LIMITED` last, and when (epoch ms): who a purchase storm comes from. */
  lastRateLimited: { playerId: string; atMs: number } | null;
  /** Store reads that started a player's refusal budget from its stored refusals (one per player new to the service's budget). */
  refusalBudgetReads: number;
  fenced: boolean;
}

/** Zeroed counters of a ledger service. */
export const zeroLedgerStats = (): LedgerStats => ({
  submitted: 0,
  committed: 0,
  batches: 0,
  maxBatch: 0,
  replayed: 0,
  retries: 0,
  staleBatches: 0,
  damagedBatches: 0,
  rejected: {},
  refusalsRecorded: 0,
  refusalsUnrecorded: 0,
  lastRateLimited: null,
  refusalBudgetReads: 0,
  fenced: false,
});

/** A queued or in-flight request of the ledger service (ledger-service.ts). */
export interface Pending {
  req: TxRequest;
  fp: string;
  deadline: number;
  resolve: (r: TxResult) => void;
  followers: Array<(r: TxResult) => void>;
  done: boolean;
  /** A token of the refusal budget was taken for it (a retried batch decides it again without taking another). */
  refusalCharged?: boolean;
}

/** Key of a request in the service's in-flight table: (player, idempotency key). */
export const refKey = (playerId: string, key: string): string => `${playerId}\u0000${key}`;
