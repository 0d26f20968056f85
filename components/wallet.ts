import { f64, u32 } from './alloc.js';

/** Inventory slot fields, one per catalogue slot (src/ledger/catalogue.ts assigns each item a slot). */
export const WALLET_ITEM_FIELDS = ['item0', 'item1', 'item2', 'item3', 'item4', 'item5', 'item6', 'item7'] as const;
/** Inventory slots per player. */
export const WALLET_SLOTS = WALLET_ITEM_FIELDS.length;

/**
 * A player's wallet and inventory, written only by applying committed ledger entries
 * (src/ledger/apply.ts), never directly by gameplay. One row per PLAYER, the same row as the
 * `Player` store's (`playerRow(stores, eid)`, components/player-table.ts): NPCs carry no wallet.
 *
 * `coins[row]` is an integer coin balance (Float64 holds integers exactly up to 2^53).
 * `item0..item7[row]` count the catalogue item in that slot (one field per slot, so generic
 * per-row loops — row reset, state hash, checkpoint — see plain indexed fields).
 * `appliedSeq[row]` is the apply watermark: the highest ledger seq applied to this player row.
 * An entry with seq <= appliedSeq is never applied again, which makes applying exactly-once
 * across replays, restarts and checkpoint restores (the watermark is saved with the checkpoint).
 */
export const createWallet = (rows: number) => ({
  coins: f64(rows),
  appliedSeq: f64(rows),
  item0: u32(rows),
  item1: u32(rows),
  item2: u32(rows),
  item3: u32(rows),
  item4: u32(rows),
  item5: u32(rows),
  item6: u32(rows),
  item7: u32(rows),
});
export type Wallet = ReturnType<typeof createWallet>;

/** The count field of inventory slot `slot` (0..WALLET_SLOTS-1). */
export const walletSlot = (wallet: Wallet, slot: number): Uint32Array => wallet[WALLET_ITEM_FIELDS[slot]];
