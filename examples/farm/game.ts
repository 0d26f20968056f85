/**
 * A farming game on the public API: each player farms PLOTS plots near where they joined. Seeds are
 * bought with coins (`purchaseForPlayer`, one ledger key per purchase), planted crops ripen on
 * world time (a `ripen` one-shot timer; growth is `FARM_GROW_SECONDS` world seconds), a harvest
 * grants coins (`grantPlayerReward`, key `harvest-<plantId>`: once per planting), a `daily` world
 * timer grants every present farmer a bonus once per world day, and crows (game NPCs) fly to crops
 * without a scarecrow and eat them.
 *
 * The farm itself — seeds, what grows where and until when, scarecrows, purchases waiting for the
 * ledger — is player data (`farm.v1`, farm-data.ts), so it survives restarts and crashes; the plot
 * entities in the world are its view for the session, rebuilt from the player data at each join.
 * Every promise answer comes back into the step as a fact (`deliverToWorld`), so a recorded
 * session replays.
 *
 * Settings from the environment (read here, so a replay with the same variables builds the same
 * game): FARM_GROW_SECONDS (300), FARM_DAY_SECONDS (86400), FARM_CROWS (3), FARM_CROW_SIGHT (30
 * world units), FARM_CROW_SPEED (8 units per simulation second).
 */
import {
  addComponent,
  defineGame,
  defineMessage,
  despawn,
  deliverToWorld,
  GAME_KEY_PATTERN,
  type GameWorld,
  getStore,
  grantPlayerReward,
  hasComponent,
  isSpectator,
  loadPlayerData,
  nextRange,
  playerEntityOf,
  playerIdOf,
  query,
  sendToPlayer,
  spawn,
  TIMER_EPSILON,
  Type,
  updatePlayerData,
} from '../../src/index.js';
import { type CrowSettings, crowsSystem } from './crows.js';
import { chargeSeeds, harvested, loaded, planted, seedsSettled } from './facts.js';
import { clearPlot, FARM_KEY, type FarmData, plantIn, readFarm, setScarecrow } from './farm-data.js';
import { dailyMsg, eatenMsg, farmMsg, harvestedMsg, receiptMsg, REPLACED, refuse, refusedMsg, ripeMsg } from './messages.js';
import { DAILY_COINS, HARVEST_COINS, KIND, MSG, PLOTS, PlotState, SEED, STARTING_COINS } from './rules.js';
import { Crow, Farm, Farmer, Plot, plotOf } from './stores.js';

const envNumber = (name: string, dflt: number, min = Number.MIN_VALUE): number => {
  const raw = process.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v >= min ? v : dflt;
};

export interface FarmSettings extends CrowSettings {
  /** World seconds from planting to ripe. */
  growSeconds: number;
  /** World seconds of a day (the daily bonus's period). */
  daySeconds: number;
  crows: number;
}

export const settingsFromEnv = (): FarmSettings => ({
  growSeconds: envNumber('FARM_GROW_SECONDS', 300),
  daySeconds: envNumber('FARM_DAY_SECONDS', 86_400),
  crows: Math.floor(envNumber('FARM_CROWS', 3, 0)),
  crowSight: envNumber('FARM_CROW_SIGHT', 30),
  crowSpeed: envNumber('FARM_CROW_SPEED', 8),
});

const plantMessage = (settings: FarmSettings) =>
  defineMessage({
    name: MSG.plant,
    schema: Type.Object({ plot: Type.Integer({ minimum: 0, maximum: PLOTS - 1 }) }),
    apply: (world, player, { plot }) => {
      const pid = playerIdOf(world, player);
      const e = plotOf(world, player, plot);
      if (pid === null) return refuse(world, player, MSG.plant, plot, REPLACED);
      if (e === null) return refuse(world, player, MSG.plant, plot, 'farm not loaded');
      const s = getStore(world, Plot);
      if (s.state[e] !== PlotState.empty) return refuse(world, player, MSG.plant, plot, 'plot taken');
      if ((getStore(world, Farmer).seeds[player] ?? 0) < 1) return refuse(world, player, MSG.plant, plot, 'no seeds');
      s.state[e] = PlotState.busy;
      const epoch = s.epoch[e] ?? 0;
      const readyAt = world.clock.now + settings.growSeconds;
      void updatePlayerData(world, pid, FARM_KEY, (cur) => plantIn(cur, plot, readyAt)).then((r) => {
        const d: FarmData | null = r.status === 'ok' ? readFarm(r.value) : null;
        deliverToWorld(world, planted, { pid, epoch, plot, readyAt, planted: d?.plots[plot] ?? null, seeds: d?.seeds ?? 0 });
      });
    },
  });

