/**
 * Player data: small JSON values per (durable player id, key), group-committed to the store
 * (docs/GAME-API.md "Player data", docs/DURABILITY.md "Player data"). One service per runtime,
 * shared by its worlds (a world's slot points at it).
 *
 *   load / save / delete ──► queue ──(flushDelayMs, or maxBatch ops, or maxBatchBytes)──► batch
 *        batch ──► store.applyPlayerData(ops)   (ONE transaction, in queue order, one fsync)
 *        each promise resolves after that commit: `ok` means durable
 *
 * Why batched and bounded: better-sqlite3 is synchronous, so a commit blocks the event loop for its
 * statements and its fsync. Many calls share one transaction (one fsync), and a batch holds at most
 * `maxBatch` operations and about `maxBatchBytes` of values, so one commit stays short; batches run
 * one after another, with a turn of the event loop between them. A store failure answers the whole
 * batch `PD_UNAVAILABLE` (no retry here: on PostgreSQL a COMMIT whose answer was lost may have
 * landed, and a retried conditional save would then be refused as stale — the game loads and
 * decides). Nothing throws after the call returned.
 */
import { isWorldtickError, PlayerDataCode, type PlayerDataCodeValue } from '../errors.js';
import type { PlayerDataLimits, PlayerDataOp, PlayerDataOpResult, Store } from '../store/types.js';

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
      /** `PD_VERSION_STALE`: the stored version (0: never written). */
      version?: number;
      /** `PD_UPDATE_FAILED`: what the update threw, or why its value was refused. */
      problem?: string;
    };

/** Options of {@link PlayerDataService}. */
export interface PlayerDataServiceOptions {
  store: Store;
  /** Wait this long (wall ms) after the first queued call before committing (default 2). */
  flushDelayMs?: number;
  /** Operations per transaction at most (default 64: ≈ 1 ms of SQLite commit on the loop, tens of thousands of saves a second). */
  maxBatch?: number;
  /** Bytes of values per transaction, about (a batch closes before the value that would pass it; default 256 KiB). */
  maxBatchBytes?: number;
  /** Queued calls beyond this are answered `PD_UNAVAILABLE` at once (default 10,000). */
  maxQueued?: number;
  /**
   * Bytes of queued values (JSON text) beyond this are answered `PD_UNAVAILABLE` at once (default
   * 32 MiB): 10,000 calls of 64 KiB values would otherwise hold ≈ 640 MB while the store is slow.
   */
  maxQueuedBytes?: number;
  /** Per-player limits (default {@link PLAYER_DATA_LIMITS}). */
  limits?: PlayerDataLimits;
  /** Called with a store failure that is not a coded store error (a bug); the batch was answered PD_UNAVAILABLE. */
  onError?: (err: unknown) => void;
}

/** Counters of a player-data service. */
export interface PlayerDataStats {
  loads: number;
  saves: number;
  deletes: number;
  /** Store transactions (batches) run. */
  batches: number;
  /** Largest batch run (operations). */
  maxBatch: number;
  /** Refusals by code. */
  rejected: Record<string, number>;
}

interface Queued {
  op: PlayerDataOp;
  /** What a successful save answers as `value` (the caller's value, not re-parsed). */
  saved: unknown;
  bytes: number;
  resolve: (r: PlayerDataResult) => void;
}

/** The player-data service of a runtime. Owns a timer: {@link close} it. */
export class PlayerDataService {
  private readonly store: Store;
  private readonly flushDelayMs: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  /** Bytes of the values queued now. */
  private queuedBytes = 0;
  private readonly limits: PlayerDataLimits;
  private readonly onError: ((err: unknown) => void) | undefined;
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly counters: PlayerDataStats = { loads: 0, saves: 0, deletes: 0, batches: 0, maxBatch: 0, rejected: {} };

  constructor(options: PlayerDataServiceOptions) {
    this.store = options.store;
    this.flushDelayMs = options.flushDelayMs ?? 2;
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.maxBatchBytes = Math.max(1, options.maxBatchBytes ?? 256 * 1024);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.limits = options.limits ?? PLAYER_DATA_LIMITS;
    this.onError = options.onError;
  }

