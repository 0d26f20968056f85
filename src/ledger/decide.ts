/**
 * Pure transaction rules: request shapes, the content fingerprint behind idempotency, validation
 * against the catalogue, and the deterministic decision of a request against a balance. No I/O:
 * the same requests in the same order against the same balances give the same entries.
 */
import { TxCode, type TxCodeValue } from '../errors.js';
import type { Balance, LedgerEntry, LedgerEntryInput, LedgerKind } from '../store/types.js';
import type { Catalogue } from './catalogue.js';

/** A client purchase: `quantity` of `item` at the unit price the client saw. */
export interface PurchaseRequest {
  playerId: string;
  /** Idempotency key chosen by the client, unique per player. */
  key: string;
  item: string;
  quantity: number;
  /** Unit price the client expects to pay; a different catalogue price is TX_PRICE_MISMATCH. */
  expectedPrice: number;
}

/** A server-side grant of coins and/or items. */
export interface RewardRequest {
  playerId: string;
  /** Idempotency key chosen by the server (e.g. `quest:42:complete`), unique per player. */
  key: string;
  coins?: number;
  item?: string;
  quantity?: number;
}

/** Either request, tagged. */
export type TxRequest = ({ kind: 'purchase' } & PurchaseRequest) | ({ kind: 'reward' } & RewardRequest);

/** The answer to a request. Rejections changed nothing. */
export interface TxResult {
  playerId: string;
  key: string;
  kind: LedgerKind;
  status: 'ok' | 'rejected';
  /** Null when ok. */
  code: TxCodeValue | null;
  /** Ledger seq when the result is recorded (ok, or a TX_INSUFFICIENT_FUNDS within the refusal budget), else null. */
  seq: number | null;
  item: string | null;
  quantity: number;
  coinsDelta: number;
  /** True when this is the stored result of an earlier request with the same key. */
  replayed: boolean;
}

/** Largest coins of one reward. */
export const MAX_REWARD_COINS = 1_000_000_000;
/** Idempotency keys and player ids: 1-128 printable ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** Canonical text of a request's content: equal fingerprints mean "the same request". */
export const fingerprint = (r: TxRequest): string =>
  r.kind === 'purchase'
    ? `purchase|${r.item}|${r.quantity}|${r.expectedPrice}`
    : `reward|${r.coins ?? 0}|${r.item ?? ''}|${r.item === undefined ? 0 : (r.quantity ?? 1)}`;

/** BAD_REQUEST when the player id or key is malformed (checked before anything else). */
export const checkShape = (r: TxRequest): TxCodeValue | null =>
  typeof r.playerId === 'string' && KEY_PATTERN.test(r.playerId) && typeof r.key === 'string' && KEY_PATTERN.test(r.key)
    ? null
    : TxCode.BAD_REQUEST;

const isQty = (q: unknown, max: number): boolean => typeof q === 'number' && Number.isInteger(q) && q >= 1 && q <= max;

/** Content validation against the catalogue: null when valid, else the rejection code. */
export const checkContent = (r: TxRequest, catalogue: Catalogue): TxCodeValue | null => {
  if (r.kind === 'purchase') {
    if (typeof r.item !== 'string') return TxCode.BAD_REQUEST;
    const item = catalogue.get(r.item);
    if (!item) return TxCode.UNKNOWN_ITEM;
    if (!isQty(r.quantity, catalogue.maxQuantity)) return TxCode.BAD_QUANTITY;
    if (r.expectedPrice !== item.price) return TxCode.PRICE_MISMATCH;
    return null;
  }
  const coins = r.coins ?? 0;
  if (typeof coins !== 'number' || !Number.isInteger(coins) || coins < 0 || coins > MAX_REWARD_COINS) return TxCode.BAD_QUANTITY;
  if (r.item !== undefined) {
    if (typeof r.item !== 'string' || !catalogue.get(r.item)) return TxCode.UNKNOWN_ITEM;
    if (!isQty(r.quantity ?? 1, catalogue.maxQuantity)) return TxCode.BAD_QUANTITY;
  } else if (coins === 0) {
    return TxCode.BAD_QUANTITY;
  }
  return null;
};

/** Mutable working balance used while deciding one batch. */
export interface WorkingBalance {
  coins: number;
  items: Map<string, number>;
}

/** Copy a stored balance into a working one. */
export const toWorking = (b: Balance): WorkingBalance => ({ coins: b.coins, items: new Map(Object.entries(b.items)) });

/**
 * Decide a valid request against `bal` (updated in place when ok). A purchase the coins do not
 * cover becomes a `rejected` entry with TX_INSUFFICIENT_FUNDS and no effect (recorded by the service
 * while the player's refusal budget lasts: refusal-budget.ts).
 */
export const decide = (r: TxRequest, bal: WorkingBalance, catalogue: Catalogue, worldId: string, nowMs: number): LedgerEntryInput => {
  const fp = fingerprint(r);
  if (r.kind === 'purchase') {
    const price = catalogue.get(r.item)!.price;
    const cost = price * r.quantity;
    const ok = bal.coins >= cost;
    if (ok) {
      bal.coins -= cost;
      bal.items.set(r.item, (bal.items.get(r.item) ?? 0) + r.quantity);
    }
    return {
      worldId,
      playerId: r.playerId,
      key: r.key,
      kind: 'purchase',
      item: r.item,
      quantity: ok ? r.quantity : 0,
      unitPrice: price,
      coinsDelta: ok ? -cost : 0,
      status: ok ? 'ok' : 'rejected',
      code: ok ? null : TxCode.INSUFFICIENT_FUNDS,
      fingerprint: fp,
      createdAt: nowMs,
    };
  }
  const coins = r.coins ?? 0;
  const quantity = r.item === undefined ? 0 : (r.quantity ?? 1);
  bal.coins += coins;
  if (r.item !== undefined) bal.items.set(r.item, (bal.items.get(r.item) ?? 0) + quantity);
  return {
    worldId,
    playerId: r.playerId,
    key: r.key,
    kind: 'reward',
    item: r.item ?? null,
    quantity,
    unitPrice: 0,
    coinsDelta: coins,
    status: 'ok',
    code: null,
    fingerprint: fp,
    createdAt: nowMs,
  };
};

/** The result a stored entry stands for. */
export const resultOf = (e: LedgerEntry, replayed: boolean): TxResult => ({
  playerId: e.playerId,
  key: e.key,
  kind: e.kind,
  status: e.status,
  code: (e.code as TxCodeValue | null) ?? null,
  seq: e.seq,
  item: e.item,
  quantity: e.quantity,
  coinsDelta: e.coinsDelta,
  replayed,
});

/** An unrecorded rejection (changes nothing, not replayed by key). */
export const rejection = (r: TxRequest, code: TxCodeValue): TxResult => ({
  playerId: typeof r.playerId === 'string' ? r.playerId : '',
  key: typeof r.key === 'string' ? r.key : '',
  kind: r.kind,
  status: 'rejected',
  code,
  seq: null,
  item: typeof r.item === 'string' ? r.item : null,
  quantity: 0,
  coinsDelta: 0,
  replayed: false,
});