const harvest = defineMessage({
  name: MSG.harvest,
  schema: Type.Object({ plot: Type.Integer({ minimum: 0, maximum: PLOTS - 1 }) }),
  apply: (world, player, { plot }) => {
    const pid = playerIdOf(world, player);
    const e = plotOf(world, player, plot);
    if (pid === null) return refuse(world, player, MSG.harvest, plot, REPLACED);
    if (e === null) return refuse(world, player, MSG.harvest, plot, 'farm not loaded');
    const s = getStore(world, Plot);
    const st = s.state[e];
    if (st !== PlotState.growing && st !== PlotState.ripe) return refuse(world, player, MSG.harvest, plot, 'nothing to harvest');
    if (world.clock.now + TIMER_EPSILON < (s.readyAt[e] ?? 0)) return refuse(world, player, MSG.harvest, plot, 'not ripe');
    s.state[e] = PlotState.busy;
    const plantId = s.plantId[e] ?? 0;
    const epoch = s.epoch[e] ?? 0;
    void grantPlayerReward(world, pid, { key: `harvest-${plantId}`, coins: HARVEST_COINS }).then((r) => {
      deliverToWorld(world, harvested, {
        pid,
        epoch,
        plot,
        plantId,
        ok: r.status === 'ok',
        code: r.code ?? null,
        replayed: r.replayed === true,
      });
    });
  },
});

const buy = defineMessage({
  name: MSG.buy,
  schema: Type.Object({ txid: Type.String({ pattern: GAME_KEY_PATTERN }), quantity: Type.Integer({ minimum: 1, maximum: 20 }) }),
  apply: (world, player, { txid, quantity }) => {
    const pid = playerIdOf(world, player);
    if (pid === null) return refuse(world, player, MSG.buy, -1, REPLACED);
    if (getStore(world, Farmer).loaded[player] !== 1) return refuse(world, player, MSG.buy, -1, 'farm not loaded');
    void chargeSeeds(world, pid, txid, quantity, true);
  },
});

const scarecrow = defineMessage({
  name: MSG.scarecrow,
  schema: Type.Object({ plot: Type.Integer({ minimum: 0, maximum: PLOTS - 1 }), on: Type.Boolean() }),
  apply: (world, player, { plot, on }) => {
    const pid = playerIdOf(world, player);
    const e = plotOf(world, player, plot);
    if (pid === null) return refuse(world, player, MSG.scarecrow, plot, REPLACED);
    if (e === null) return refuse(world, player, MSG.scarecrow, plot, 'farm not loaded');
    getStore(world, Plot).scarecrow[e] = on ? 1 : 0;
    void updatePlayerData(world, pid, FARM_KEY, (cur) => setScarecrow(cur, plot, on));
  },
});

