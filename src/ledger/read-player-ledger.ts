/**
 * Every ledger entry of one player after a seq, read page by page: the catch-up of a wallet that has
 * a watermark (src/ledger/catch-up.ts; a fresh wallet starts from the player's ledger summary
 * instead), the ledger service's reload of a stale balance, and the `verify` command's full read.
 *
 * A player's history can be long (what is above a watermark, or all of it for `verify`:
 * docs/DURABILITY.md "Player binding and catch-up"), and the embedded store reads synchronously: read in one go, 50,000
 * entries held the event loop ≈ 0.4 s (bench/ledger-catchup.ts) — every world of the process without
 * a step, every socket unserved. So pages are small ({@link CATCH_UP_PAGE}) and the read gives the
 * event loop a turn before each one (a macrotask, not a microtask): the longest hold is one page.
 * The caller (a step binding a player) never runs the read inside its step.
 */
import type { LedgerEntry, Store } from '../store/types.js';

/** Entries read per page (≈ 8-9 ms of SQLite reading on this machine). */
export const CATCH_UP_PAGE = 1000;

/** One turn of the event loop: what is queued (steps, sockets, timers) runs before the next page. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const readPlayerLedger = async (store: Store, playerId: string, afterSeq = 0): Promise<LedgerEntry[]> => {
  const out: LedgerEntry[] = [];
  let after = afterSeq;
  for (;;) {
    await nextTurn();
    const page = await store.readLedger({ playerId, afterSeq: after, limit: CATCH_UP_PAGE });
    out.push(...page);
    const last = page[page.length - 1];
    if (page.length < CATCH_UP_PAGE || !last) return out;
    after = last.seq;
  }
};
