/**
 * What the farm's server and its clients share: entity kinds, message names, the seed's price and
 * the plot states a client sees in the replicated `state` field.
 */

/** Entity kinds (Npc.kind) of the farm's own entities; players are PLAYER_KIND. */
export const KIND = { plot: 1, crow: 2, farm: 3 } as const;

/** Plots each player farms (indexes 0..PLOTS-1). */
export const PLOTS = 4;

/** The catalogue's one item: seeds, bought with coins through the ledger. */
export const SEED = { id: 'seed', price: 5 } as const;

/** Coins every new player is granted once (ledger key `start-grant`). */
export const STARTING_COINS = 50;

/** Coins a harvest grants. */
export const HARVEST_COINS = 12;

/** Coins the daily bonus grants each player present when a world day ends. */
export const DAILY_COINS = 20;

/** A plot as clients see it (`state` field of kind `plot`). */
export const PlotState = { empty: 0, growing: 1, ripe: 2, busy: 3 } as const;

/** Client → server message names. */
export const MSG = { plant: 'plant', harvest: 'harvest', buy: 'buy', scarecrow: 'scarecrow' } as const;

/** Server → client message names. */
export const OUT = {
  farm: 'farm',
  ripe: 'ripe',
  harvested: 'harvested',
  receipt: 'receipt',
  eaten: 'eaten',
  refused: 'refused',
  daily: 'daily',
} as const;

/** `farm`: the player's plots are in the world (after the join's load). */
export interface FarmMsg {
  seeds: number;
  plots: number[];
}
/** `ripe`: a crop of the player's is ready to harvest. */
export interface RipeMsg {
  plot: number;
  plantId: number;
}
/** `harvested`: the harvest's reward is in the ledger (`replayed`: it had been granted before). */
export interface HarvestedMsg {
  plot: number;
  plantId: number;
  coins: number;
  replayed: boolean;
}
/** `receipt`: a seed purchase's outcome; `seeds` the player's seeds after it. */
export interface ReceiptMsg {
  txid: string;
  status: 'ok' | 'rejected';
  code: string | null;
  replayed: boolean;
  seeds: number;
}
/** `eaten`: a crow ate the crop on a plot of the player's. */
export interface EatenMsg {
  plot: number;
  plantId: number;
}
/** `refused`: a message the game refused, and why. */
export interface RefusedMsg {
  what: string;
  plot: number;
  reason: string;
}