  /** The stored value of (player, key). Arguments are validated by the caller (src/game/player-data.ts). */
  load(playerId: string, key: string): Promise<PlayerDataResult> {
    this.counters.loads++;
    return this.submit({ op: 'get', playerId, key }, undefined, 0);
  }

  /** Save `text` (the JSON text of `value`) if the stored version is `expectedVersion` (null: whatever it is). */
  save(playerId: string, key: string, value: unknown, text: string, expectedVersion: number | null): Promise<PlayerDataResult> {
    this.counters.saves++;
    return this.submit({ op: 'put', playerId, key, value: text, expectedVersion }, value, Buffer.byteLength(text));
  }

  /** Delete (player, key) if the stored version is `expectedVersion` (null: whatever it is). */
  delete(playerId: string, key: string, expectedVersion: number | null): Promise<PlayerDataResult> {
    this.counters.deletes++;
    return this.submit({ op: 'delete', playerId, key, expectedVersion }, undefined, 0);
  }

  stats(): PlayerDataStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  /** Calls queued and not yet answered. */
  get queued(): number {
    return this.queue.length;
  }

  /** Commit everything queued now; resolves when the queue is empty. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length || this.running) {
      if (!this.running) this.startDrain();
      await this.running;
    }
  }

  /** Answer new calls `PD_UNAVAILABLE` and commit what is queued. Call before the store closes. */
  async close(): Promise<void> {
    this.closed = true; // first: a game saving in a loop cannot keep the flush going
    await this.flush();
  }

  private reject(key: string, code: PlayerDataCodeValue, version?: number): PlayerDataResult {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    return version === undefined ? { status: 'rejected', key, code } : { status: 'rejected', key, code, version };
  }

  private submit(op: PlayerDataOp, saved: unknown, bytes: number): Promise<PlayerDataResult> {
    if (this.closed || this.queue.length >= this.maxQueued || this.queuedBytes + bytes > this.maxQueuedBytes)
      return Promise.resolve(this.reject(op.key, PlayerDataCode.UNAVAILABLE));
    return new Promise((resolve) => {
      this.queue.push({ op, saved, bytes, resolve });
      this.queuedBytes += bytes;
      if (this.running) return; // the drain loop takes it after its batch
      if (this.queue.length >= this.maxBatch) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.startDrain();
      } else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (!this.running) this.startDrain();
        }, this.flushDelayMs);
      }
    });
  }

  private startDrain(): void {
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // A call made after the drain's last look at the queue (while its promise settled) starts the next one.
      if (this.queue.length && !this.timer) this.startDrain();
    });
  }

  /** Run batches until the queue is empty (calls queued meanwhile join the next batch). */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      let n = 0;
      let bytes = 0;
      for (const q of this.queue) {
        if (n >= this.maxBatch || (n > 0 && bytes + q.bytes > this.maxBatchBytes)) break;
        n++;
        bytes += q.bytes;
      }
      const batch = this.queue.splice(0, n);
      this.queuedBytes -= bytes;
      await this.run(batch);
      // SQLite commits synchronously: without a turn of the event loop between batches, a long
      // queue would drain in one stretch of microtasks (sockets, timers and the tick waiting).
      if (this.queue.length) await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async run(batch: Queued[]): Promise<void> {
    let results: PlayerDataOpResult[];
    try {
      results = await this.store.applyPlayerData(
        batch.map((q) => q.op),
        this.limits,
      );
    } catch (err) {
      if (!isWorldtickError(err)) this.onError?.(err);
      for (const q of batch) q.resolve(this.reject(q.op.key, PlayerDataCode.UNAVAILABLE));
      return;
    }
    this.counters.batches++;
    if (batch.length > this.counters.maxBatch) this.counters.maxBatch = batch.length;
    batch.forEach((q, i) => {
      const r = results[i];
      const key = q.op.key;
      if (r === undefined) q.resolve(this.reject(key, PlayerDataCode.UNAVAILABLE));
      else if (r.status === 'stale') q.resolve(this.reject(key, PlayerDataCode.VERSION_STALE, r.version));
      else if (r.status === 'quota') q.resolve(this.reject(key, PlayerDataCode.QUOTA_EXCEEDED));
      else q.resolve({ status: 'ok', key, value: q.op.op === 'put' ? q.saved : r.value, version: r.version });
    });
  }
}
