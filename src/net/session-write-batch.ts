/**
 * The write-behind queue's pieces (src/net/durable-sessions.ts, docs/DURABILITY.md "Players and
 * sessions"): the commit promise of one batch, and a write's key in the overlay of unsettled writes.
 */
import type { SessionWrite } from '../store/types.js';

/** A promise settled by hand (the commit of one write-behind batch). */
export interface Batch {
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export const newBatch = (): Batch => {
  let resolve!: () => void, reject!: (err: unknown) => void;
  const done = new Promise<void>((a, b) => {
    resolve = a;
    reject = b;
  });
  // Handled here: a batch nobody waits for (parks, drops) must not be an unhandled rejection; the
  // joins waiting for it still see the failure.
  done.catch(() => undefined);
  return { done, resolve, reject };
};

/** A session write's key in the overlay of unsettled writes (token), or null for a player write. */
export const sessionKey = (op: SessionWrite): string | null =>
  op.kind === 'session' ? op.record.token : op.kind === 'dropSession' ? op.token : null;
