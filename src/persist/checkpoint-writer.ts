/**
 * Where a captured checkpoint is compressed and written: {@link WorkerCheckpointWriter} on a
 * worker thread with its own store connection (the default in the runtime: better-sqlite3 writes
 * and fsyncs synchronously, ~20 ms for a 10k-NPC world on the loop otherwise), or
 * {@link InlineCheckpointWriter} through the runtime's own store (zlib on the thread pool, then
 * `saveCheckpoint` on the loop; tests and tools).
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { WorldtickError, ErrorCode, type ErrorCodeValue } from '../errors.js';
import { resolveStoreTarget, type OpenStoreOptions } from '../store/open-store.js';
import { POSTGRES_DEFAULTS } from '../store/postgres-pool.js';
import type { CheckpointInput, Fence, Store } from '../store/types.js';
import { StrandedTaskError, StrandedTasks } from '../jobs/stranded-tasks.js';
import { tsxImport } from '../jobs/tsx-worker.js';
import { deflateSnapshot, snapshotChecksum } from './snapshot-format.js';
import type { WriterFailure, WriterResult, WriterTask } from './workers/checkpoint-writer-worker.js';

/** The result of one write. Wall ms. */
export interface WriteResult {
  storedBytes: number;
  encodeMs: number;
  writeMs: number;
}

/** Compress and save a packed checkpoint. */
export interface CheckpointWriter {
  /**
   * `packed` is handed over: the caller must not use it afterwards (it may be transferred). Resolves
   * `null` when the write was dropped by {@link CheckpointWriter.drop} before it started (nothing written).
   */
  write(packed: Uint8Array, input: Omit<CheckpointInput, 'data'>, fence?: Fence): Promise<WriteResult | null>;
  /**
   * Drop the writes of `worldId` still queued (not started): each resolves `null`, nothing of them is
   * written. A write already started is not stopped. Returns how many were dropped.
   */
  drop(worldId: string): number;
  close(): Promise<void>;
}

