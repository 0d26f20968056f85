/**
 * What the market's server and its clients share: the catalogue (item ids and unit prices, which
 * the server also hands to the ledger), the stalls (where each merchant stands, what it sells and
 * its full stock), the names of the messages and the rules a client can check before it asks.
 * No server imports: a browser client may use this file.
 */

/** Kind code of a merchant on the wire (players are 65535). */
export const MERCHANT_KIND = 10;

/** The items sold, unit prices in coins: the ledger's catalogue (the game declares it: `defineGame({ catalogue })`). */
export const CATALOGUE = [
  { id: 'apple', price: 3 },
  { id: 'bread', price: 5 },
  { id: 'potion', price: 10 },
  { id: 'lamp', price: 40 },
] as const;

/** Coins a new player starts with (granted once through the ledger). */
export const STARTING_COINS = 100;

/** An item id of the catalogue. */
export type ItemId = (typeof CATALOGUE)[number]['id'];

/** Unit price of an item, or undefined for an id the market does not sell. */
export const priceOf = (item: string): number | undefined => CATALOGUE.find((c) => c.id === item)?.price;

/** One stall: its number (replicated as `stall`), place, the two items it sells and their full stock. */
export interface Stall {
  stall: number;
  name: string;
  x: number;
  y: number;
  sells: readonly [ItemId, ItemId];
  full: readonly [number, number];
}

/** The plaza: players join at its centre, the stalls stand around it. */
export const WORLD_SIZE = 200;
export const PLAZA = { x: 100, y: 100 } as const;
export const STALLS: readonly Stall[] = [
  { stall: 1, name: 'Greengrocer', x: 85, y: 100, sells: ['apple', 'bread'], full: [6, 4] },
  { stall: 2, name: 'Apothecary', x: 115, y: 100, sells: ['potion', 'lamp'], full: [3, 2] },
];

/** A player buys only within this distance of the merchant (world units). */
export const BUY_RANGE = 40;

/** Most items of one purchase. */
export const MAX_QUANTITY = 10;

/** Transaction ids: chosen by the client, unique per player, reused when it retries (1-40 characters). */
export const TXID_PATTERN = '^[A-Za-z0-9_.:-]{1,40}$';

/** Wire names of the client's message and the server's messages. */
export const MSG = { buy: 'buy', receipt: 'receipt', inventory: 'inventory', restocked: 'restocked' } as const;

/** Receipt codes of the market's own refusals (ledger refusals keep their `TX_*` codes). */
export const MarketCode = {
  NO_SUCH_STALL: 'NO_SUCH_STALL',
  NOT_SOLD_HERE: 'NOT_SOLD_HERE',
  TOO_FAR: 'TOO_FAR',
  SOLD_OUT: 'SOLD_OUT',
} as const;

/** The stall of a stall number. */
export const stallOf = (n: number): Stall | undefined => STALLS.find((s) => s.stall === n);

/** Payload of `receipt`: the outcome of one `buy`, sent to the buyer (also for a retried transaction id). */
export interface Receipt {
  txid: string;
  status: 'ok' | 'rejected';
  /** Null when ok; a `TX_*` ledger code or a {@link MarketCode}. */
  code: string | null;
  stall: number;
  item: string;
  quantity: number;
  /** Coins after the purchase (null when the wallet is not known here). */
  coins: number | null;
  /** True when the ledger answered with the stored result of an earlier attempt (charged once). */
  replayed: boolean;
}

/** Payload of `inventory`: the player's durable inventory (player data), sent at join and after each change. */
export interface Inventory {
  items: Record<string, number>;
  /** The newest transaction ids applied to it (at most {@link RECEIPTS_KEPT}), oldest first. */
  txids: string[];
}

/** Transaction ids kept in the inventory record (a retry older than that is still charged once by the ledger). */
export const RECEIPTS_KEPT = 32;

/** Payload of `restocked`: a merchant refilled its stall. */
export interface Restocked {
  stall: number;
  stock: [number, number];
  /** How many restocks this world has run. */
  round: number;
}
