/**
 * Player data: small JSON values per (durable player id, key), group-committed to the store
 * (docs/GAME-API.md "Player data", docs/DURABILITY.md "Player data"). One service per runtime,
 * shared by its worlds (a world's slot points at it).
 *
 *   load / save / delete / list / forget ──► queue ──(flushDelayMs, or maxBatch ops, or maxBatchBytes)──► batch
 *        batch ──► store.applyPlayerData(ops, { batchId })   (ONE transaction, in queue order, one fsync)
 *          └─ store unavailable: the SAME batch again (same id) after a jittered backoff, until its deadline
 *        each promise resolves after that commit: `ok` means durable
 *
 * Why batched and bounded: better-sqlite3 is synchronous, so a commit blocks the event loop for its
 * statements and its fsync. Many calls share one transaction (one fsync), and a batch holds at most
 * `maxBatch` operations and about `maxBatchBytes` of values, so one commit stays short; batches run
 * one after another, with a turn of the event loop between them.
 *
 * Why a retry is exactly-once: a batch that writes is recorded by its id in its own transaction,
 * with every answer it gave (reads too). A retry after a failure whose COMMIT did land (PostgreSQL:
 * the answer lost with the connection) finds the record and gets the recorded answers — the writes
 * are not applied twice, a conditional save is not refused as stale by its own first attempt, and a
 * load is answered what it read in the batch, not a save that came after it (in the batch, or by
 * another instance since); a retry after a failure that did not commit applies the batch then, with
 * the version checks made then. A forget erases the player's values from every record in its own
 * transaction (a recorded load of the player is replayed as a load right after the forget reads it:
 * no value, the tombstone's version), so a retry stays exactly once and no record keeps the values
 * of a forgotten player. Records are pruned at start and every 10 s. The record is bounded: a batch that writes stops once its reads'
 * answers pass `maxBatchBytes`, and the calls after that go first into the next batch. While a
 * batch waits, later calls queue behind it (call order holds) within `maxQueued` /
 * `maxQueuedBytes`. Nothing throws after the call returned.
 */
import { randomUUID } from 'node:crypto';
import { isWorldtickError, PlayerDataCode, type PlayerDataCodeValue } from '../errors.js';
import type { PlayerDataLimits, PlayerDataOp, PlayerDataOpResult, Store } from '../store/types.js';
import {
  PLAYER_DATA_LIMITS,
  type PlayerDataForgetResult,
  type PlayerDataListResult,
  type PlayerDataResult,
  type PlayerDataServiceOptions,
  type PlayerDataStats,
  type PlayerDataUnavailableReason,
} from './player-data-types.js';
import {
  BATCH_RECORD_PRUNE_EVERY_MS,
  BATCH_RECORD_RETENTION_MS,
  backoffMs,
  isRetryable,
  type RetrySettings,
  retrySettingsOf,
  sleep,
} from './store-retry.js';

export {
  PLAYER_DATA_LIMITS,
  type PlayerDataForgetResult,
  type PlayerDataListResult,
  type PlayerDataResult,
  type PlayerDataServiceOptions,
  type PlayerDataStats,
  type PlayerDataUnavailableReason,
} from './player-data-types.js';

interface Queued {
  op: PlayerDataOp;
  bytes: number;
  /** Wall ms after which the call is answered `deadline` instead of (re)tried. */
  deadline: number;
  /** Answer from the store's result. */
  settle: (r: PlayerDataOpResult) => void;
  /** Answer `PD_UNAVAILABLE` for `reason`. */
  fail: (reason: PlayerDataUnavailableReason) => void;
}