/** Writes through a store on this thread (compression still on the thread pool). */
export class InlineCheckpointWriter implements CheckpointWriter {
  readonly #store: () => Store;
  constructor(store: () => Store) {
    this.#store = store;
  }
  async write(packed: Uint8Array, input: Omit<CheckpointInput, 'data'>, fence?: Fence): Promise<WriteResult> {
    const t0 = performance.now();
    const crc32 = snapshotChecksum(packed);
    const data = await deflateSnapshot(packed);
    const t1 = performance.now();
    // The packed bytes' CRC-32 goes in the row's meta: checked at restore (raw deflate has no checksum).
    const meta = crc32 === undefined ? input.meta : { ...input.meta, crc32 };
    await this.#store().saveCheckpoint({ ...input, ...(meta ? { meta } : {}), data }, fence ? { fence } : {});
    return { storedBytes: data.byteLength, encodeMs: t1 - t0, writeMs: performance.now() - t1 };
  }
  /** Nothing is queued here: a write starts when asked for. */
  drop(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

const WORKER_FILE = new URL(`./workers/checkpoint-writer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Checkpoints the writer thread writes at once on PostgreSQL (of different worlds), at most the pool
 * size (`maxConnections`, `--store-pool-size`, default 4): each is a few round trips and a WAL flush,
 * the thread mostly waits. SQLite: one (one file, one writer).
 */
export const POSTGRES_CHECKPOINT_WRITES = 4;

/** Writes at once for the store `target` names: {@link POSTGRES_CHECKPOINT_WRITES} bounded by the pool on PostgreSQL, else 1. */
export const checkpointWritesFor = (target: OpenStoreOptions): number =>
  resolveStoreTarget(target).kind === 'postgres'
    ? Math.max(1, Math.min(POSTGRES_CHECKPOINT_WRITES, target.maxConnections ?? POSTGRES_DEFAULTS.maxConnections))
    : 1;

/** A write waiting for the thread, in the order asked for. */
interface Job {
  worldId: string;
  task: WriterTask;
  transfer: boolean;
  resolve: (r: WriteResult | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes on a worker thread (piscina, one thread) that opens its own connection to the store `target` names.
 * The writes wait here, first asked first handed to the thread, at most `concurrency` on the thread at once
 * and never two of one world (a world's writes are handed over one after another, in the order asked for);
 * a deleted world's writes still waiting are dropped ({@link WorkerCheckpointWriter.drop}). The queue holds
 * at most one write per world in practice (the checkpointer asks for one at a time).
 */
export class WorkerCheckpointWriter implements CheckpointWriter {
  readonly #tasks: StrandedTasks<WriterTask, WriterResult | WriterFailure>;
  readonly #target: OpenStoreOptions;
  readonly #concurrency: number;
  readonly #queue: Job[] = [];
  /** Worlds with a write on the thread. */
  readonly #running = new Set<string>();
  #closed = false;

  /**
   * `concurrency`: writes on the thread at once (default {@link checkpointWritesFor} `target`). `workerFile`: the
   * thread's module instead of the writer's own (tests: a module that cannot load).
   */
  constructor(target: OpenStoreOptions, o: { concurrency?: number; workerFile?: string } = {}) {
    // The thread connects at its first checkpoint, maybe after a newer build migrated a shared store
    // (a rolling upgrade): it attaches to the store this process opened at start instead of refusing it.
    this.#target = { ...target, attach: true };
    this.#concurrency = Math.max(1, Math.floor(o.concurrency ?? checkpointWritesFor(target)));
    const filename = o.workerFile ?? fileURLToPath(WORKER_FILE);
    const concurrentTasksPerWorker = this.#concurrency;
    // A thread that cannot start (its module or tsx not found) ends the writes waiting for it, which piscina
    // would leave pending for good: a stop waited for its final checkpoint until --stop-timeout (stranded-tasks.ts).
    this.#tasks = new StrandedTasks(
      () =>
        new Piscina<WriterTask, WriterResult | WriterFailure>({
          filename,
          minThreads: 1,
          maxThreads: 1,
          concurrentTasksPerWorker,
          idleTimeout: 60_000,
          // TypeScript workers need tsx's loader (vitest's transforms do not reach worker threads).
          execArgv: filename.endsWith('.ts') ? tsxImport() : [],
        }),
    );
  }

  write(packed: Uint8Array, input: Omit<CheckpointInput, 'data'>, fence?: Fence): Promise<WriteResult | null> {
    if (this.#closed) return Promise.reject(new WorldtickError(ErrorCode.STORE_UNAVAILABLE, 'checkpoint writer closed'));
    const task: WriterTask = { target: this.#target, packed, input, ...(fence ? { fence } : {}) };
    // The packed buffer is the capture's own (never a store view): transferred, not copied.
    const transfer = packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength && packed.buffer instanceof ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.#queue.push({ worldId: input.worldId, task, transfer, resolve, reject });
      this.#pump();
    });
  }

  drop(worldId: string): number {
    let dropped = 0;
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const job = this.#queue[i];
      if (job?.worldId !== worldId) continue;
      this.#queue.splice(i, 1);
      job.resolve(null);
      dropped++;
    }
    return dropped;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new WorldtickError(ErrorCode.STORE_UNAVAILABLE, 'checkpoint writer closed'));
    await this.#tasks.close();
  }

  /** Hand waiting writes to the thread while it has room: the first of each world not on the thread already. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length && this.#running.size < this.#concurrency; ) {
      const job = this.#queue[i];
      if (!job || this.#running.has(job.worldId)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#running.add(job.worldId);
      this.#run(job)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.#running.delete(job.worldId);
          this.#pump();
        });
    }
  }

  async #run(job: Job): Promise<WriteResult> {
    let r: WriterResult | WriterFailure;
    try {
      const transferList = job.transfer ? [job.task.packed.buffer as ArrayBuffer] : undefined;
      r = await this.#tasks.run(job.task, transferList ? { transferList } : {});
    } catch (err) {
      // The worker returns a write's failures: a throw is the thread's (it could not start, it died, it was ended).
      if (this.#closed) throw new WorldtickError(ErrorCode.STORE_UNAVAILABLE, 'checkpoint writer closed', { cause: err });
      const why = err instanceof Error ? err.message : String(err);
      throw new WorldtickError(
        ErrorCode.WORKER_FAILED,
        err instanceof StrandedTaskError ? `checkpoint writer: ${why}` : `checkpoint writer thread failed: ${why.slice(0, 200)}`,
        { cause: err },
      );
    }
    if ('failure' in r) throw new WorldtickError(codeOf(r.failure.code), r.failure.message, { details: r.failure.details });
    return r;
  }
}

const CODES = new Set<string>(Object.values(ErrorCode));
const codeOf = (c: string | null): ErrorCodeValue => (c !== null && CODES.has(c) ? (c as ErrorCodeValue) : ErrorCode.STORE_UNAVAILABLE);
