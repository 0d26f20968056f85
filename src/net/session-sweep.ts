/**
 * The paced session sweep (docs/DURABILITY.md "Expired records (the session sweep)"): one pass deletes
 * expired session records in bounded store transactions, oldest expiry first, a turn of the event loop
 * between two, until one comes back short — the size of each transaction set by a time budget the
 * controllers' load decides, not by a fixed row count:
 *
 *   mode of the worlds stepped here   per transaction: holds the loop ≤   its wall time ≤
 *   (the worst of them)
 *   normal     (catch-up: headroom)   SWEEP_BUDGETS.normal.holdMs        SWEEP_BUDGETS.normal.waitMs
 *   degraded                          SWEEP_BUDGETS.degraded.holdMs      SWEEP_BUDGETS.degraded.waitMs
 *   emergency                         — the pass stops (deferred to the next one, about a minute later)
 *
 * and never more than the gap before the loop's next due step ({@link SweepPace.slackMs}: the
 * transaction fits after a step, before the next; the next step due within the margin: the floor,
 * {@link SESSION_SWEEP_MIN_CHUNK}; a loop already late has no gap: the mode's budget).
 * At most twice the largest transaction of the pass so far.
 * `holdMs` is the synchronous part of the store call (better-sqlite3 holds the event loop — every
 * world's step, every socket — for a whole transaction; PostgreSQL's is ~0); `waitMs` its wall time,
 * what a hello queued behind it waits (each transaction takes its turn in the session write queue).
 * The next transaction's row limit is what the last one's cost per row fits in the budget of the mode
 * now, within {@link SESSION_SWEEP_MIN_CHUNK}..{@link SESSION_SWEEP_MAX_CHUNK};
 * the first is {@link SESSION_PRUNE_CHUNK}. A cheap store takes bigger bites (a large backlog drains
 * in fewer turns); a slow one — a WAL checkpoint, a loaded machine, a degraded world — smaller.
 */
import { performance } from 'node:perf_hooks';
import type { ControllerMode } from '../controller/controller.js';
import { SESSION_PRUNE_CHUNK } from '../store/bounded-prune.js';

/** Time budgets of one sweep transaction (wall ms) by the controllers' mode; `emergency` runs none. */
export const SWEEP_BUDGETS: Readonly<Record<Exclude<ControllerMode, 'emergency'>, { holdMs: number; waitMs: number }>> = {
  normal: { holdMs: 8, waitMs: 50 },
  degraded: { holdMs: 3, waitMs: 20 },
};
/** What a sweep pass fits in: the controllers' mode (the worst of the worlds stepped here) and the wall ms until the next due step. */
export interface SweepPace {
  mode(): ControllerMode;
  slackMs(): number;
}
/** No world stepped: normal, no step ever due. */
export const FREE_PACE: SweepPace = { mode: () => 'normal', slackMs: () => Number.POSITIVE_INFINITY };
/** Kept free before the next due step (wall ms): a transaction's cost is an estimate. */
export const SWEEP_SLACK_MARGIN_MS = 1;
/** Fewest expired records a sweep transaction asks for (the floor: a late loop still drains the backlog this much a turn). */
export const SESSION_SWEEP_MIN_CHUNK = 250;
/** Most expired records a sweep transaction asks for (a catch-up of a large backlog on a cheap store). */
export const SESSION_SWEEP_MAX_CHUNK = 16_000;

/** One sweep transaction: rows deleted, its synchronous time and its wall time (ms). */
export interface SweepTransaction {
  deleted: number;
  holdMs: number;
  wallMs: number;
}

/** What a pass did. `deferred`: stopped by an emergency with records possibly left. */
export interface SweepPass {
  deleted: number;
  transactions: number;
  deferred: boolean;
}

/**
 * Run the store call `call` through `run` (the session write queue's turn) and time it: its
 * synchronous part (`holdMs`) and its wall time from its start (`wallMs`, the queue's wait excluded).
 */
export const timedTransaction = (
  run: (write: () => Promise<number>) => Promise<number>,
  call: () => Promise<number>,
): Promise<SweepTransaction> => {
  let began = 0;
  let holdMs = 0;
  return run(() => {
    began = performance.now();
    const p = call();
    holdMs = performance.now() - began;
    return p;
  }).then((deleted) => ({ deleted, holdMs, wallMs: performance.now() - began }));
};

/**
 * The next transaction's row limit after `last` (a full one) under budget `b`: the rows its cost per
 * row fits in the budget, at most twice `biggest` (the largest limit of the pass so far: a squeeze by a
 * short gap does not slow the way back), within the min..max chunk.
 */
export const nextSweepLimit = (biggest: number, last: SweepTransaction, b: { holdMs: number; waitMs: number }): number => {
  const rows = Math.max(1, last.deleted);
  const fit = Math.min(b.holdMs / Math.max(last.holdMs / rows, 1e-6), b.waitMs / Math.max(last.wallMs / rows, 1e-6));
  return Math.max(SESSION_SWEEP_MIN_CHUNK, Math.min(SESSION_SWEEP_MAX_CHUNK, 2 * biggest, Math.floor(fit)));
};

/**
 * Run one paced pass (above): `transaction(limit)` deletes at most `limit` expired records and
 * reports its costs; `pace` is read before each transaction. `onDeleted` hears each count as it
 * comes. A failure rejects (the counts before it stay reported).
 */
export const sweepExpiredSessions = async (
  transaction: (limit: number) => Promise<SweepTransaction>,
  pace: SweepPace,
  onDeleted: (n: number) => void,
): Promise<SweepPass> => {
  const pass: SweepPass = { deleted: 0, transactions: 0, deferred: false };
  let limit = SESSION_PRUNE_CHUNK;
  let last: SweepTransaction | null = null;
  let biggest = limit;
  for (;;) {
    if (pass.transactions > 0) await new Promise<void>((r) => setImmediate(r));
    const m = pace.mode();
    if (m === 'emergency') {
      pass.deferred = true;
      return pass;
    }
    const b = SWEEP_BUDGETS[m];
    // Held no longer than the gap before the next due step; a loop already late has no gap to fit in
    // (waiting makes none): the mode's budget then, the controller's call.
    const slack = pace.slackMs();
    const holdMs = slack > 0 ? Math.max(0, Math.min(b.holdMs, slack - SWEEP_SLACK_MARGIN_MS)) : b.holdMs;
    if (last) limit = nextSweepLimit(biggest, last, { holdMs, waitMs: b.waitMs });
    biggest = Math.max(biggest, limit);
    last = await transaction(limit);
    pass.transactions++;
    pass.deleted += last.deleted;
    onDeleted(last.deleted);
    if (last.deleted < limit) return pass;
  }
};

/** The worst controller mode of `entries`' worlds (`normal` when none): the load the sweep is paced by. */
export const worstMode = (entries: Iterable<{ world: { controller: { mode: ControllerMode } } }>): ControllerMode => {
  let worst: ControllerMode = 'normal';
  for (const e of entries) {
    const m = e.world.controller.mode;
    if (m === 'emergency') return m;
    if (m === 'degraded') worst = m;
  }
  return worst;
};
