/**
 * A farmer's durable record: one player-data value (key `farm.v1`) per durable player id. Every
 * change is a pure function of the stored value (`updatePlayerData` may run it several times), so
 * each step of planting, buying and harvesting is one versioned read-modify-write.
 *
 * Seeds bought are credited once per purchase key: a purchase is written down as `pending` before
 * the ledger is asked and moved to `done` (the last 64 keys) when the ledger answers `ok`, so a
 * server killed in between finds the pending key at the player's next join and asks the ledger
 * again with the same key (charged once: the ledger replays it).
 */
import { PLOTS } from './rules.js';

export const FARM_KEY = 'farm.v1';
const DONE_KEPT = 64;
/** Purchases a player may have waiting for the ledger at once. */
export const MAX_PENDING = 8;

/** A crop in the ground: its planting id (unique per player) and the world time it is ripe. */
export interface PlantedData {
  plantId: number;
  readyAt: number;
}

export interface FarmData {
  seeds: number;
  nextPlantId: number;
  plots: (PlantedData | null)[];
  scarecrows: boolean[];
  /** Purchases asked of the ledger and not yet answered (a list: a key is client text). */
  pending: { key: string; quantity: number }[];
  /** Keys of purchases credited, newest last (bounded). */
  done: string[];
  bought: number;
  harvests: number;
  eaten: number;
}

export const emptyFarm = (): FarmData => ({
  seeds: 0,
  nextPlantId: 1,
  plots: Array.from({ length: PLOTS }, () => null),
  scarecrows: Array.from({ length: PLOTS }, () => false),
  pending: [],
  done: [],
  bought: 0,
  harvests: 0,
  eaten: 0,
});

/** The stored value read defensively (undefined for a new player). */
export const readFarm = (v: unknown): FarmData => {
  const d = emptyFarm();
  if (v === null || typeof v !== 'object') return d;
  const o = v as Partial<FarmData>;
  const num = (x: unknown, dflt: number): number => (typeof x === 'number' && Number.isFinite(x) ? x : dflt);
  d.seeds = num(o.seeds, 0);
  d.nextPlantId = num(o.nextPlantId, 1);
  d.bought = num(o.bought, 0);
  d.harvests = num(o.harvests, 0);
  d.eaten = num(o.eaten, 0);
  for (let i = 0; i < PLOTS; i++) {
    const p = Array.isArray(o.plots) ? o.plots[i] : null;
    d.plots[i] = p && typeof p === 'object' ? { plantId: num(p.plantId, 0), readyAt: num(p.readyAt, 0) } : null;
    d.scarecrows[i] = Array.isArray(o.scarecrows) ? o.scarecrows[i] === true : false;
  }
  if (Array.isArray(o.pending)) {
    for (const p of o.pending)
      if (typeof p?.key === 'string' && typeof p.quantity === 'number') d.pending.push({ key: p.key, quantity: p.quantity });
  }
  if (Array.isArray(o.done)) d.done = o.done.filter((k): k is string => typeof k === 'string');
  return d;
};

/** Plant a seed on `plot`, ripe at `readyAt`: unchanged when the plot is taken or no seed is left. */
export const plantIn = (cur: unknown, plot: number, readyAt: number): FarmData => {
  const d = readFarm(cur);
  if (d.seeds < 1 || d.plots[plot]) return d;
  d.seeds -= 1;
  d.plots[plot] = { plantId: d.nextPlantId, readyAt };
  d.nextPlantId += 1;
  return d;
};

/** Clear `plot` if it still holds planting `plantId`; `harvested` counts it as a harvest, else as eaten. */
export const clearPlot = (cur: unknown, plot: number, plantId: number, harvested: boolean): FarmData => {
  const d = readFarm(cur);
  if (d.plots[plot]?.plantId !== plantId) return d;
  d.plots[plot] = null;
  if (harvested) d.harvests += 1;
  else d.eaten += 1;
  return d;
};

export const setScarecrow = (cur: unknown, plot: number, on: boolean): FarmData => {
  const d = readFarm(cur);
  d.scarecrows[plot] = on;
  return d;
};

/** Note a purchase before the ledger is asked (unchanged when it is pending or credited already, or MAX_PENDING wait). */
export const notePurchase = (cur: unknown, key: string, quantity: number): FarmData => {
  const d = readFarm(cur);
  if (d.done.includes(key) || d.pending.some((p) => p.key === key) || d.pending.length >= MAX_PENDING) return d;
  d.pending.push({ key, quantity });
  return d;
};

/** The ledger answered `key`: credit its noted seeds once (`ok`), or forget it (a final refusal). */
export const settlePurchase = (cur: unknown, key: string, ok: boolean): FarmData => {
  const d = readFarm(cur);
  const quantity = d.pending.find((p) => p.key === key)?.quantity;
  d.pending = d.pending.filter((p) => p.key !== key);
  // Only a noted purchase is credited: a retried key the ledger replays finds nothing pending.
  if (!ok || quantity === undefined || d.done.includes(key)) return d;
  d.seeds += quantity;
  d.bought += quantity;
  d.done.push(key);
  if (d.done.length > DONE_KEPT) d.done.splice(0, d.done.length - DONE_KEPT);
  return d;
};
