/**
 * Applying committed ledger entries to wallet components, exactly once.
 *
 * An entry is applied to an entity only when its seq is above the entity's watermark
 * (`Wallet.appliedSeq[eid]`), which then moves to the entry's seq. Entries of one player commit
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
 * Apply a resolved wallet effect to entity `eid`, unchecked: `coins += coinsDelta`, slot `slot`
 * (when in 0..WALLET_SLOTS-1) `+= quantity`, watermark = `seq`. The one write path of {@link applyLedgerEntry}
 * and of a replayed input log (src/replay/replay-ledger.ts), so both change a wallet the same way.
 */
export const applyWalletEffect = (wallet: Wallet, eid: number, seq: number, coinsDelta: number, slot: number, quantity: number): void => {
  wallet.coins[eid] = wallet.coins[eid] + coinsDelta;
  if (slot >= 0 && slot < WALLET_SLOTS) {
    const field = walletSlot(wallet, slot);
    field[eid] = field[eid] + quantity;
  }
  wallet.appliedSeq[eid] = seq;
};

/**
 * Apply one entry to entity `eid`; false when it was already applied (or is not an `ok` entry).
 * An item no longer in the catalogue keeps its coins effect but cannot be shown in a slot.
 */
export const applyLedgerEntry = (wallet: Wallet, eid: number, entry: LedgerEntry, catalogue: Catalogue): boolean => {
  if (entry.status !== 'ok' || entry.seq <= wallet.appliedSeq[eid]) return false;
  applyWalletEffect(wallet, eid, entry.seq, entry.coinsDelta, entrySlot(entry, catalogue), entry.quantity);
  return true;
};

/** Apply entries (in seq order) to the entities `eidOf` maps their players to. */
export const applyLedgerEntries = (
  wallet: Wallet,
  entries: readonly LedgerEntry[],
  eidOf: (playerId: string) => number | undefined,
  catalogue: Catalogue,
): ApplyCounts => {
  const counts: ApplyCounts = { applied: 0, skipped: 0, absent: 0 };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const eid = eidOf(e.playerId);
    if (eid === undefined) counts.absent++;
    else if (applyLedgerEntry(wallet, eid, e, catalogue)) counts.applied++;
    else counts.skipped++;
  }
  return counts;
};

/** What an entity's wallet holds, by item id (zero counts omitted), with its watermark. */
export interface HeldBalance {
  playerId: string;
  coins: number;
  items: Record<string, number>;
  appliedSeq: number;
}

/** Read an entity's wallet as a {@link HeldBalance}. */
export const readWallet = (wallet: Wallet, eid: number, playerId: string, catalogue: Catalogue): HeldBalance => {
  const items: Record<string, number> = {};
  for (const it of catalogue.items) {
    if (it.slot >= WALLET_SLOTS) continue;
    const n = walletSlot(wallet, it.slot)[eid];
    if (n) items[it.id] = n;
  }
  return { playerId, coins: wallet.coins[eid], items, appliedSeq: wallet.appliedSeq[eid] };
};