/** The player-data service of a runtime. Owns timers: {@link close} it. */
export class PlayerDataService {
  private readonly store: Store;
  private readonly flushDelayMs: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly retry: RetrySettings;
  /** Calls and bytes of values queued or in the batch being committed (the bounds count both). */
  private pendingCalls = 0;
  private pendingBytes = 0;
  private readonly limits: PlayerDataLimits;
  private readonly onError: PlayerDataServiceOptions['onError'];
  private readonly onOutage: PlayerDataServiceOptions['onOutage'];
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closedAt: number | undefined;
  /** The last attempt failed (the store is down as far as the service knows). */
  private failing = false;
  /** The outage under way: since (wall ms), and the retries and deadline answers counted before it. */
  private outage: { since: number; retries: number; expired: number } | undefined;
  private nextPruneAt = 0;
  /** The prune of old batch records started with the service (the first batch and close wait for it). */
  private startPrune: Promise<void> | undefined;
  private readonly counters: PlayerDataStats = {
    ...{ loads: 0, saves: 0, deletes: 0, lists: 0, forgets: 0, batches: 0, maxBatch: 0, rejected: {}, unavailable: {} },
    ...{ storeFailures: 0, retries: 0, recoveredBatches: 0, retrying: 0, longestOutageMs: 0 },
  };

  /** Throws `WT_ERR_OPTION_INVALID` for bad retry options. */
  constructor(options: PlayerDataServiceOptions) {
    this.store = options.store;
    this.flushDelayMs = options.flushDelayMs ?? 2;
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.maxBatchBytes = Math.max(1, options.maxBatchBytes ?? 256 * 1024);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.retry = retrySettingsOf(options);
    this.limits = options.limits ?? PLAYER_DATA_LIMITS;
    this.onError = options.onError;
    this.onOutage = options.onOutage;
    this.startPrune = this.pruneAtStart();
  }

  /**
   * Delete batch records past the retention now, not at the first batch: the records a stopped
   * process left (loaded values included) do not wait for a call. A failure is left to the first
   * batch, which prunes then.
   */
  private async pruneAtStart(): Promise<void> {
    const now = Date.now();
    this.nextPruneAt = now + BATCH_RECORD_PRUNE_EVERY_MS;
    try {
      await this.store.applyPlayerData([], this.limits, { pruneBefore: now - BATCH_RECORD_RETENTION_MS });
    } catch {
      this.nextPruneAt = 0;
    }
  }

  /** The stored value of (player, key). Arguments are validated by the caller (src/game/player-data.ts). */
  load(playerId: string, key: string): Promise<PlayerDataResult> {
    this.counters.loads++;
    return this.keyCall({ op: 'get', playerId, key }, undefined, 0);
  }

  /** Save `text` (the JSON text of `value`) if the stored version is `expectedVersion` (null: whatever it is). */
  save(playerId: string, key: string, value: unknown, text: string, expectedVersion: number | null): Promise<PlayerDataResult> {
    this.counters.saves++;
    return this.keyCall({ op: 'put', playerId, key, value: text, expectedVersion }, value, Buffer.byteLength(text));
  }

  /** Delete (player, key) if the stored version is `expectedVersion` (null: whatever it is). */
  delete(playerId: string, key: string, expectedVersion: number | null): Promise<PlayerDataResult> {
    this.counters.deletes++;
    return this.keyCall({ op: 'delete', playerId, key, expectedVersion }, undefined, 0);
  }

  /** Every row of the player (live keys and tombstones) with version, bytes and time of the last write (admin). */
  list(playerId: string): Promise<PlayerDataListResult> {
    this.counters.lists++;
    return this.call({ op: 'list', playerId }, 0, (r) =>
      r.status === 'listed' ? { status: 'ok', playerId, keys: r.keys } : this.unavailable('store-error'),
    );
  }

  /**
   * Delete every live key of the player in one transaction (admin "forget player"): each becomes a
   * tombstone one version further, so a writer holding an older version is refused, as after a delete.
   * The same transaction erases the player's loaded values from batch records.
   */
  forget(playerId: string): Promise<PlayerDataForgetResult> {
    this.counters.forgets++;
    return this.call({ op: 'forget', playerId }, 0, (r) =>
      r.status === 'forgotten' ? { status: 'ok', playerId, keys: r.keys } : this.unavailable('store-error'),
    );
  }

  stats(): PlayerDataStats {
    return { ...this.counters, rejected: { ...this.counters.rejected }, unavailable: { ...this.counters.unavailable } };
  }

  /** Calls queued and not yet answered (the batch being committed excluded). */
  get queued(): number {
    return this.queue.length;
  }

