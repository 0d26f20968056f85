/**
 * The ledger service of one world: purchases and rewards through one ledger, group-committed.
 *
 *   submit ──► queue ──(flushDelayMs or maxBatch)──► batch:
 *                 1. look up existing (player, key) entries  → replay / TX_KEY_CONFLICT
 *                 2. validate content                         → unrecorded rejection
 *                 3. decide in order against ledger balances  → ok / TX_INSUFFICIENT_FUNDS, recorded
 *                    while the player's refusal budget lasts (refusal-budget.ts), else unrecorded
 *                 4. store.commitLedger(entries, fence, expect) (ONE transaction, one fsync; refused
 *                    WT_ERR_LEDGER_STALE when another world or instance moved a player's balance
 *                    since it was loaded here: reloaded, wallet caught up, decided again)
 *                 5. resolve each promise; push ok entries to the outbox
 *
 * A promise resolves `ok` only after step 4 committed. A store failure (WT_ERR_STORE_UNAVAILABLE)
 * retries the batch (plus anything queued meanwhile) with backoff until each request's deadline
 * (default 2 s after submit), then answers TX_UNAVAILABLE; the client retries with the same key
 * and gets the stored result if the commit did happen. A stale fencing token answers
 * TX_UNAVAILABLE and marks the service fenced (the world lost ownership). Each failure's handling: src/ledger/batch-failure.ts.
 *
 * The outbox ({@link LedgerService.takeCommitted}) yields committed `ok` entries in seq order; a
 * step applies them to wallets with src/ledger/apply.ts, exactly once thanks to the per-entity
 * watermark. Balances are "as recorded in the ledger": loaded from the store per player on first
 * use and advanced only by committed entries.
 */
import { TxCode } from '../errors.js';
import type { Fence, LedgerEntry, LedgerEntryInput, Store } from '../store/types.js';
import type { Catalogue } from './catalogue.js';
import { afterFailedCommit, type BatchFailureContext } from './batch-failure.js';
import { guardDeadlines } from './deadline-guard.js';
import {
  checkContent,
  checkShape,
  decide,
  fingerprint,
  rejection,
  resultOf,
  type PurchaseRequest,
  type RewardRequest,
  type TxRequest,
  type TxResult,
  type WorkingBalance,
} from './decide.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import { BalanceCache } from './balance-cache.js';
import { refKey, zeroLedgerStats, type LedgerServiceOptions, type LedgerStats, type Pending } from './ledger-service-types.js';
import { readPlayerLedger } from './read-player-ledger.js';
import { createRefusalBudget, type RefusalBudget } from './refusal-budget.js';

export type { LedgerServiceOptions, LedgerStats } from './ledger-service-types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One world's ledger service. Owns a timer: {@link close} it. */
export class LedgerService {
  private readonly store: Store;
  private readonly catalogue: Catalogue;
  private readonly worldId: string;
  private fenceToken: number | undefined;
  private readonly flushDelayMs: number;
  private readonly maxBatch: number;
  /** Wall ms from submit until a request not yet committed is answered TX_UNAVAILABLE. */
  readonly deadlineMs: number;
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly onFenced: ((err: unknown) => void) | undefined;
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly limiter: RateLimiter;
  /** Per-player budget of recorded refusals, started from the stored ones (refusal-budget.ts). */
  private readonly refusals: RefusalBudget;

  private queue: Pending[] = [];
  /** (player, key) of every queued or in-flight request: same content joins it, other content conflicts. */
  private readonly inflight = new Map<string, Pending>();
  /** Committed balances per player, stale marks and outbox watermarks (a cache: balance-cache.ts). */
  private readonly cache: BalanceCache;
  private outbox: LedgerEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly counters: LedgerStats = zeroLedgerStats();
  /** What a failed commit reaches (src/ledger/batch-failure.ts). */
  private readonly failure: BatchFailureContext;

