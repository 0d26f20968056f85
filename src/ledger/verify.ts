/**
 * Consistency check: recompute every balance and inventory from the ledger and compare it with
 * what live state and the last snapshot hold. Each holder is compared with the ledger up to its
 * own watermark (`appliedSeq`), so entries committed but not yet applied are not mismatches;
 * they are counted as `unapplied`. A coin balance that would have gone negative is reported too,
 * and so is a ledger summary (`Store.ledgerBalance`, schema 9 `ledger_balances`: what balance
 * loads and fresh wallets' catch-ups read) that differs from the recomputed sum (`summary:*` fields).
 * A player's entries and summary are read together ({@link readPlayerLedgerSnapshot}: pages of
 * `Store.readPlayerLedger`, one snapshot each), so a commit landing while verify reads is in both or in
 * neither, and no re-read of the summary is needed to tell such a commit from a mismatch.
 */
import { sumBalance } from '../store/rows.js';
import type { Balance, LedgerEntry, Store } from '../store/types.js';
import type { HeldBalance } from './apply.js';
import { readPlayerLedgerSnapshot } from './read-player-ledger.js';

/** One difference between the ledger and a holder. */
export interface Mismatch {
  playerId: string;
  source: 'live' | 'snapshot' | 'ledger';
  /**
   * `coins`, `item:<id>`, `appliedSeq` (watermark beyond the ledger), `negative-coins`, or (source
   * `ledger`) `summary:coins`, `summary:item:<id>`, `summary:lastSeq`: the store's per-player summary
   * (`held`) differs from the sum of the player's entries (`ledger`); `summary:unreadable`: the
   * summary row is damaged (`held` 1; read and, at the player's next commit, rewritten from the ledger).
   */
  field: string;
  /** Value recomputed from the ledger. */
  ledger: number;
  /** Value held by the source. */
  held: number;
}

export interface VerifyReport {
  players: number;
  entriesRead: number;
  /** Ok entries above a live holder's watermark (committed, not yet applied). */
  unapplied: number;
  mismatches: Mismatch[];
}

const compare = (entries: readonly LedgerEntry[], held: HeldBalance, source: 'live' | 'snapshot', out: Mismatch[]): number => {
  let coins = 0;
  let maxSeq = 0;
  let unapplied = 0;
  const items = new Map<string, number>();
  for (const e of entries) {
    if (e.status !== 'ok') continue;
    maxSeq = Math.max(maxSeq, e.seq);
    if (e.seq > held.appliedSeq) {
      unapplied++;
      continue;
    }
    coins += e.coinsDelta;
    if (e.item !== null && e.quantity) items.set(e.item, (items.get(e.item) ?? 0) + e.quantity);
  }
  if (held.appliedSeq > maxSeq && held.appliedSeq > 0) {
    out.push({ playerId: held.playerId, source, field: 'appliedSeq', ledger: maxSeq, held: held.appliedSeq });
  }
  if (coins !== held.coins) out.push({ playerId: held.playerId, source, field: 'coins', ledger: coins, held: held.coins });
  for (const id of new Set([...items.keys(), ...Object.keys(held.items)])) {
    const a = items.get(id) ?? 0;
    const b = held.items[id] ?? 0;
    if (a !== b) out.push({ playerId: held.playerId, source, field: `item:${id}`, ledger: a, held: b });
  }
  return unapplied;
};

/** Compare a player's stored summary with the sum of its entries (`summary:*` mismatches, source `ledger`). */
export const compareSummary = (playerId: string, summed: Balance, summary: Balance, out: Mismatch[]): void => {
  const put = (field: string, ledger: number, held: number): void => {
    if (ledger !== held) out.push({ playerId, source: 'ledger', field: `summary:${field}`, ledger, held });
  };
  put('coins', summed.coins, summary.coins);
  for (const id of new Set([...Object.keys(summed.items), ...Object.keys(summary.items)]))
    put(`item:${id}`, summed.items[id] ?? 0, summary.items[id] ?? 0);
  put('lastSeq', summed.lastSeq, summary.lastSeq);
  // The row was damaged, read as summed from the ledger (so it agrees above): 1 row damaged.
  if (summary.unreadable) out.push({ playerId, source: 'ledger', field: 'summary:unreadable', ledger: 0, held: 1 });
};

/**
 * Verify holders against the ledger in `store`. `live` is read from the running worlds' wallets (a
 * player live in several worlds has one in each, every one compared),
 * `snapshot` from the last checkpoint's (both with {@link import('./apply.js').readWallet}).
 */
export const verifyLedger = async (input: {
  store: Store;
  live: readonly HeldBalance[];
  snapshot?: readonly HeldBalance[];
}): Promise<VerifyReport> => {
  const report: VerifyReport = { players: 0, entriesRead: 0, unapplied: 0, mismatches: [] };
  // One identity may be live in several worlds (one wallet each): every live wallet is compared.
  const byPlayer = new Map<string, { live: HeldBalance[]; snapshot?: HeldBalance }>();
  const of = (id: string): { live: HeldBalance[]; snapshot?: HeldBalance } => {
    const v = byPlayer.get(id) ?? { live: [] };
    byPlayer.set(id, v);
    return v;
  };
  for (const h of input.live) of(h.playerId).live.push(h);
  for (const h of input.snapshot ?? []) of(h.playerId).snapshot = h;
  for (const [playerId, held] of byPlayer) {
    // Entries and summary from one snapshot (a commit is in both or in neither): a difference is a mismatch.
    const { entries, balance: summary } = await readPlayerLedgerSnapshot(input.store, playerId);
    report.players++;
    report.entriesRead += entries.length;
    let running = 0;
    for (const e of entries) {
      if (e.status !== 'ok') continue;
      running += e.coinsDelta;
      if (running < 0) {
        report.mismatches.push({ playerId, source: 'ledger', field: 'negative-coins', ledger: running, held: e.seq });
        break;
      }
    }
    compareSummary(playerId, sumBalance(entries), summary, report.mismatches);
    for (const live of held.live) report.unapplied += compare(entries, live, 'live', report.mismatches);
    if (held.snapshot) compare(entries, held.snapshot, 'snapshot', report.mismatches);
  }
  return report;
};
