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
 * `verify` reads with {@link readPlayerLedgerSnapshot}: the entries together with the player's summary.
 * The caller (a step binding a player) never runs the read inside its step.
 */
import { sumBalance } from '../store/rows.js';
import type { Balance, LedgerEntry, PlayerLedger, Store } from '../store/types.js';

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

/** Same coins, last seq and item counts (an item missing on one side counts 0). */
const sameBalance = (a: Balance, b: Balance): boolean =>
  a.coins === b.coins &&
  a.lastSeq === b.lastSeq &&
  [...new Set([...Object.keys(a.items), ...Object.keys(b.items)])].every((k) => (a.items[k] ?? 0) === (b.items[k] ?? 0));

/**
 * A player's entries and ledger summary that agree, as of one moment, on a server that keeps committing
 * (`verify`): read page by page with {@link Store.readPlayerLedger} (each page and the summary from one
 * snapshot; the event loop gets a turn before each page, as above), the summary taken from the last page.
 * On SQLite seqs are taken inside the write transaction, so in commit order: the earlier pages are a prefix
 * of the last page's snapshot and the pages together are that snapshot. On PostgreSQL two transactions of
 * one player take their seqs before the summary row orders them, so an entry can commit after a page above
 * its seq was read: its summary then counts an entry the pages missed. Only then (the pages' sum differs from
 * the last summary) is the whole history read once more in one snapshot, and that pair is the answer: what
 * still differs in it is a real mismatch, not a commit between two reads.
 */
export const readPlayerLedgerSnapshot = async (store: Store, playerId: string): Promise<PlayerLedger> => {
  const entries: LedgerEntry[] = [];
  let after = 0;
  for (;;) {
    await nextTurn();
    const page = await store.readPlayerLedger(playerId, { afterSeq: after, limit: CATCH_UP_PAGE });
    entries.push(...page.entries);
    const last = page.entries[page.entries.length - 1];
    if (page.entries.length < CATCH_UP_PAGE || !last) {
      if (after === 0 || sameBalance(sumBalance(entries), page.balance)) return { entries, balance: page.balance };
      return store.readPlayerLedger(playerId);
    }
    after = last.seq;
  }
};