  constructor(options: LedgerServiceOptions) {
    this.store = options.store;
    this.catalogue = options.catalogue;
    this.worldId = options.worldId;
    this.fenceToken = options.fenceToken;
    this.flushDelayMs = options.flushDelayMs ?? 2;
    this.maxBatch = options.maxBatch ?? 512;
    this.deadlineMs = options.deadlineMs ?? 2000;
    this.maxQueued = options.maxQueued ?? 20_000;
    this.now = options.now ?? Date.now;
    this.onFenced = options.onFenced;
    this.onError = options.onError;
    this.limiter = createRateLimiter(options.rateLimit ?? {}, this.now);
    this.refusals = createRefusalBudget(options.recordedRefusals ?? {}, this.now, (playerId, sinceMs, limit) =>
      this.store.ledgerRefusalTimes(this.worldId, playerId, sinceMs, limit),
    );
    this.cache = new BalanceCache(options.retain ?? null);
    this.failure = {
      counters: this.counters,
      dirty: this.cache.dirty,
      unavailable: (p) => this.answer(p, rejection(p.req, TxCode.UNAVAILABLE)),
      onError: this.onError,
      onFenced: this.onFenced,
    };
  }

  /** A client purchase. Resolves after the ledger entry is durable (or with a coded rejection). */
  purchase(req: PurchaseRequest): Promise<TxResult> {
    return this.submit({ kind: 'purchase', ...req });
  }

  /** A server-side grant. Same guarantees as {@link purchase}; not rate-limited. */
  reward(req: RewardRequest): Promise<TxResult> {
    return this.submit({ kind: 'reward', ...req });
  }

  /** The new owner's fencing token (after a lease renewal or takeover). */
  setFenceToken(token: number): void {
    this.fenceToken = token;
    this.counters.fenced = false;
  }

  /** Whether committed `ok` entries of `playerId` wait in the outbox (e.g. another world's, caught up by a stale batch's reload). */
  committedWaitingFor(playerId: string): boolean {
    return this.outbox.some((e) => e.playerId === playerId);
  }

  /** The seq above which the outbox yields every `ok` entry of `playerId` (balance-cache.ts `base`; 0: none loaded). */
  continuousFrom(playerId: string): number {
    return this.cache.base.get(playerId) ?? 0;
  }

