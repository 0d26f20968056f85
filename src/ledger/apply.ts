/**
 * Applying committed ledger entries to wallet components, exactly once.
 *
 * An entry is applied to a wallet row (the player's row of the player table,
 * `playerRow(stores, eid)`, components/player-table.ts) only when its seq is above the row's
 * watermark (`Wallet.appliedSeq[row]`), which then moves to the entry's seq. Entries of one player commit
 * in seq order, so replays (the outbox after an ambiguous commit, the catch-up after loading a
 * checkpoint) are harmless: what is at or below the watermark is skipped. Call inside a step.
 */
import { WALLET_SLOTS, walletSlot, type Wallet } from '../../components/wallet.js';
import type { LedgerEntry } from '../store/types.js';
import type { Catalogue } from './catalogue.js';

/** Counts of one apply pass. */
export interface ApplyCounts {
  applied: number;
  /** At or below the watermark: already applied. */
  skipped: number;
  /** Player not in this world (caught up from the ledger when it joins). */
  absent: number;
}

/**
 * The inventory slot entry `entry` changes: the catalogue slot of its item, or -1 when it changes
 * none (no item, zero quantity, or an item no longer in the catalogue).
 */
export const entrySlot = (entry: LedgerEntry, catalogue: Catalogue): number => {
  if (entry.item === null || entry.quantity === 0) return -1;
  const item = catalogue.get(entry.item);
  return item ? item.slot : -1;
};

/**
 * Apply a resolved wallet effect to wallet row `row`, unchecked: `coins += coinsDelta`, slot `slot`
 * (when in 0..WALLET_SLOTS-1) `+= quantity`, watermark = `seq`. The one write path of {@link applyLedgerEntry}
 * and of a replayed input log (src/replay/replay-ledger.ts), so both change a wallet the same way.
 */
export const applyWalletEffect = (wallet: Wallet, row: number, seq: number, coinsDelta: number, slot: number, quantity: number): void => {
  wallet.coins[row] = wallet.coins[row] + coinsDelta;
  if (slot >= 0 && slot < WALLET_SLOTS) {
    const field = walletSlot(wallet, slot);
    field[row] = field[row] + quantity;
  }
  wallet.appliedSeq[row] = seq;
};

/**
 * Whether entry `e`'s amounts are integers, as every commit writes them. A SQLite INTEGER column takes any
 * value (a hand edit, a damaged file): such an amount reads as NaN, which added to a wallet made its coins or
 * an item count NaN for good (checkpointed, sent to the client). Such an entry is applied to no wallet
 * (`WorldLedgerStats.entriesDamaged`); `npm run verify` reports the player's difference.
 */
export const intactAmounts = (e: LedgerEntry): boolean => Number.isSafeInteger(e.coinsDelta) && Number.isSafeInteger(e.quantity);

/**
 * Apply one entry to wallet row `row`; false when it was already applied (or is not an `ok` entry, or its
 * amounts are damaged: {@link intactAmounts}). An item no longer in the catalogue keeps its coins effect but
 * cannot be shown in a slot.
 */
export const applyLedgerEntry = (wallet: Wallet, row: number, entry: LedgerEntry, catalogue: Catalogue): boolean => {
  if (entry.status !== 'ok' || entry.seq <= wallet.appliedSeq[row] || !intactAmounts(entry)) return false;
  applyWalletEffect(wallet, row, entry.seq, entry.coinsDelta, entrySlot(entry, catalogue), entry.quantity);
  return true;
};

/** Apply entries (in seq order) to the wallet rows `rowOf` maps their players to. */
export const applyLedgerEntries = (
  wallet: Wallet,
  entries: readonly LedgerEntry[],
  rowOf: (playerId: string) => number | undefined,
  catalogue: Catalogue,
): ApplyCounts => {
  const counts: ApplyCounts = { applied: 0, skipped: 0, absent: 0 };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const row = rowOf(e.playerId);
    if (row === undefined) counts.absent++;
    else if (applyLedgerEntry(wallet, row, e, catalogue)) counts.applied++;
    else counts.skipped++;
  }
  return counts;
};

/** What a player's wallet holds, by item id (zero counts omitted), with its watermark. */
export interface HeldBalance {
  playerId: string;
  coins: number;
  items: Record<string, number>;
  appliedSeq: number;
}

/** Read wallet row `row` as a {@link HeldBalance}. */
export const readWallet = (wallet: Wallet, row: number, playerId: string, catalogue: Catalogue): HeldBalance => {
  const items: Record<string, number> = {};
  for (const it of catalogue.items) {
    if (it.slot >= WALLET_SLOTS) continue;
    const n = walletSlot(wallet, it.slot)[row];
    if (n) items[it.id] = n;
  }
  return { playerId, coins: wallet.coins[row], items, appliedSeq: wallet.appliedSeq[row] };
};
