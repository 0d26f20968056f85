/**
 * The item catalogue: what can be bought, at what unit price (integer coins), and which wallet
 * inventory slot holds each item. Validated once at construction; every problem is listed by path.
 */
import { WALLET_SLOTS } from '../../components/wallet.js';
import { catalogueInvalid } from '../errors.js';

/** One item as configured. */
export interface CatalogueItemSpec {
  id: string;
  /** Unit price in coins: an integer >= 0. */
  price: number;
}

/** One item with its inventory slot. */
export interface CatalogueItem extends CatalogueItemSpec {
  slot: number;
}

/** A validated, immutable catalogue. */
export interface Catalogue {
  readonly items: readonly CatalogueItem[];
  /** Largest quantity of one purchase or item reward. */
  readonly maxQuantity: number;
  get(id: string): CatalogueItem | undefined;
}

/** Highest unit price accepted (keeps price x quantity well inside 2^53). */
export const MAX_PRICE = 1_000_000_000;
/** Default largest quantity per transaction. */
export const DEFAULT_MAX_QUANTITY = 1000;
/**
 * Item ids: short, printable, no separators used in fingerprints; not a property name of every object
 * (`constructor`, `toString`, `__proto__`...: refused by {@link createCatalogue}).
 */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Validate and build a catalogue. Items take wallet slots in the given order; at most
 * {@link WALLET_SLOTS} items. Throws WT_ERR_CATALOGUE_INVALID listing every problem.
 */
export const createCatalogue = (items: unknown, options: { maxQuantity?: number } = {}): Catalogue => {
  const problems: string[] = [];
  const maxQuantity = options.maxQuantity ?? DEFAULT_MAX_QUANTITY;
  if (!Number.isInteger(maxQuantity) || maxQuantity < 1 || maxQuantity > 1_000_000) {
    problems.push(`maxQuantity must be an integer between 1 and 1000000 (got ${JSON.stringify(maxQuantity)})`);
  }
  const out: CatalogueItem[] = [];
  if (!Array.isArray(items)) {
    problems.push('items must be an array');
  } else {
    if (items.length > WALLET_SLOTS) problems.push(`items must hold at most ${WALLET_SLOTS} items (wallet slots), got ${items.length}`);
    const seen = new Set<string>();
    items.forEach((raw: unknown, i) => {
      if (typeof raw !== 'object' || raw === null) {
        problems.push(`items[${i}] must be an object { id, price }`);
        return;
      }
      const { id, price } = raw as Record<string, unknown>;
      let ok = true;
      if (typeof id !== 'string' || !ITEM_ID_PATTERN.test(id)) {
        problems.push(`items[${i}].id must be 1-64 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(id)})`);
        ok = false;
      } else if (id in Object.prototype) {
        // Balances hold items in plain objects (stored as JSON): `items.constructor` read the Object function.
        problems.push(`items[${i}].id ${JSON.stringify(id)} is reserved (a property name every JavaScript object has)`);
        ok = false;
      } else if (seen.has(id)) {
        problems.push(`items[${i}].id ${JSON.stringify(id)} is a duplicate`);
        ok = false;
      }
      if (typeof price !== 'number' || !Number.isInteger(price) || price < 0 || price > MAX_PRICE) {
        problems.push(`items[${i}].price must be an integer between 0 and ${MAX_PRICE} (got ${JSON.stringify(price)})`);
        ok = false;
      }
      if (ok) {
        seen.add(id as string);
        out.push({ id: id as string, price: price as number, slot: out.length });
      }
    });
  }
  if (problems.length) throw catalogueInvalid(problems);
  const byId = new Map(out.map((it) => [it.id, it]));
  return { items: out, maxQuantity, get: (id) => byId.get(id) };
};