/** The farm game with these settings (`game`: the settings of the environment). */
export const createFarmGame = (settings: FarmSettings) =>
  defineGame({
    name: 'farm',
    world: { size: 120, npcs: settings.crows, physics: 'off', config: { simulation: { timeScale: 60 } } },
    catalogue: [{ id: SEED.id, price: SEED.price }],
    startingCoins: STARTING_COINS,
    // Seeds are sold by `buy` (noted in player data, then charged): a purchase frame would charge
    // seeds the farm never credits, so it is closed (answered TX_CLIENT_PURCHASES_OFF).
    clientPurchases: false,
    components: [Farm, Farmer, Plot, Crow],
    messages: [plantMessage(settings), harvest, buy, scarecrow],
    serverMessages: [farmMsg, ripeMsg, harvestedMsg, receiptMsg, eatenMsg, refusedMsg, dailyMsg],
    facts: [loaded, planted, harvested, seedsSettled],
    replicate: {
      player: { seeds: { component: Farmer, field: 'seeds' } },
      [String(KIND.plot)]: {
        owner: { component: Plot, field: 'owner' },
        index: { component: Plot, field: 'index' },
        state: { component: Plot, field: 'state' },
        readyAt: { component: Plot, field: 'readyAt' },
        scarecrow: { component: Plot, field: 'scarecrow' },
      },
    },
    systems: [
      { name: 'plots-gc', after: 'ingest', run: (world) => collectPlots(world) },
      { name: 'crows', before: 'movement', run: (world) => crowsSystem(world, settings, onEaten) },
    ],
    timers: [
      {
        name: 'ripen',
        run: (world, _ctx, t) => {
          const { plot, epoch, plantId, owner, index } = t.payload as {
            plot: number;
            epoch: number;
            plantId: number;
            owner: number;
            index: number;
          };
          const s = getStore(world, Plot);
          if (!hasComponent(world, plot, Plot) || s.epoch[plot] !== epoch || s.plantId[plot] !== plantId) return;
          if (s.state[plot] !== PlotState.growing) return;
          s.state[plot] = PlotState.ripe;
          sendToPlayer(world, owner, ripeMsg, { plot: index, plantId });
        },
      },
      {
        name: 'daily',
        every: settings.daySeconds,
        run: (world, _ctx, t) => {
          const day = Math.round(t.due / settings.daySeconds);
          const f = getStore(world, Farmer);
          for (const p of query(world, [Farmer])) {
            const pid = playerIdOf(world, p);
            if (pid === null || f.loaded[p] !== 1) continue;
            void grantPlayerReward(world, pid, { key: `daily-${day}`, coins: DAILY_COINS }).then((r) => {
              const now = playerEntityOf(world, pid);
              if (r.status === 'ok' && !r.replayed && now !== null) sendToPlayer(world, now, dailyMsg, { day, coins: DAILY_COINS });
            });
          }
        },
      },
    ],
    hooks: {
      populate: (world, { npcs }) => {
        addComponent(world, spawn(world, { kind: KIND.farm, x: 1, y: 1 }), Farm);
        const b = world.bounds;
        for (let i = 0; i < npcs; i++) {
          const e = spawn(world, { kind: KIND.crow, x: nextRange(world.rng, b.minX, b.maxX), y: nextRange(world.rng, b.minY, b.maxY) });
          addComponent(world, e, Crow);
        }
      },
      onPlayerJoined: (world, player, { resumed }) => {
        if (resumed || isSpectator(world, player)) return; // a resumed entity kept its plots
        const farm = query(world, [Farm])[0] ?? 0;
        const epochs = getStore(world, Farm).epochs;
        const epoch = (epochs[farm] ?? 0) + 1;
        epochs[farm] = epoch;
        addComponent(world, player, Farmer, { epoch });
        const pid = playerIdOf(world, player);
        if (pid === null) return;
        void loadPlayerData(world, player, FARM_KEY).then((r) => {
          const d = readFarm(r.status === 'ok' ? r.value : undefined);
          deliverToWorld(world, loaded, { pid, epoch, seeds: d.seeds, plots: d.plots, scarecrows: d.scarecrows, pending: d.pending });
        });
      },
    },
  });

export const game = createFarmGame(settingsFromEnv());

/**
 * Plots belong to one session of their owner (its epoch) while it is the identity's bound entity.
 * Left behind, they are removed here (and rebuilt from the player data at the next join): by a
 * player who left for good; by one whose entity a restored world dropped (a restart runs no
 * `onPlayerLeft`: the plots come back from the checkpoint without their owner); and, as a defence, by
 * an entity that is no longer its identity's (`playerIdOf` null), so two sets of plots never write
 * one player's data (a second session of the identity takes the one entity over: its plots stay).
 */
const collectPlots = (world: GameWorld): void => {
  const s = getStore(world, Plot);
  const f = getStore(world, Farmer);
  // A copy: despawning changes the live query result.
  for (const e of Array.from(query(world, [Plot]))) {
    const owner = s.owner[e] ?? 0;
    if (!hasComponent(world, owner, Farmer) || f.epoch[owner] !== s.epoch[e] || playerIdOf(world, owner) === null) despawn(world, e);
  }
};

/** A crow ate the crop on plot entity `e`: clear it in the owner's data, tell the owner. */
const onEaten = (world: GameWorld, e: number): void => {
  const s = getStore(world, Plot);
  const owner = s.owner[e] ?? 0;
  const plot = s.index[e] ?? 0;
  const plantId = s.plantId[e] ?? 0;
  s.state[e] = PlotState.empty;
  const pid = playerIdOf(world, owner);
  if (pid !== null) void updatePlayerData(world, pid, FARM_KEY, (cur) => clearPlot(cur, plot, plantId, false));
  sendToPlayer(world, owner, eatenMsg, { plot, plantId });
};
