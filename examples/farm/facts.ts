/**
 * The farm's facts — every promise answer (player data, ledger) re-enters the step here — and the
 * seed purchase that produces one (`chargeSeeds`).
 */
import {
  addComponent,
  defineFact,
  deliverToWorld,
  type GameWorld,
  getStore,
  hasComponent,
  loadPlayerData,
  playerEntityOf,
  purchaseForPlayer,
  sendToPlayer,
  setWorldTimer,
  spawn,
  TIMER_EPSILON,
  updatePlayerData,
} from '../../src/index.js';
import { clearPlot, FARM_KEY, notePurchase, type PlantedData, readFarm, settlePurchase } from './farm-data.js';
import { farmMsg, harvestedMsg, receiptMsg, refuse } from './messages.js';
import { HARVEST_COINS, KIND, MSG, PLOTS, PlotState, SEED } from './rules.js';
import { Farmer, Plot, plotOf } from './stores.js';

/** The player's entity now, if it is still the session (`epoch`) that asked. */
export const farmerOf = (world: GameWorld, pid: string, epoch?: number): number | null => {
  const p = playerEntityOf(world, pid);
  if (p === null || !hasComponent(world, p, Farmer)) return null;
  if (epoch !== undefined && getStore(world, Farmer).epoch[p] !== epoch) return null;
  return p;
};

export const showPlot = (world: GameWorld, plot: number, planted: PlantedData | null, owner: number, index: number): void => {
  const s = getStore(world, Plot);
  if (!planted) {
    s.state[plot] = PlotState.empty;
    return;
  }
  s.plantId[plot] = planted.plantId;
  s.readyAt[plot] = planted.readyAt;
  const left = planted.readyAt - world.clock.now;
  if (left <= TIMER_EPSILON) {
    s.state[plot] = PlotState.ripe;
    return;
  }
  s.state[plot] = PlotState.growing;
  // Growth resumes on world time: the timer is due at the planting's readyAt, whatever happened since.
  setWorldTimer(world, left, 'ripen', { plot, epoch: s.epoch[plot] ?? 0, plantId: planted.plantId, owner, index });
};

export interface Loaded {
  pid: string;
  epoch: number;
  seeds: number;
  plots: (PlantedData | null)[];
  scarecrows: boolean[];
  pending: { key: string; quantity: number }[];
}
export interface Planted {
  pid: string;
  epoch: number;
  plot: number;
  readyAt: number;
  planted: PlantedData | null;
  seeds: number;
}
export interface Harvest {
  pid: string;
  epoch: number;
  plot: number;
  plantId: number;
  ok: boolean;
  code: string | null;
  replayed: boolean;
}
export interface Seeds {
  pid: string;
  txid: string;
  ok: boolean;
  code: string | null;
  replayed: boolean;
  seeds: number | null;
}

export const loaded = defineFact<Loaded>({
  name: 'farm-loaded',
  apply: (world, d) => {
    const p = farmerOf(world, d.pid, d.epoch);
    if (p === null) return;
    const pos = world.stores.Position;
    const b = world.bounds;
    const states: number[] = [];
    for (let i = 0; i < PLOTS; i++) {
      const x = Math.min(b.maxX - 1, Math.max(b.minX + 1, (pos.x[p] ?? 0) + (i % 2 === 0 ? -6 : 6)));
      const y = Math.min(b.maxY - 1, Math.max(b.minY + 1, (pos.y[p] ?? 0) + (i < 2 ? -6 : 6)));
      const e = spawn(world, { kind: KIND.plot, x, y });
      addComponent(world, e, Plot, { owner: p, epoch: d.epoch, index: i, scarecrow: d.scarecrows[i] ? 1 : 0 });
      showPlot(world, e, d.plots[i] ?? null, p, i);
      states.push(getStore(world, Plot).state[e] ?? 0);
    }
    const f = getStore(world, Farmer);
    f.seeds[p] = d.seeds;
    f.loaded[p] = 1;
    sendToPlayer(world, p, farmMsg, { seeds: d.seeds, plots: states });
    // Purchases a crash left unanswered: ask the ledger again with the same key (charged once).
    for (const { key } of d.pending) void chargeSeeds(world, d.pid, key, 0, false);
  },
});