  /** Committed `ok` entries not yet taken, in seq order; apply them in a step (src/ledger/apply.ts). */
  takeCommitted(): LedgerEntry[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /**
   * Committed `ok` entries of a player after `afterSeq` (the wallet's watermark) straight from the
   * store: the catch-up when a player is (re)loaded into a world from a checkpoint.
   */
  async entriesSince(playerId: string, afterSeq: number): Promise<LedgerEntry[]> {
    return (await readPlayerLedger(this.store, playerId, afterSeq)).filter((e) => e.status === 'ok');
  }

  /**
   * Forget a player's cached balance (the player left the world): reloaded from the store by its
   * next request. While a batch is being committed the forget waits for the drain to end (the
   * batch reads the balances it loaded across awaits).
   */
  forgetPlayer(playerId: string): void {
    this.cache.forget(playerId, this.running !== undefined);
  }

  /** Players with a cached balance (the world's bound players and those whose requests are in flight). */
  get cachedPlayers(): number {
    return this.cache.size;
  }

  stats(): LedgerStats {
    const last = this.counters.lastRateLimited;
    return {
      ...this.counters,
      rejected: { ...this.counters.rejected },
      lastRateLimited: last && { ...last },
      refusalBudgetReads: this.refusals.stats().reads,
    };
  }

  /**
   * Players with a purchase rate-limit bucket held (one per player that bought lately; full buckets
   * are dropped once 10,000 are held: src/ledger/rate-limit.ts).
   */
  get rateLimitBuckets(): number {
    return this.limiter.stats().buckets;
  }

  /** Requests queued and not yet answered. */
  get queued(): number {
    return this.queue.length;
  }

  /** Commit everything queued now; resolves when the queue is empty (e.g. once per step, or in tests). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length || this.running) {
      if (!this.running)
        this.running = this.drain().finally(() => {
          this.running = undefined;
        });
      await this.running;
    }
  }

  /** Commit what is queued, then refuse new requests with TX_UNAVAILABLE. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private submit(req: TxRequest): Promise<TxResult> {
    this.counters.submitted++;
    const shape = checkShape(req);
    if (shape) return Promise.resolve(this.reject(rejection(req, shape)));
    if (this.closed || this.queue.length >= this.maxQueued) return Promise.resolve(this.reject(rejection(req, TxCode.UNAVAILABLE)));
    if (req.kind === 'purchase' && !this.limiter.take(req.playerId)) {
      this.counters.lastRateLimited = { playerId: req.playerId, atMs: Date.now() };
      return Promise.resolve(this.reject(rejection(req, TxCode.RATE_LIMITED)));
    }
    const fp = fingerprint(req);
    const rk = refKey(req.playerId, req.key);
    const same = this.inflight.get(rk);
    if (same) {
      if (same.fp !== fp) return Promise.resolve(this.reject(rejection(req, TxCode.KEY_CONFLICT)));
      return new Promise((resolve) => same.followers.push(resolve));
    }
    return new Promise((resolve) => {
      const p: Pending = { req, fp, deadline: this.now() + this.deadlineMs, resolve, followers: [], done: false };
      this.inflight.set(rk, p);
      this.queue.push(p);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return; // the drain loop picks the queue up when its batch is done
    if (this.queue.length >= this.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.startDrain();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.running) this.startDrain();
      }, this.flushDelayMs);
    }
  }

  /** Drain now; what was queued meanwhile is scheduled when it ends. */
  private startDrain(): void {
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.length) this.schedule();
    });
  }

  private reject(r: TxResult): TxResult {
    if (r.code) this.counters.rejected[r.code] = (this.counters.rejected[r.code] ?? 0) + 1;
    return r;
  }

  /** Answer a request once (a deadline may answer TX_UNAVAILABLE while its commit is still running). */
  private answer(p: Pending, r: TxResult): void {
    if (p.done) return;
    p.done = true;
    if (this.inflight.get(refKey(p.req.playerId, p.req.key)) === p) this.inflight.delete(refKey(p.req.playerId, p.req.key));
    if (r.status === 'rejected' && r.code) this.reject(r);
    p.resolve(r);
    for (const f of p.followers) f(r.seq === null ? r : { ...r, replayed: true });
  }

  /** A stored entry of the request's key answers it: the same content is a replay, other content a key conflict. */
  private answerStored(p: Pending, entry: LedgerEntry): void {
    if (entry.fingerprint !== p.fp) return this.answer(p, rejection(p.req, TxCode.KEY_CONFLICT));
    this.counters.replayed++;
    this.answer(p, resultOf(entry, true));
  }

  /** Process queued requests batch by batch until the queue is empty; then forget the players left meanwhile. */
  private async drain(): Promise<void> {
    await this.drainBatches().finally(() => this.cache.settle());
  }

  private async drainBatches(): Promise<void> {
    while (this.queue.length) {
      let batch = this.queue.splice(0, this.maxBatch);
      for (let attempt = 0; batch.length; attempt++) {
        const now = this.now();
        batch = batch.filter((p) => {
          if (p.done) return false;
          if (now < p.deadline) return true;
          this.answer(p, rejection(p.req, TxCode.UNAVAILABLE));
          return false;
        });
        if (!batch.length) break;
        const earliest = Math.min(...batch.map((p) => p.deadline));
        // A hung attempt: what is past its deadline, in the batch or queued behind it, is answered on time.
        const guard = guardDeadlines({
          now: this.now,
          deadlineMs: this.deadlineMs,
          lists: [batch, this.queue],
          expire: (p) => this.answer(p, rejection(p.req, TxCode.UNAVAILABLE)),
        });
        try {
          await this.commitBatch(batch);
          batch = [];
        } catch (err) {
          batch = afterFailedCommit(err, batch, this.failure);
          if (!batch.length) break;
        } finally {
          guard.stop();
        }
        if (batch.length) {
          this.counters.retries++;
          // Retry with backoff, never past the earliest deadline; take in what queued meanwhile.
          await sleep(Math.max(1, Math.min(10 * 2 ** Math.min(attempt, 5), earliest - this.now())));
          if (batch.length < this.maxBatch) batch.push(...this.queue.splice(0, this.maxBatch - batch.length));
        }
      }
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const existing = new Map<string, LedgerEntry>();
    for (const e of await this.store.findLedgerEntries(batch.map((p) => ({ playerId: p.req.playerId, key: p.req.key })))) {
      existing.set(refKey(e.playerId, e.key), e);
    }
    await this.cache.load(new Set(batch.map((p) => p.req.playerId)), this.store, async (id, seen) => {
      for (const e of await this.entriesSince(id, seen)) this.outbox.push(e);
    });
    const working = new Map<string, WorkingBalance>();
    const toCommit: Array<{ p: Pending; input: LedgerEntryInput }> = [];
    const nowMs = this.now();
    const settled = new Set<Pending>();
    for (const p of batch) {
      const found = existing.get(refKey(p.req.playerId, p.req.key));
      if (found) {
        settled.add(p);
        this.answerStored(p, found);
        continue;
      }
      const bad = checkContent(p.req, this.catalogue);
      if (bad) {
        settled.add(p);
        this.answer(p, rejection(p.req, bad));
        continue;
      }
      let w = working.get(p.req.playerId);
      if (!w) {
        const b = this.cache.balances.get(p.req.playerId)!;
        w = { coins: b.coins, items: new Map(b.items) };
        working.set(p.req.playerId, w);
      }
      toCommit.push({ p, input: decide(p.req, w, this.catalogue, this.worldId, nowMs) });
    }
    // A refusal past the player's budget is answered without a row (it changed no balance either, so
    // leaving it out changes no other decision). Players new to the budget are read from the store first.
    const charge = toCommit.filter((c) => c.input.status === 'rejected' && !c.p.refusalCharged);
    if (charge.length) {
      await this.refusals.load(new Set(charge.map((c) => c.p.req.playerId)));
      for (const { p } of charge) {
        p.refusalCharged = this.refusals.take(p.req.playerId);
        if (p.refusalCharged) continue;
        settled.add(p);
        this.counters.refusalsUnrecorded++;
        this.answer(p, rejection(p.req, TxCode.INSUFFICIENT_FUNDS));
      }
      for (let i = toCommit.length - 1; i >= 0; i--) if (settled.has(toCommit[i].p)) toCommit.splice(i, 1);
    }
    // Settled requests leave the batch even if the commit below fails and is retried.
    for (let i = batch.length - 1; i >= 0; i--) if (settled.has(batch[i])) batch.splice(i, 1);
    if (!toCommit.length) return;
    const fence: Fence | undefined = this.fenceToken === undefined ? undefined : { worldId: this.worldId, token: this.fenceToken };
    // Decided on the balances as last seen here: refused (nothing written) if another writer moved one since.
    const expect = new Map(toCommit.map((c) => [c.p.req.playerId, this.cache.yielded.get(c.p.req.playerId) ?? 0]));
    const inputs = toCommit.map((c) => c.input);
    const results = await this.store.commitLedger(inputs, fence, expect);
    this.counters.batches++;
    this.counters.maxBatch = Math.max(this.counters.maxBatch, toCommit.length);
    for (let i = 0; i < toCommit.length; i++) {
      const { p } = toCommit[i];
      const { entry, duplicate } = results[i];
      if (duplicate) {
        // Another writer committed this key between our lookup and our commit: its entry stands.
        this.cache.dirty.add(entry.playerId);
        this.answerStored(p, entry);
        continue;
      }
      this.counters.committed++;
      if (entry.status !== 'ok') this.counters.refusalsRecorded++;
      if (entry.status === 'ok') {
        this.cache.applyCommitted(entry);
        this.outbox.push(entry);
      }
      this.answer(p, resultOf(entry, false));
    }
    batch.length = 0;
  }
}
