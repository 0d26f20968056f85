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
import type { OpenStoreOptions } from '../store/open-store.js';
import type { CheckpointInput, Fence, Store } from '../store/types.js';
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
  /** `packed` is handed over: the caller must not use it afterwards (it may be transferred). */
  write(packed: Uint8Array, input: Omit<CheckpointInput, 'data'>, fence?: Fence): Promise<WriteResult>;
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
  async close(): Promise<void> {}
}

const WORKER_FILE = new URL(`./workers/checkpoint-writer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Writes on a worker thread (piscina, one thread) that opens its own connection to the store `target` names. */
export class WorkerCheckpointWriter implements CheckpointWriter {
  readonly #pool: Piscina<WriterTask, WriterResult | WriterFailure>;
  readonly #target: OpenStoreOptions;

  constructor(target: OpenStoreOptions) {
    // The thread connects at its first checkpoint, maybe after a newer build migrated a shared store
    // (a rolling upgrade): it attaches to the store this process opened at start instead of refusing it.
    this.#target = { ...target, attach: true };
    const filename = fileURLToPath(WORKER_FILE);
    this.#pool = new Piscina<WriterTask, WriterResult | WriterFailure>({
      filename,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: 60_000,
      // TypeScript workers need tsx's loader (vitest's transforms do not reach worker threads).
      execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [],
    });
    this.#pool.on('error', () => {});
  }

  async write(packed: Uint8Array, input: Omit<CheckpointInput, 'data'>, fence?: Fence): Promise<WriteResult> {
    const task: WriterTask = { target: this.#target, packed, input, ...(fence ? { fence } : {}) };
    // The packed buffer is the capture's own (never a store view): transferred, not copied.
    const own = packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength && packed.buffer instanceof ArrayBuffer;
    let r: WriterResult | WriterFailure;
    try {
      r = await this.#pool.run(task, own ? { transferList: [packed.buffer as ArrayBuffer] } : {});
    } catch (err) {
      if (err instanceof WorldtickError) throw err;
      const code = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
      throw new WorldtickError(codeOf(typeof code === 'string' ? code : null), err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    if ('failure' in r) throw new WorldtickError(codeOf(r.failure.code), r.failure.message, { details: r.failure.details });
    return r;
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

const CODES = new Set<string>(Object.values(ErrorCode));
const codeOf = (c: string | null): ErrorCodeValue => (c !== null && CODES.has(c) ? (c as ErrorCodeValue) : ErrorCode.STORE_UNAVAILABLE);
