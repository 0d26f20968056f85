/**
 * The runtime's checkpointing: for every tracked world, a clock record every
 * {@link CLOCK_RECORD_STEPS} steps (and whenever its config changed), a full checkpoint every
 * `intervalSeconds` of wall time, one at creation and one at graceful shutdown.
 *
 * A full checkpoint never stalls a step: {@link captureWorld} copies the state synchronously
 * between steps (timers run between steps, never inside one), then compression runs on libuv's
 * thread pool and the store write is async. Failures are logged and counted, never thrown into
 * the loop; the next interval tries again. One checkpoint and one record write per world at a
 * time (a record asked for meanwhile is written right after, with the newest values).
 */
import { isWorldtickError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Fence, Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import { captureWorld, WORLD_SNAPSHOT_SCHEMA } from './world-snapshot.js';
import { InlineCheckpointWriter, type CheckpointWriter } from './checkpoint-writer.js';
import { CLOCK_RECORD_STEPS, newIncarnation, worldRecordOf, type WorldOrigin } from './world-record.js';
import { SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';
import { logWriteFailure, type WriteKind } from './write-failure-log.js';
import { type CheckpointOutcome, type CheckpointReport, emptyReport } from './checkpoint-report.js';

export type { CheckpointOutcome, CheckpointReport } from './checkpoint-report.js';

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** The store (read when writing; the runtime's store getter). */
  store: () => Store;
  logger: Logger;
  /** Wall seconds between full checkpoints of a world; 0 = only at creation and shutdown. */
  intervalSeconds: number;
  /** Steps between clock records. Default {@link CLOCK_RECORD_STEPS}. */
  clockRecordSteps?: number;
  /** Where checkpoints are compressed and written. Default: through `store` on this thread. */
  writer?: CheckpointWriter;
  /**
   * The fence a world's writes carry (cluster: `runtime.cluster.fence(worldId)`): a fence → the
   * record and checkpoint are written with it (a stale owner's write is refused by the store);
   * `null` → this instance cannot prove it owns the world: nothing is written (counted as
   * skipped); `undefined` (or no option) → written unfenced (one instance).
   */
  fence?: (worldId: string) => Fence | null | undefined;
  /** The instance owning a world now, if known (cluster): named in the line of a write refused as fenced. */
  owner?: (worldId: string) => string | null;
}

/** At most one `world record write failed` line per world per this many wall ms during an outage. */
export const RECORD_FAILURE_LOG_MS = 10_000;

interface Tracked {
  world: SimWorld;
  origin: WorldOrigin;
  incarnation: string;
  npcs: number;
  /** Records written marked pending until {@link Checkpointer.confirm}; whether one without the mark was written. */
  pending: boolean;
  confirmedWritten: boolean;
  report: CheckpointReport;
  lastCheckpointWall: number;
  recordedConfigVersion: number;
  recordedPaused: boolean;
  recordBusy: Promise<void> | null;
  recordDirty: boolean;
  /** World-record writes failed in a row, the wall ms (performance.now) of the first and of the last one logged. */
  recordFailStreak: number;
  recordFailSince: number;
  recordFailLoggedAt: number;
  /** Wall ms (performance.now) of the first of the checkpoints failed in a row, or null. */
  ckFailSince: number | null;
  ckBusy: Promise<void> | null;
  gone: boolean;
  /** A large world's capture buffer, kept for its next checkpoint ({@link captureInto}); null until one is needed. */
  spare: Uint8Array | null;
}

/** Captures of at least this many bytes are written into a buffer kept per world (below it: a new one each time, transferred). */
export const REUSED_CAPTURE_MIN_BYTES = 4 << 20;

/**
 * Where a checkpoint of `t` is packed: for a large world, its kept buffer (a SharedArrayBuffer: the writer
 * thread reads it in place, nothing transferred), grown by an eighth when the world outgrew it. Its pages
 * stay in memory, so the copy on the event loop is a memcpy: a fresh 130 MiB buffer (1,000,000 NPCs) cost
 * ~0.2 s of page faults each time. Safe to reuse: a world's next checkpoint starts only once its last
 * write settled (`ckBusy`), and the writer reads the buffer only before that.
 */
export const captureInto =
  (t: { spare: Uint8Array | null }) =>
  (bytes: number): Uint8Array => {
    if (bytes < REUSED_CAPTURE_MIN_BYTES) return new Uint8Array(bytes);
    if (t.spare === null || t.spare.byteLength < bytes) t.spare = new Uint8Array(new SharedArrayBuffer(bytes + (bytes >> 3)));
    return t.spare.subarray(0, bytes);
  };

/** Periodic, creation-time and shutdown checkpoints of the runtime's worlds. See the module comment. */
export class Checkpointer {
  readonly #opts: CheckpointerOptions;
  readonly #recordSteps: number;
  readonly #worlds = new Map<string, Tracked>();
  #timer: NodeJS.Timeout | null = null;
  #writer: CheckpointWriter;

  constructor(opts: CheckpointerOptions) {
    this.#opts = opts;
    this.#writer = opts.writer ?? new InlineCheckpointWriter(opts.store);
    this.#recordSteps = opts.clockRecordSteps ?? CLOCK_RECORD_STEPS;
  }

  /**
   * Start checkpointing `world`. `incarnation` is the stored record's (a restored world) or new.
   * Writes nothing by itself: call {@link Checkpointer.persist} for a created world. `pending`: its records
   * are written marked pending (src/persist/world-record.ts) until {@link Checkpointer.confirm}.
   */
  track(
    world: SimWorld,
    o: { origin: WorldOrigin; incarnation?: string; npcs?: number; restored?: CheckpointReport['restored']; pending?: boolean },
  ): void {
    const report = emptyReport();
    report.restored = o.restored ?? null;
    this.#worlds.set(world.id, {
      world,
      origin: o.origin,
      incarnation: o.incarnation ?? newIncarnation(),
      npcs: o.npcs ?? 0,
      pending: o.pending ?? false,
      confirmedWritten: false,
      report,
      lastCheckpointWall: performance.now(),
      recordedConfigVersion: -1,
      recordedPaused: world.clock.paused,
      recordBusy: null,
      recordDirty: false,
      recordFailStreak: 0,
      recordFailSince: 0,
      recordFailLoggedAt: -Infinity,
      ckFailSince: null,
      ckBusy: null,
      gone: false,
      spare: null,
    });
  }

  /** Replace the writer (the runtime installs its worker writer once the store is open). */
  setWriter(writer: CheckpointWriter): void {
    this.#writer = writer;
  }

  /** Tracked? */
  has(worldId: string): boolean {
    return this.#worlds.has(worldId);
  }

  /** Incarnation id of a tracked world (checkpoint meta carries it). */
  incarnationOf(worldId: string): string | undefined {
    return this.#worlds.get(worldId)?.incarnation;
  }

  /** Write a `pending` world's records without the mark from now on; true once such a record was written. */
  async confirm(worldId: string): Promise<boolean> {
    const t = this.#worlds.get(worldId);
    if (!t) return false;
    t.pending = false;
    await this.record(worldId);
    return t.confirmedWritten;
  }

  /** Write the world's record and a first checkpoint now (a world just created). */
  async persist(worldId: string): Promise<void> {
    await this.record(worldId);
    await this.checkpoint(worldId);
  }

  /**
   * Stop tracking a world. `forget`: its record and checkpoints are deleted from the store (the
   * admin deleted the world), after the writes of it in flight; under `fence` (the deleting owner's token)
   * when given, refused when another instance took the world over since. Resolves false when that delete
   * failed (logged; the world would come back at the next start, or runs on where it was taken over), else true.
   */
  async untrack(worldId: string, o: { forget: boolean; fence?: Fence }): Promise<boolean> {
    const t = this.#worlds.get(worldId);
    if (!t) return true;
    t.gone = true;
    this.#worlds.delete(worldId);
    // Its checkpoint still queued for the writer is dropped (answered `untracked`); only one in flight is waited for.
    this.#writer.drop(worldId);
    await Promise.allSettled([t.recordBusy, t.ckBusy]);
    // A world of the same id created meanwhile owns the record now.
    if (o.forget && !this.#worlds.has(worldId)) {
      try {
        // After a write of it still in flight; fenced: not the record of a world another instance took over meanwhile.
        await this.#opts.store().deleteWorldConfig(worldId, { incarnation: t.incarnation, ...(o.fence ? { fence: o.fence } : {}) });
      } catch (err) {
        if (isWorldtickError(err, 'WT_ERR_STORE_FENCED')) {
          this.#opts.logger.warn(
            { world: worldId, details: err.details },
            'world record not deleted: another instance took the world over (a higher fencing token); it runs there',
          );
          return false;
        }
        this.#opts.logger.error({ err, world: worldId }, 'world record delete failed');
        return false;
      }
    }
    return true;
  }

  /**
   * The loop runner's per-step hook: a clock record every N steps. Allocation-free otherwise. Nothing
   * before {@link start} (the runtime's start is not committed yet) or after {@link stop}.
   */
  onStep(world: SimWorld): void {
    const t = this.#timer ? this.#worlds.get(world.id) : undefined;
    if (t && t.world === world && world.clock.step - t.report.lastRecordStep >= this.#recordSteps) void this.record(world.id);
  }

  /** Start the wall-clock timer (1 s): config changes recorded, checkpoints when due; per-step records from now on. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#timer.unref();
  }

  /** Stop the timer and wait for writes in flight. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.allSettled([...this.#worlds.values()].flatMap((t) => [t.recordBusy, t.ckBusy]));
  }

  /** Graceful shutdown: stop, then a record and a full checkpoint of every tracked world. */
  async flush(): Promise<void> {
    await this.stop();
    await Promise.allSettled([...this.#worlds.keys()].map((id) => this.persist(id)));
  }

  #tick(): void {
    const now = performance.now();
    const every = this.#opts.intervalSeconds * 1000;
    for (const [id, t] of this.#worlds) {
      const w = t.world;
      if (w.configVersion !== t.recordedConfigVersion || w.clock.paused !== t.recordedPaused || w.clock.step !== t.report.lastRecordStep)
        void this.record(id);
      if (every > 0 && !t.ckBusy && now - t.lastCheckpointWall >= every && w.clock.step !== t.report.lastStep) void this.checkpoint(id);
    }
  }

  /** Write the world's record (config + clock) now, or right after the write in flight. */
  record(worldId: string): Promise<void> {
    const t = this.#worlds.get(worldId);
    if (!t) return Promise.resolve();
    if (t.recordBusy) {
      // Written right after the one in flight (with the clock of then). Marked now, as a write is when it
      // starts: the per-step hook asks once per 10 steps, not at every step while a write waits (a SQLite
      // record waits up to 20 ms for its group commit, src/store/sqlite-record-batch.ts).
      t.recordDirty = true;
      t.report.lastRecordStep = t.world.clock.step;
      return t.recordBusy;
    }
    const run = async (): Promise<void> => {
      do {
        t.recordDirty = false;
        const rec = worldRecordOf(t.world, t);
        // Marked before the write: the per-step hook must not queue one per step while it runs.
        t.report.lastRecordStep = rec.clock.step;
        t.recordedConfigVersion = rec.configVersion;
        t.recordedPaused = t.world.clock.paused;
        const fence = this.#opts.fence?.(worldId);
        if (fence === null) {
          t.report.skippedNotOwner++;
          t.report.lastRecordError = 'this instance could not prove its lease of the world: nothing written';
          continue;
        }
        try {
          await this.#opts.store().putWorldConfig(worldId, rec, fence ? { fence } : {});
          t.report.recordsWritten++;
          t.report.lastRecordError = null;
          if (!rec.pending) t.confirmedWritten = true;
          if (t.recordFailStreak > 0) {
            const ms = Math.round(performance.now() - t.recordFailSince);
            this.#opts.logger.info({ world: worldId, failures: t.recordFailStreak, ms }, 'world record write recovered');
            t.recordFailStreak = 0;
            t.recordFailLoggedAt = -Infinity;
          }
        } catch (err) {
          t.report.recordFailures++;
          t.report.lastRecordError = err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
          t.recordedConfigVersion = -1; // retried by the next tick
          this.#logRecordFailure(t, worldId, err);
        }
      } while (t.recordDirty && !t.gone);
    };
    t.recordBusy = run().finally(() => (t.recordBusy = null));
    return t.recordBusy;
  }

  /**
   * A world record is written every 10 steps: while the store is down each write fails, so the line is
   * logged at the first failure and then at most once per {@link RECORD_FAILURE_LOG_MS} (`failures`:
   * in a row so far); the next write that succeeds logs `world record write recovered`.
   */
  #logRecordFailure(t: Tracked, worldId: string, err: unknown): void {
    const now = performance.now();
    if (t.recordFailStreak === 0) t.recordFailSince = now;
    t.recordFailStreak++;
    if (now - t.recordFailLoggedAt < RECORD_FAILURE_LOG_MS) return;
    t.recordFailLoggedAt = now;
    this.#logFailure('world record write', err, { world: worldId, failures: t.recordFailStreak }, now - t.recordFailSince);
  }

  /** A failed write's line: warn for a fenced write or a short outage, error otherwise (src/persist/write-failure-log.ts). */
  #logFailure(kind: WriteKind, err: unknown, fields: { world: string; failures?: number }, failingMs: number): void {
    logWriteFailure(this.#opts.logger, kind, err, fields, failingMs, this.#opts.owner?.(fields.world) ?? null);
  }

  /**
   * Take a full checkpoint of a tracked world now (waits for one in flight first). Says how it went:
   * `saved`, `not-owner` (cluster: this instance holds no lease of the world: skipped), `failed`
   * (the write's error; counted and logged as a timed checkpoint's), `untracked` (no such world here, or
   * it was deleted before this checkpoint was written: a queued one is dropped, not written).
   */
  async checkpoint(worldId: string): Promise<CheckpointOutcome> {
    const t = this.#worlds.get(worldId);
    if (!t) return { status: 'untracked' };
    while (t.ckBusy) await t.ckBusy;
    // Untracked (deleted) while it waited: nothing is captured or written after the delete.
    if (t.gone) return { status: 'untracked' };
    const run = async (): Promise<CheckpointOutcome> => {
      const t0 = performance.now();
      t.report.inProgress = true;
      const fence = this.#opts.fence?.(worldId);
      if (fence === null) {
        t.report.skippedNotOwner++;
        t.report.inProgress = false;
        return { status: 'not-owner' };
      }
      try {
        const cap = captureWorld(t.world, captureInto(t)); // synchronous copy, between steps
        t.lastCheckpointWall = performance.now();
        const rawBytes = cap.packed.byteLength; // read before the buffer is handed over
        const w = await this.#writer.write(
          cap.packed,
          {
            worldId,
            step: cap.step,
            worldTime: cap.worldTime,
            config: cap.config,
            fencingToken: fence ? fence.token : 0,
            meta: { format: SNAPSHOT_FORMAT_VERSION, schema: WORLD_SNAPSHOT_SCHEMA, incarnation: t.incarnation, rawBytes },
          },
          fence ?? undefined,
        );
        if (w === null) return { status: 'untracked' }; // dropped by untrack before the writer started it
        const r = t.report;
        r.saved++;
        r.lastAt = Date.now();
        r.lastStep = cap.step;
        r.lastWorldTime = cap.worldTime;
        r.lastCopyMs = cap.copyMs;
        r.lastDurationMs = performance.now() - t0;
        r.lastEncodeMs = w.encodeMs;
        r.lastWriteMs = w.writeMs;
        r.lastBytes = w.storedBytes;
        r.lastRawBytes = rawBytes;
        r.lastError = null;
        t.ckFailSince = null;
        return { status: 'saved', step: cap.step, bytes: w.storedBytes };
      } catch (err) {
        t.report.failed++;
        t.report.lastError = err instanceof Error ? err.message.slice(0, 200) : String(err);
        const now = performance.now();
        t.ckFailSince ??= now;
        this.#logFailure('checkpoint', err, { world: worldId }, now - t.ckFailSince);
        return { status: 'failed', error: err };
      } finally {
        t.report.inProgress = false;
      }
    };
    const done = run();
    t.ckBusy = done.then(() => undefined).finally(() => (t.ckBusy = null));
    return done;
  }

  /** Checkpoint figures of a world, or null if it is not tracked. */
  report(worldId: string): CheckpointReport | null {
    return this.#worlds.get(worldId)?.report ?? null;
  }
}