export const planted = defineFact<Planted>({
  name: 'planted',
  apply: (world, d) => {
    const p = farmerOf(world, d.pid, d.epoch);
    if (p === null) return;
    getStore(world, Farmer).seeds[p] = d.seeds;
    const e = plotOf(world, p, d.plot);
    if (e === null) return;
    const ours = d.planted !== null && d.planted.readyAt === d.readyAt;
    showPlot(world, e, d.planted, p, d.plot);
    if (!ours) refuse(world, p, MSG.plant, d.plot, d.planted ? 'plot taken' : 'no seeds');
  },
});

export const harvested = defineFact<Harvest>({
  name: 'harvested',
  apply: (world, d) => {
    const p = farmerOf(world, d.pid, d.epoch);
    const e = p === null ? null : plotOf(world, p, d.plot);
    if (d.ok) {
      // The coins are durable: now the plot is cleared in the player's data (a crash before this
      // leaves it ripe, and harvesting it again replays the same reward key: paid once).
      void updatePlayerData(world, d.pid, FARM_KEY, (cur) => clearPlot(cur, d.plot, d.plantId, true));
    }
    if (p === null || e === null || getStore(world, Plot).plantId[e] !== d.plantId) return;
    if (d.ok) {
      getStore(world, Plot).state[e] = PlotState.empty;
      sendToPlayer(world, p, harvestedMsg, { plot: d.plot, plantId: d.plantId, coins: HARVEST_COINS, replayed: d.replayed });
    } else {
      getStore(world, Plot).state[e] = PlotState.ripe;
      refuse(world, p, MSG.harvest, d.plot, d.code ?? 'rejected');
    }
  },
});

export const seedsSettled = defineFact<Seeds>({
  name: 'seeds',
  apply: (world, d) => {
    const p = farmerOf(world, d.pid);
    if (p === null) return;
    const f = getStore(world, Farmer).seeds;
    if (d.seeds !== null) f[p] = d.seeds;
    const status = d.ok ? 'ok' : 'rejected';
    sendToPlayer(world, p, receiptMsg, { txid: d.txid, status, code: d.code, replayed: d.replayed, seeds: f[p] ?? 0 });
  },
});

/** Codes after which the same key may succeed later: the purchase stays pending. */
const RETRYABLE = new Set(['TX_UNAVAILABLE', 'TX_RATE_LIMITED']);

/**
 * Buy seeds: note the purchase in the player's data, charge it through the ledger (key = the
 * client's txid), credit the seeds once, and bring the answer into the step. Never rejects.
 */
export const chargeSeeds = async (world: GameWorld, pid: string, txid: string, quantity: number, note: boolean): Promise<void> => {
  let qty = quantity;
  if (note) {
    const n = await updatePlayerData(world, pid, FARM_KEY, (cur) => notePurchase(cur, txid, quantity));
    const d = n.status === 'ok' ? readFarm(n.value) : null;
    const noted = d?.pending.find((x) => x.key === txid);
    if (d === null || (!noted && !d.done.includes(txid))) {
      deliverToWorld(world, seedsSettled, {
        pid,
        txid,
        ok: false,
        code: d === null ? 'PD_UNAVAILABLE' : 'TOO_MANY_PENDING',
        replayed: false,
        seeds: null,
      });
      return;
    }
    qty = noted?.quantity ?? quantity;
  } else {
    const l = await loadPlayerData(world, pid, FARM_KEY);
    qty = l.status === 'ok' ? (readFarm(l.value).pending.find((x) => x.key === txid)?.quantity ?? 0) : 0;
    if (qty < 1) return;
  }
  const r = await purchaseForPlayer(world, pid, { key: txid, item: SEED.id, quantity: qty, expectedPrice: SEED.price });
  let seeds: number | null = null;
  if (r.status === 'ok' || !RETRYABLE.has(r.code ?? '')) {
    const s = await updatePlayerData(world, pid, FARM_KEY, (cur) => settlePurchase(cur, txid, r.status === 'ok'));
    if (s.status === 'ok') seeds = readFarm(s.value).seeds;
  }
  deliverToWorld(world, seedsSettled, { pid, txid, ok: r.status === 'ok', code: r.code ?? null, replayed: r.replayed === true, seeds });
};
