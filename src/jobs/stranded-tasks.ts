/**
 * Tasks piscina would leave waiting for good. Measured with piscina 5.3.2 (stop 68):
 * - a thread that fails while it starts (its module throws at import, its `--import` is not found) rejects
 *   nothing: the tasks waiting for it stay queued, and piscina starts no thread for them again (it stops
 *   replacing threads that fail during bootstrap) — every task of a pool whose worker module cannot load
 *   waited forever, and a stop waited for its final checkpoint until `--stop-timeout`;
 * - a thread that dies with tasks queued behind it rejects its own tasks only: with `minThreads` 0 no
 *   thread is started for the queued ones until the next task is handed in.
 *
 * Both leave the pool with no thread and tasks still pending (none of them started: no thread ran them).
 * {@link StrandedTasks} owns the pool and watches for exactly that, after a thread's failure: the pool is
 * replaced by a fresh one (the old one destroyed, so none of its queued tasks can run later), and the pending
 * tasks are handed to the new one when a task's thread had crashed or was ended by its abort (at most
 * {@link REQUEUES} times each), or end with {@link StrandedTaskError}, naming the failure, after the pool's
 * `error` event (a thread that failed with no task of its own: one that could not start).
 * No signal of its own is added to a task: piscina runs a task with a signal only on an idle thread, which
 * would take away a pool's `concurrentTasksPerWorker`.
 */
import type { Piscina } from 'piscina';

/** A task ended because no thread was left to run it; `message` names the thread's failure. */
export class StrandedTaskError extends Error {
  override get name(): string {
    return 'StrandedTaskError';
  }
}

/** Times one task is handed in again after threads died with it queued, before it ends stranded. */
export const REQUEUES = 3;

/** How a pending task is told it was stranded: handed in again, or ended. */
class Requeue {
  constructor(readonly error: StrandedTaskError) {}
}
type Strand = (why: Requeue | StrandedTaskError) => void;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 200);

/** One piscina pool (replaced when it strands its tasks), and the tasks handed to it. */
export class StrandedTasks<T, R> {
  readonly #make: () => Piscina<T, R>;
  #pool: Piscina<T, R>;
  readonly #pending = new Set<Strand>();
  #closed = false;

  /** `make` builds the pool (again after one stranded its tasks). */
  constructor(make: () => Piscina<T, R>) {
    this.#make = make;
    this.#pool = this.#open();
  }

  /** The pool now (for its figures: `threads`, `queueSize`). */
  get pool(): Piscina<T, R> {
    return this.#pool;
  }

  /**
   * Hand `task` to the pool, as `Piscina.run` with `options`. Rejects with a {@link StrandedTaskError} when it
   * was stranded for good, else as `run` does.
   */
  async run(task: T, options: Parameters<Piscina<T, R>['run']>[1] = {}): Promise<R> {
    for (let requeues = 0; ; requeues++) {
      const pool = this.#pool;
      let strand: Strand = () => {};
      const stranded = new Promise<never>((_, reject) => (strand = reject));
      this.#pending.add(strand);
      const ran = pool.run(task, options);
      try {
        return await Promise.race([ran, stranded]);
      } catch (err) {
        this.#pending.delete(strand);
        if (err instanceof Requeue) {
          if (requeues < REQUEUES && !this.#closed) continue;
          throw err.error;
        }
        if (!(err instanceof StrandedTaskError)) this.#strand(pool, err, true);
        throw err;
      } finally {
        this.#pending.delete(strand);
        ran.catch(() => {}); // a stranded task's own promise ends when its old pool is destroyed
      }
    }
  }

  /** Destroy the pool (its tasks reject); no other is made. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.destroy();
  }

  #open(): Piscina<T, R> {
    const pool = this.#make();
    pool.on('error', (err: unknown) => this.#strand(pool, err, false));
    return pool;
  }

  /** After a failure `err` of a thread of `pool`: with no thread left, replace the pool and hand the pending tasks in again (`requeue`) or end them. */
  #strand(pool: Piscina<T, R>, err: unknown, requeue: boolean): void {
    if (pool !== this.#pool || this.#closed || pool.threads.length > 0 || this.#pending.size === 0) return;
    const error = new StrandedTaskError(`no worker thread left to run the task: a thread failed (${messageOf(err)})`, {
      cause: err,
    });
    const why = requeue ? new Requeue(error) : error;
    // Told first: destroying the pool rejects their piscina tasks too ("Terminating worker thread").
    for (const strand of [...this.#pending]) strand(why);
    this.#pool = this.#open();
    void pool.destroy().catch(() => {});
  }
}
