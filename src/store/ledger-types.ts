/**
 * Ledger types of the store seam (src/store/types.ts re-exports them): entries as written and as
 * committed, queries over the ledger, a player's balance, and a player's ledger read as one snapshot.
 */
import { ledgerDamaged, ledgerStale } from '../errors.js';

/** Kind of ledger entry: a client purchase or a server-side grant. */
export type LedgerKind = 'purchase' | 'reward';

/** A ledger entry as written by the ledger service (the store assigns `seq`). */
export interface LedgerEntryInput {
  worldId: string;
  playerId: string;
  /** Idempotency key, unique per player. */
  key: string;
  kind: LedgerKind;
  /** Catalogue item id, or null for a coins-only reward. */
  item: string | null;
  /** Items added to the inventory (0 for a coins-only reward). */
  quantity: number;
  /** Unit price charged (purchases; 0 for rewards). */
  unitPrice: number;
  /** Coins added (negative for a purchase; 0 for a rejected entry). */
  coinsDelta: number;
  /** `ok` entries change the balance; `rejected` entries record a decided refusal (replayed by key). */
  status: 'ok' | 'rejected';
  /** Rejection code (a TxCode value) or null. */
  code: string | null;
  /** Canonical text of the request content; a repeated key with another fingerprint is a conflict. */
  fingerprint: string;
  /** Wall-clock ms since the epoch. */
  createdAt: number;
}

/** A committed ledger entry. */
export interface LedgerEntry extends LedgerEntryInput {
  /** Store-wide sequence number: increasing in commit order per player (the apply watermark). */
  seq: number;
}

/** Result of committing one entry: `duplicate` when (player, key) already existed (that entry is returned). */
export interface LedgerCommitResult {
  entry: LedgerEntry;
  duplicate: boolean;
}

/** Per player, the balance `lastSeq` a ledger batch was decided on (`Store.commitLedger`'s `expect`). */
export type LedgerExpectation = ReadonlyMap<string, number>;

/**
 * Refuse a ledger batch `WT_ERR_LEDGER_STALE` when a player's stored `lastSeq` (`stored(id)`, no balance row: 0) is
 * not the one `expect` gives; `WT_ERR_LEDGER_DAMAGED` first when `stored(id)` is null for any (a damaged balance its
 * entries cannot rebuild: {@link representable}), naming every such player of the batch.
 */
export const refuseStaleOrDamaged = (expect: LedgerExpectation, stored: (playerId: string) => number | null): void => {
  const seqs = [...expect].map(([id, seq]) => [id, seq, stored(id)] as const);
  const damaged = seqs.filter(([, , s]) => s === null).map(([id]) => id);
  if (damaged.length) throw ledgerDamaged(damaged);
  const stale = seqs.filter(([, seq, s]) => s !== seq).map(([id]) => id);
  if (stale.length) throw ledgerStale(stale);
};

/** Whether a balance rebuilt from a player's entries can be stored and decided on: every figure a safe integer. */
export const representable = (b: Balance): boolean =>
  Number.isSafeInteger(b.coins) && Number.isSafeInteger(b.lastSeq) && Object.values(b.items).every((n) => Number.isSafeInteger(n));

/** Query over the ledger, in `seq` order. */
export interface LedgerQuery {
  playerId?: string;
  worldId?: string;
  /** Only entries with seq > afterSeq. */
  afterSeq?: number;
  /** At most this many (default 10,000). */
  limit?: number;
}

/** A player's holdings as recorded in the ledger: coins and item counts. */
export interface Balance {
  coins: number;
  items: Record<string, number>;
  /** Highest seq of the player's `ok` entries (0 when none; recorded refusals do not count). */
  lastSeq: number;
  /**
   * A store read only: the player's summary row was damaged (src/store/rows.ts `intactBalance`), so this
   * balance was summed from its ledger entries; `verify` reports it.
   */
  unreadable?: true;
}

/** A player's entries and balance read from one snapshot ({@link import('./types.js').Store.readPlayerLedger}). */
export interface PlayerLedger {
  /** The player's entries in seq order (after `afterSeq`, at most `limit`). */
  entries: LedgerEntry[];
  /** The player's balance in the same snapshot: with `afterSeq` 0 and no limit cutting `entries` short, their `ok` sum. */
  balance: Balance;
}
