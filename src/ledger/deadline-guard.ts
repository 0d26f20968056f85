/**
 * Deadlines kept while a ledger commit runs (src/ledger/ledger-service.ts). Every request past its
 * deadline — in the attempt's batch, or queued behind it — is answered TX_UNAVAILABLE on time, even
 * when the store hangs; if the attempt commits after all, a retry with the same key gets the stored
 * result. Before, only the batch was: a request queued behind a commit hung until the store's 5 s
 * query timeout waited that long, past its client's own timeout (which then sent the key again, to
 * wait again: test/integration/cluster/cut-owner.test.ts, PostgreSQL cut, under load).
 */
import type { Pending } from './ledger-service-types.js';

/** The shortest wait (ms) between two checks (an answer may be this late). */
const CHECK_MIN_MS = 10;

/** What {@link guardDeadlines} watches. */
export interface DeadlineGuardOptions {
  readonly now: () => number;
  /** Requests queued later than the first check are due no sooner than this after it (ms). */
  readonly deadlineMs: number;
  /** The attempt's batch and the queue (live arrays: requests queued meanwhile are seen). */
  readonly lists: ReadonlyArray<readonly Pending[]>;
  /** Answer `p` TX_UNAVAILABLE (it is past its deadline and not done). */
  readonly expire: (p: Pending) => void;
}

/**
 * Check at the earliest deadline pending, then again at the next one (at least every `deadlineMs`, for
 * requests queued later; at most every {@link CHECK_MIN_MS}) until `stop()`.
 */
export const guardDeadlines = (o: DeadlineGuardOptions): { stop(): void } => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = (t: number, expire: boolean): number => {
    let at = t + o.deadlineMs;
    for (const list of o.lists)
      for (const p of list) {
        if (p.done) continue;
        if (t >= p.deadline && expire) o.expire(p);
        else if (p.deadline < at) at = p.deadline;
      }
    return at;
  };
  const check = (): void => {
    const t = o.now();
    timer = setTimeout(check, Math.max(CHECK_MIN_MS, next(t, true) - t));
  };
  const t0 = o.now();
  timer = setTimeout(check, Math.max(0, next(t0, false) - t0));
  return { stop: () => clearTimeout(timer) };
};