  /** Commit everything queued now; resolves when the queue is empty (a batch retried past an outage included). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length || this.running) {
      if (!this.running) this.startDrain();
      await this.running;
    }
  }

  /**
   * Answer new calls `PD_UNAVAILABLE` (`closed`) and commit what is queued; a batch the store refuses
   * is retried at most `closeGraceMs` longer. Call before the store closes.
   */
  async close(): Promise<void> {
    this.closedAt ??= Date.now(); // first: a game saving in a loop cannot keep the flush going
    await this.flush();
    await this.startPrune;
  }

  private count(code: PlayerDataCodeValue, reason?: PlayerDataUnavailableReason): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    if (reason) this.counters.unavailable[reason] = (this.counters.unavailable[reason] ?? 0) + 1;
  }

  private unavailable(reason: PlayerDataUnavailableReason): {
    status: 'rejected';
    code: 'PD_UNAVAILABLE';
    reason: PlayerDataUnavailableReason;
  } {
    this.count(PlayerDataCode.UNAVAILABLE, reason);
    return { status: 'rejected', code: PlayerDataCode.UNAVAILABLE, reason };
  }

  private reject(key: string, code: PlayerDataCodeValue, version?: number): PlayerDataResult {
    this.count(code);
    return version === undefined ? { status: 'rejected', key, code } : { status: 'rejected', key, code, version };
  }

  /** A load, save or delete: its answer from the store's result. */
  private keyCall(op: Extract<PlayerDataOp, { key: string }>, saved: unknown, bytes: number): Promise<PlayerDataResult> {
    const key = op.key;
    return this.call<PlayerDataResult>(
      op,
      bytes,
      (r) => {
        if (r.status === 'stale') return this.reject(key, PlayerDataCode.VERSION_STALE, r.version);
        if (r.status === 'quota') return this.reject(key, PlayerDataCode.QUOTA_EXCEEDED);
        if (r.status === 'unreadable') return this.reject(key, PlayerDataCode.VALUE_UNREADABLE, r.version);
        if (r.status !== 'ok') return { key, ...this.unavailable('store-error') };
        return { status: 'ok', key, value: op.op === 'put' ? saved : r.value, version: r.version };
      },
      (reason) => ({ key, ...this.unavailable(reason) }),
    );
  }

  private call<T>(
    op: PlayerDataOp,
    bytes: number,
    answer: (r: PlayerDataOpResult) => T,
    refuse: (reason: PlayerDataUnavailableReason) => T = (reason) => this.unavailable(reason) as T,
  ): Promise<T> {
    if (this.closedAt !== undefined) return Promise.resolve(refuse('closed'));
    if (this.pendingCalls >= this.maxQueued || this.pendingBytes + bytes > this.maxQueuedBytes)
      return Promise.resolve(refuse('queue-full'));
    return new Promise<T>((resolve) => {
      const deadline = Date.now() + this.retry.deadlineMs;
      this.queue.push({ op, bytes, deadline, settle: (r) => resolve(answer(r)), fail: (reason) => resolve(refuse(reason)) });
      this.pendingCalls++;
      this.pendingBytes += bytes;
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
    // The first batch goes after the start prune (never beside it: one transaction at a time, as every batch).
    if (this.startPrune) await this.startPrune;
    while (this.queue.length) {
      let n = 0;
      let bytes = 0;
      for (const q of this.queue) {
        if (n >= this.maxBatch || (n > 0 && bytes + q.bytes > this.maxBatchBytes)) break;
        n++;
        bytes += q.bytes;
      }
      const batch = this.queue.splice(0, n);
      let rest: Queued[] = [];
      try {
        rest = await this.run(batch);
      } finally {
        this.pendingCalls -= batch.length - rest.length;
        for (const q of rest) bytes -= q.bytes;
        this.pendingBytes -= bytes;
      }
      // A batch that stopped at its read budget: the calls it did not run go first in the next one (call order holds).
      if (rest.length) this.queue.unshift(...rest);
      // SQLite commits synchronously: without a turn of the event loop between batches, a long
      // queue would drain in one stretch of microtasks (sockets, timers and the tick waiting).
      if (this.queue.length) await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** The wall ms past which `batch` is not tried again (its oldest call's deadline; sooner once closed). */
  private deadlineOf(batch: readonly Queued[]): number {
    let d = Number.POSITIVE_INFINITY;
    for (const q of batch) if (q.deadline < d) d = q.deadline;
    return this.closedAt === undefined ? d : Math.min(d, this.closedAt + this.retry.closeGraceMs);
  }

  /**
   * Commit `batch`, retrying the same batch (same id) while the store is unavailable, within its
   * deadline. Returns the calls the store did not run (a batch that writes stops once its reads'
   * answers pass `maxBatchBytes`: they are recorded with it), to be queued again first.
   */
  private async run(all: Queued[]): Promise<Queued[]> {
    const now = Date.now();
    // Calls that waited past their deadline behind an outage (the last attempt failed) are answered
    // without one: nothing of them is stored. A healthy store takes every call at least once (a
    // `retryDeadlineMs` of 0 means no retries, not no attempt).
    const batch: Queued[] = [];
    for (const q of all) {
      if (q.deadline > now || !this.failing) batch.push(q);
      else q.fail('deadline');
    }
    if (!batch.length) return [];
    // Closing, past the grace, and the store still down: no more attempts (each could wait a connect timeout).
    if (this.failing && this.closedAt !== undefined && now >= this.deadlineOf(batch)) {
      for (const q of batch) q.fail('deadline');
      return [];
    }
    const ops = batch.map((q) => q.op);
    const batchId = randomUUID();
    let pruneBefore: number | undefined;
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + BATCH_RECORD_PRUNE_EVERY_MS;
      pruneBefore = now - BATCH_RECORD_RETENTION_MS;
    }
    let attempts = 0;
    let wait = this.retry.firstMs;
    for (;;) {
      try {
        const options = { batchId, retry: attempts > 0, pruneBefore, maxReadBytes: this.maxBatchBytes };
        const results = await this.store.applyPlayerData(ops, this.limits, options);
        this.failing = false;
        if (attempts > 0) {
          this.counters.retrying -= batch.length;
          this.counters.recoveredBatches++;
        }
        if (this.outage) this.outageOver();
        return this.answer(batch, results);
      } catch (err) {
        this.counters.storeFailures++;
        this.failing = isRetryable(err);
        const t = Date.now();
        const until = this.deadlineOf(batch);
        if (isRetryable(err) && !this.outage) {
          this.outage = { since: t, retries: this.counters.retries, expired: this.counters.unavailable.deadline ?? 0 };
          this.onOutage?.({ state: 'down', err });
        }
        if (!isRetryable(err) || t >= until) {
          if (attempts > 0) this.counters.retrying -= batch.length;
          if (!isWorldtickError(err)) this.onError?.(err);
          for (const q of batch) q.fail(isRetryable(err) ? 'deadline' : 'store-error');
          return [];
        }
        if (attempts === 0) this.counters.retrying += batch.length;
        await sleep(backoffMs(wait, t, until));
        wait = Math.min(this.retry.maxMs, wait * 2);
        attempts++;
        this.counters.retries++;
      }
    }
  }

  /** The store took a batch again after an outage: its figures, and the event. */
  private outageOver(): void {
    const o = this.outage;
    if (!o) return;
    this.outage = undefined;
    const ms = Date.now() - o.since;
    if (ms > this.counters.longestOutageMs) this.counters.longestOutageMs = ms;
    const expired = (this.counters.unavailable.deadline ?? 0) - o.expired;
    this.onOutage?.({ state: 'up', ms, retries: this.counters.retries - o.retries, expired });
  }

  /**
   * Settle the calls the store ran and return the rest (`results` shorter than `batch`: it stopped at
   * its read budget). A store that ran none of them is a bug: all answered `store-error`, none kept.
   */
  private answer(batch: readonly Queued[], results: readonly PlayerDataOpResult[]): Queued[] {
    this.counters.batches++;
    if (!results.length) {
      for (const q of batch) q.fail('store-error');
      return [];
    }
    const n = Math.min(batch.length, results.length);
    if (n > this.counters.maxBatch) this.counters.maxBatch = n;
    for (let i = 0; i < n; i++) (batch[i] as Queued).settle(results[i] as PlayerDataOpResult);
    return batch.slice(n);
  }
}
