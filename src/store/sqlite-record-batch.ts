/**
 * Group commit of world records on the SQLite store (src/store/sqlite-store.ts `putWorldConfig`).
 *
 * Every world's record is written every 10 steps (src/persist/checkpointer.ts) and better-sqlite3 is
 * synchronous: one transaction per record is one fsync (`synchronous=FULL`) on the event loop, 2 per
 * world per second — in a probe of 200 idle worlds they kept the loop busy a third of the time and
 * steps were dropped; with 300 worlds of 50 NPCs (bench/many-worlds.ts) the loop was 99 % busy.
 * Records asked for within {@link DEFAULT_RECORD_BATCH_MS} wall ms are written in one transaction,
 * each in a savepoint of its own, so each is answered alone (a fenced or failing one is refused,
 * the others are written). The store flushes the batch before any
 * other operation and at close, so no later call overtakes a record.
 *
 *   putWorldConfig ─► [rec a][rec b][rec c] ── window ends, or any other store call ──► BEGIN IMMEDIATE
 *                                                                     SAVEPOINT a … SAVEPOINT c … COMMIT
 */

import type Database from 'better-sqlite3';
import { storeClosed } from '../errors.js';

/** Wall ms a world record waits for others to share its transaction (at most). */
export const DEFAULT_RECORD_BATCH_MS = 20;

/**
 * One write waiting in the batch: what it writes (`run`: SQLite, a function run inside its savepoint;
 * PostgreSQL, the record's row: src/store/postgres-record-batch.ts) and who waits for it.
 */
export interface BatchedWrite<W = () => unknown> {
  readonly run: W;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** The writes waiting for their transaction; owns the window's timer, hence a class. `W`: what a write is (see {@link BatchedWrite}). */
export class RecordBatch<W = () => unknown> {
  #items: BatchedWrite<W>[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #windowMs: number;
  readonly #commit: (items: readonly BatchedWrite<W>[]) => void;

  /** `commit` writes the items in one transaction and answers each (it may answer later: PostgreSQL). */
  constructor(windowMs: number, commit: (items: readonly BatchedWrite<W>[]) => void) {
    this.#windowMs = windowMs;
    this.#commit = commit;
  }

  /** Writes waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** Queue `run`; answered when its transaction commits (sent at the latest one window after the first write waiting). */
  add<T>(run: W): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#items.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.#timer ??= setTimeout(() => this.flush(), this.#windowMs);
    });
  }

  /** Commit the writes waiting now (nothing when none waits). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#commit(items);
  }
}

/** How a group commit's outcome is counted by its store. */
export interface BatchOutcome {
  /** True once the store closed: the writes are refused `WT_ERR_STORE_CLOSED`. */
  closed(): boolean;
  /** Count the transaction that committed. */
  succeeded(): void;
  /** Count a failure; returns its coded error. */
  failed(err: unknown): unknown;
  /** Throws a coded error when the store's file may not be written (src/store/sqlite-open.ts `requireFileInPlace`). */
  writable(): void;
}

/**
 * Write `items` in one IMMEDIATE transaction on `db`, each in a savepoint of its own (a nested
 * better-sqlite3 transaction): a write that throws is rolled back and refused alone, the others are
 * answered once the transaction committed. When the transaction itself fails, nothing is written
 * and every write is refused with its error.
 */
export const commitRecords = (db: Database.Database, items: readonly BatchedWrite[], o: BatchOutcome): void => {
  if (o.closed()) {
    for (const it of items) it.reject(storeClosed());
    return;
  }
  const out: Array<{ ok: boolean; value: unknown }> = [];
  try {
    o.writable();
    db.transaction(() => {
      for (const it of items) {
        try {
          out.push({ ok: true, value: db.transaction(it.run)() });
        } catch (err) {
          out.push({ ok: false, value: err });
        }
      }
    }).immediate();
  } catch (err) {
    const mapped = o.failed(err);
    for (const it of items) it.reject(mapped);
    return;
  }
  o.succeeded();
  for (const [i, it] of items.entries()) {
    const r = out[i];
    if (r?.ok) it.resolve(r.value);
    else it.reject(o.failed(r?.value));
  }
};
