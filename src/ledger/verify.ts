/**
 * Consistency check: recompute every balance and inventory from the ledger and compare it with
 * what live state and the last snapshot hold. Each holder is compared with the ledger up to its
 * own watermark (`appliedSeq`), so entries committed but not yet applied are not mismatches;
 * they are counted as `unapplied`. A coin balance that would have gone negative is reported too,
 * and so is a ledger summary (`Store.ledgerBalance`, schema 9 `ledger_balances`: what balance
 * loads and fresh wallets' catch-ups read) that differs from the recomputed sum (`summary:*` fields).
 */
import { sumBalance } from '../store/rows.js';
import type { Balance, LedgerEntry, Store } from '../store/types.js';
import type { HeldBalance } from './apply.js';
import { readPlayerLedger } from './read-player-ledger.js';

/** One difference between the ledger and a holder. */
export interface Mismatch {
  playerId: string;
  source: 'live' | 'snapshot' | 'ledger';
  /**
   * `coins`, `item:<id>`, `appliedSeq` (watermark beyond the ledger), `negative-coins`, or (source
   * `ledger`) `summary:coins`, `summary:item:<id>`, `summary:lastSeq`: the store's per-player summary
   * (`held`) differs from the sum of the player's entries (`ledger`).
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
};

/** Reads of a player's entries and summary before the pair is compared as it is (a player buying without a pause). */
const SETTLE_ATTEMPTS = 10;

const sameBalance = (a: Balance, b: Balance): boolean => {
  if (a.coins !== b.coins || a.lastSeq !== b.lastSeq) return false;
  const ka = Object.keys(a.items);
  return ka.length === Object.keys(b.items).length && ka.every((k) => a.items[k] === b.items[k]);
};

/** Seq of the last entry of `entries` (read in seq order), 0 when none. */
const lastReadSeq = (entries: readonly LedgerEntry[]): number => entries[entries.length - 1]?.seq ?? 0;

/**
 * A player's entries and summary as of one moment, on a server that keeps committing: the entries
 * and the summary are separate reads (pages, then one row), and a commit between them — the summary
 * then includes an entry the read did not see — is not a mismatch. The summary is read before and
 * after the entries; a commit of the player's meanwhile changes it (the trigger updates it in the
 * committing transaction), so the read is repeated until the two agree, up to {@link SETTLE_ATTEMPTS};
 * then the entries are read once more and those up to the last summary's `lastSeq` are compared with it
 * (a player's commits update its summary row in turn, so the entries it counts are committed before it
 * was read). Found by the crash campaign on PostgreSQL (purchases under load, `summary:coins` off by the
 * last purchase; then chain rewards without a pause, every pair of reads differing).
 *
 * `incremental`: a repeated read takes only the entries after the last seq already read (entries are
 * append-only) instead of the whole history again — what made verify slow on a live server (11 whole
 * reads of a hot player's ledger: bench/ledger-verify.ts). That misses nothing on SQLite (seqs are
 * taken inside the write transaction, so in commit order), but on PostgreSQL two transactions of one
 * player take their seqs before the summary row orders them: the smaller seq can commit after the larger
 * one was read. So {@link readSettled} trusts an incremental read only when it agrees with the summary.
 */
const settle = async (store: Store, playerId: string, incremental: boolean): Promise<{ entries: LedgerEntry[]; summary: Balance }> => {
  let entries: LedgerEntry[] = [];
  const read = async (): Promise<void> => {
    entries = incremental
      ? entries.concat(await readPlayerLedger(store, playerId, lastReadSeq(entries)))
      : await readPlayerLedger(store, playerId);
  };
  let before = await store.ledgerBalance(playerId);
  for (let attempt = 1; ; attempt++) {
    await read();
    const summary = await store.ledgerBalance(playerId);
    if (sameBalance(before, summary)) return { entries, summary };
    if (attempt >= SETTLE_ATTEMPTS) {
      // Still committing (the crash campaign's chain rewards: every pair of reads differed). Read the entries once
      // more, after this summary: they hold every entry it counts; those above its last seq came later.
      await read();
      return { entries: entries.filter((e) => e.seq <= summary.lastSeq), summary };
    }
    before = summary;
  }
};

/**
 * {@link settle} with incremental reads; when those entries disagree with the summary (a tampered summary,
 * or on PostgreSQL an entry committed late below a seq already read), the whole settle again with whole
 * reads, whose result is compared as it is (live, snapshot and summary), as before incremental reads.
 */
const readSettled = async (store: Store, playerId: string): Promise<{ entries: LedgerEntry[]; summary: Balance }> => {
  const quick = await settle(store, playerId, true);
  const differences: Mismatch[] = [];
  compareSummary(playerId, sumBalance(quick.entries), quick.summary, differences);
  return differences.length ? settle(store, playerId, false) : quick;
};

/**
 * Verify holders against the ledger in `store`. `live` is read from the running world's wallets,
 * `snapshot` from the last checkpoint's (both with {@link import('./apply.js').readWallet}).
 */
export const verifyLedger = async (input: {
  store: Store;
  live: readonly HeldBalance[];
  snapshot?: readonly HeldBalance[];
}): Promise<VerifyReport> => {
  const report: VerifyReport = { players: 0, entriesRead: 0, unapplied: 0, mismatches: [] };
  const byPlayer = new Map<string, { live?: HeldBalance; snapshot?: HeldBalance }>();
  for (const h of input.live) byPlayer.set(h.playerId, { ...byPlayer.get(h.playerId), live: h });
  for (const h of input.snapshot ?? []) byPlayer.set(h.playerId, { ...byPlayer.get(h.playerId), snapshot: h });
  for (const [playerId, held] of byPlayer) {
    const { entries, summary } = await readSettled(input.store, playerId);
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
    if (held.live) report.unapplied += compare(entries, held.live, 'live', report.mismatches);
    if (held.snapshot) compare(entries, held.snapshot, 'snapshot', report.mismatches);
  }
  return report;
};
