/**
 * Building a world from a game definition (above the assembly): the assembled world with the
 * game's pipeline, its component stores, message ingest types, replicated-field table and
 * hooks bound in the world's game slot; then modules' and the game's populate, and
 * `onWorldCreated`. `deleteGameWorld` is the matching teardown.
 */
import { checkWorld } from '../core/check-world.js';
import { POPULATE_SLICE, populateInSlices } from '../world/populate.js';
import { shown } from '../core/shown.js';
import { playerRow } from '../../components/player-table.js';
import { addComponent as bitecsAddComponent, entityExists, hasComponent as bitecsHasComponent } from 'bitecs';
import type { Store } from '../../components/alloc.js';
import { mergeDeep } from '../config/schema.js';
import { ErrorCode, gameHookFailed, optionInvalid, WorldtickError } from '../errors.js';
import { notAGameProblem } from './option-keys.js';
import { PLAYER_KIND } from '../net/protocol.js';
import type { GameMessageFact } from '../net/game-messages.js';
import { createReplicationTable, type KindFields } from '../net/replicated-fields.js';
import { createGameOutbox } from '../net/game-outbox.js';
import { SESSION_CLASS_NAMES } from '../net/session-priority.js';
import type { GameMessageEntry, GameState } from './slot.js';
import {
  createSimWorld,
  despawnEntity as coreDespawn,
  destroySimWorld,
  spawnEntity as coreSpawn,
  type SimWorld,
} from '../world/sim-world.js';
import { startWorldClockAt, type WorldClockStart } from '../world/world-clock.js';
import { allocateStore, isLiveEntity } from './components.js';
import { createTimerState } from './timer-state.js';
import { installFacts } from './facts.js';
import { createWorldDataState } from './world-data.js';
import { createGameLogSink } from './game-log.js';
import type { Logger } from '../log.js';
import { gameItemSlots } from './wallet.js';
import type { GameDefinition, ModuleEnv } from './definition.js';

/**
 * World seconds per wall second of a game's worlds when neither the game (`world.config.simulation.timeScale`)
 * nor the server (`--time-scale`, default world only) nor the create request sets it: a game's rounds and
 * delays are in wall seconds. The life simulation's own default (src/config/scheduler-config.ts) stays 60.
 */
export const GAME_DEFAULT_TIME_SCALE = 1;

/** A game's scheduler patch over its default time scale: what every world of the game starts from. */
export const gameWorldConfig = (game: GameDefinition): Record<string, unknown> =>
  mergeDeep({ simulation: { timeScale: GAME_DEFAULT_TIME_SCALE } }, game.world.config ?? {}) as Record<string, unknown>;

/** Options of one world of a game (all optional but `id`; the game's `world.size` and `world.config` apply, not `world.npcs`). */
export interface GameWorldOptions {
  /** World id: 1-64 characters of A-Z a-z 0-9 _ -. */
  id: string;
  /** Most entities (players included). Default 20,000. */
  capacity?: number;
  /** PRNG seed (uint32). Default 1. */
  seed?: number;
  /** World side in world units. Default: the game's `world.size`, else 2,000. */
  size?: number;
  /** Scheduler-config patch merged over the game's `world.config`. */
  config?: unknown;
  /** Entity count handed to populate (`setup.npcs`). Default 0 (the game's `world.npcs` is the server's default for world "1", not this one's). */
  npcs?: number;
  /** Physics block (collision, obstacles, shards; docs/ARCHITECTURE.md "Physics"). Absent: plain movement. */
  physics?: unknown;
  /**
   * The world clock it starts at (world seconds, completed steps; default 0): a world rebuilt from its
   * durable record without a checkpoint. Set before the game's slot, populate and `onWorldCreated`,
   * so repeating timers keep their grid of world time and one-shots set at creation are relative to it.
   */
  clock?: WorldClockStart;
  /**
   * A pino logger (`pino({ level }, stream)`) for `gameLog(world)` of a world no server serves — a
   * studio's unit test: lines bound with `{ world, game }`, rate- and size-limited as a served world's.
   * Absent: silent. A server serving the world gives it the server's logger instead.
   */
  logger?: Logger;
}

/** Run a game's hook; a throw becomes `WT_ERR_GAME_HOOK_FAILED` naming the hook, the game and the world. */
const runWorldHook = (
  game: GameDefinition,
  hook: 'populate' | 'onWorldCreated' | 'onPlayerJoined' | 'onPlayerLeft',
  world: SimWorld,
  run: () => void,
): void => {
  try {
    run();
  } catch (err) {
    throw gameHookFailed(game.name, hook, world.id, err);
  }
};

/**
 * Create a world of `game` and populate it. With `env` (a runtime serving the world), modules'
 * `attach` run too. Throws `WT_ERR_OPTION_INVALID` / `WT_ERR_CONFIG_INVALID` on bad options.
 */
export const createGameWorld = (game: GameDefinition, opts: GameWorldOptions, env?: ModuleEnv): SimWorld => {
  const { world, setup } = prepareGameWorld(game, opts);
  for (const m of game.modules) m.populate?.(world, setup);
  return finishGameWorld(game, world, setup, env);
};

/**
 * {@link createGameWorld}, the same world, built across event-loop turns: a module that says
 * `populateInSlices` populates {@link POPULATE_SLICE} NPCs per turn (a game's 1,000,000-NPC world created
 * while the server ran blocked every other world and session for ~5 s of CPU in one go: 14 s on a loaded host).
 */
export const createGameWorldInSlices = async (game: GameDefinition, opts: GameWorldOptions, env?: ModuleEnv): Promise<SimWorld> => {
  const { world, setup } = prepareGameWorld(game, opts);
  for (const m of game.modules) {
    if (m.populate === undefined) continue;
    const populate = m.populate;
    if (m.populateInSlices !== true || setup.npcs <= POPULATE_SLICE) populate(world, setup);
    else await populateInSlices(setup.npcs, (npcs) => populate(world, { ...setup, npcs }));
  }
  return finishGameWorld(game, world, setup, env);
};

/** The game's populate hook, the modules' `attach` (with `env`) and `onWorldCreated`, after the modules populated. */
const finishGameWorld = (game: GameDefinition, world: SimWorld, setup: { npcs: number }, env: ModuleEnv | undefined): SimWorld => {
  const hooks = game.hooks;
  runWorldHook(game, 'populate', world, () => hooks.populate?.(world, setup));
  if (env) attachGameWorld(game, world, env);
  runWorldHook(game, 'onWorldCreated', world, () => hooks.onWorldCreated?.(world));
  return world;
};

/** A world of `game` with its game slot and clock, not populated yet (options checked). */
const prepareGameWorld = (game: GameDefinition, opts: GameWorldOptions): { world: SimWorld; setup: { npcs: number } } => {
  const notGame = notAGameProblem(game, 'createGameWorld');
  if (notGame) throw optionInvalid([notGame]);
  if (typeof opts !== 'object' || opts === null)
    throw optionInvalid([`createGameWorld: options must be an object { id, ... } (got ${shown(opts)})`]);
  const lg: unknown = opts.logger;
  const fn = (k: string): boolean => typeof lg === 'object' && lg !== null && typeof Reflect.get(lg, k) === 'function';
  if (lg !== undefined && !(fn('child') && fn('isLevelEnabled')))
    throw optionInvalid(['logger must be a pino logger (with child and isLevelEnabled), e.g. pino({ level }, stream)']);
  // The game's defaults (its timeScale, else GAME_DEFAULT_TIME_SCALE) under the world's own patch.
  const config = opts.config === undefined ? gameWorldConfig(game) : mergeDeep(gameWorldConfig(game), opts.config);
  const world = createSimWorld({
    id: opts.id,
    capacity: opts.capacity,
    seed: opts.seed,
    size: opts.size ?? game.world.size,
    config,
    systems: game.pipeline,
    ...(opts.physics !== undefined ? { physics: opts.physics } : {}),
  });
  if (opts.clock) startWorldClockAt(world, opts.clock);
  installGame(game, world);
  if (opts.logger !== undefined) world.gameLogSink = createGameLogSink(opts.logger, world.id, game.name); // before populate: it may log
  return { world, setup: { npcs: opts.npcs ?? 0 } };
};

/**
 * Give a world built on `game.pipeline` (fresh, or restored from a checkpoint) its game slot:
 * the game's component stores (at their defaults), message ingest types, replicated-field table
 * and hooks. No populate, no `onWorldCreated` (createGameWorld runs those for new worlds).
 */
export const installGame = (game: GameDefinition, world: SimWorld): void => {
  const rows = world.capacity + 1;
  const stores = new Map<string, Store>();
  for (const c of game.components) stores.set(c.name, allocateStore(c, rows));
  const messages = new Map<string, GameMessageEntry>();
  const { Player, Spectator } = world.stores;
  for (const m of game.messages) {
    const ingestType = `msg:${m.def.name}`;
    const apply = m.def.apply;
    const spectators = m.def.spectators === true;
    world.ingest.define(ingestType, {
      mode: m.def.mode ?? 'queue',
      capacity: m.def.capacity ?? 4096,
      // The player-facing floor lane: drained completely every step, never cut by the controller.
      lane: 'input',
      apply: (_w, player, fact) => {
        const f = fact as GameMessageFact;
        // A message of a previous owner of this entity (id recycled, session replaced) is ignored.
        if (!entityExists(world, player) || !bitecsHasComponent(world, player, Player)) return;
        if (Player.session[playerRow(world.stores, player)] !== f.session) return;
        // Made a camera after the edge let the message through (`setSpectator` in between): not applied.
        if (!spectators && bitecsHasComponent(world, player, Spectator)) {
          if (world.game) world.game.counters.refused++;
          return;
        }
        // Broadcasts the handler sends are this player's (fair share and cap per sender: src/net/game-outbox.ts).
        const outbox = world.game?.outbox;
        if (outbox) outbox.sender = player;
        try {
          apply(world, player, f.payload);
        } finally {
          if (outbox) outbox.sender = -1;
        }
      },
    });
    messages.set(m.def.name, { name: m.def.name, ingestType, check: m.check, capacity: m.def.capacity ?? 4096, spectators });
  }
  const kinds = new Map<number, KindFields>();
  for (const [kind, list] of game.replicate)
    kinds.set(kind, {
      names: list.map((f) => f.name),
      arrays: list.map((f) => stores.get(f.def.component.name)![f.def.field]),
      scales: list.map((f) => f.def.scale ?? 1),
      // An entity without the component (a recycled id, a removed component) is sent the defaults.
      present: list.map((f) => {
        const raw = stores.get(f.def.component.name)!;
        return (e: number) => bitecsHasComponent(world, e, raw);
      }),
    });
  const hooks = game.hooks;
  const state: GameState = {
    name: game.name,
    version: game.version,
    clientPurchases: game.clientPurchases,
    itemSlots: gameItemSlots(game),
    stores,
    messages,
    serverMessages: new Map(game.serverMessages.map((m) => [m.name, m])),
    outbox: createGameOutbox(),
    replicated: kinds.size ? createReplicationTable(world.capacity, kinds) : null,
    // A throw names the hook (WT_ERR_GAME_HOOK_FAILED); ingest counts it and the step log says it.
    onPlayerJoined: hooks.onPlayerJoined
      ? (p, resumed, cls) =>
          runWorldHook(game, 'onPlayerJoined', world, () =>
            hooks.onPlayerJoined?.(world, p, { resumed, sessionClass: SESSION_CLASS_NAMES[cls] ?? 'player' }),
          )
      : null,
    onPlayerLeft: hooks.onPlayerLeft
      ? (p, parked, kicked, consented) =>
          runWorldHook(game, 'onPlayerLeft', world, () => hooks.onPlayerLeft?.(world, p, { parked, kicked, consented }))
      : null,
    onWorldDeleted: hooks.onWorldDeleted ? () => hooks.onWorldDeleted!(world) : null,
    timers: createTimerState(
      new Set(game.timers.oneShot.keys()),
      game.timers.repeating.map((r) => r.name),
      game.timers.repeating.map((r) => r.every),
      world.clock.now,
    ),
    data: createWorldDataState(),
    facts: installFacts(world, game.facts),
    replay: null,
    counters: { accepted: 0, refused: 0, dropped: 0 },
    actions: new Uint32Array(world.capacity + 1),
  };
  world.game = state;
};

/** Run the modules' `attach` for a world a runtime now serves (createGameWorld does it when given `env`). */
export const attachGameWorld = (game: GameDefinition, world: SimWorld, env: ModuleEnv): void => {
  for (const m of game.modules) m.attach?.(world, env);
};

/**
 * Tear a game world down: `onWorldDeleted` (once), then the world's resources (destroySimWorld).
 * Call it after the world left the loop and the game server.
 */
export const deleteGameWorld = (world: SimWorld): void => {
  checkWorld(world, 'deleteGameWorld');
  worldDeleted(world);
  destroySimWorld(world);
};

/** Run a game world's `onWorldDeleted` hook (at most once per world; a world without a game: no-op). */
export const worldDeleted = (world: SimWorld): void => {
  const g = world.game;
  if (!g?.onWorldDeleted) return;
  const fn = g.onWorldDeleted;
  world.game = { ...g, onWorldDeleted: null };
  fn();
};

/** What {@link spawn} places: a wire kind (0..65534), a position and an optional velocity. */
export interface SpawnOptions {
  kind: number;
  x: number;
  y: number;
  /** World units per simulation second. */
  vx?: number;
  vy?: number;
  /**
   * `false`: world state only, sent to no client — a round's board, a seat, a spawner. The entity
   * gets `Position` and `Velocity` (it moves like any other) but not the engine's `Npc` component,
   * so it is in no interest grid: no client gets its `enter` or updates, and the replicate phase
   * does not see it. Default `true`. Fixed at spawn.
   */
  replicate?: boolean;
}

/**
 * Spawn a game entity: Position, Velocity and the entity kind (`Npc.kind`, what clients see as
 * `kind`); it is indexed for interest queries and replicated to nearby players. Add the game's
 * components with `addComponent`. Throws `WT_ERR_CAPACITY_EXCEEDED` when the world is full,
 * `WT_ERR_OPTION_INVALID` for a bad kind or a non-finite coordinate or velocity.
 */
export const spawn = (world: SimWorld, o: SpawnOptions): number => {
  checkWorld(world, 'spawn');
  if (typeof o !== 'object' || o === null) throw optionInvalid([`spawn: options must be an object { kind, x, y } (got ${shown(o)})`]);
  if (!Number.isInteger(o.kind) || o.kind < 0 || o.kind >= PLAYER_KIND)
    throw optionInvalid([`spawn: kind must be an integer 0..${PLAYER_KIND - 1} (${PLAYER_KIND} is the players' kind)`]);
  // A NaN or infinite coordinate would sit in no interest cell and poison every distance to it; a missing x or y
  // (a JavaScript caller) was stored as NaN.
  const bad = (['x', 'y', 'vx', 'vy'] as const).filter((k) => (k === 'x' || k === 'y' || o[k] !== undefined) && !Number.isFinite(o[k]));
  if (bad.length) throw optionInvalid(bad.map((k) => `spawn: ${k} must be a finite number (got ${shown(o[k])})`));
  if (o.replicate !== undefined && typeof o.replicate !== 'boolean')
    throw optionInvalid([`spawn: replicate must be a boolean (got ${shown(o.replicate)})`]);
  const eid = coreSpawn(world);
  const { Position, Velocity, Npc } = world.stores;
  bitecsAddComponent(world, eid, Position);
  bitecsAddComponent(world, eid, Velocity);
  // The interest grids hold [Position, Npc] and [Position, Player] only: without Npc, no client sees it.
  if (o.replicate !== false) bitecsAddComponent(world, eid, Npc);
  Position.x[eid] = o.x;
  Position.y[eid] = o.y;
  Velocity.x[eid] = o.vx ?? 0;
  Velocity.y[eid] = o.vy ?? 0;
  Npc.kind[eid] = o.kind;
  return eid;
};

/**
 * Remove a game entity. Sessions that knew it get a leave even if its id is reused in the same step.
 * Players are removed by the engine when their session ends: a player entity is refused with
 * `WT_ERR_OPTION_INVALID` (removing it would leave its session open on a dead, soon recycled id),
 * nothing removed. Throws `WT_ERR_ENTITY_NOT_FOUND` for a dead id.
 */
export const despawn = (world: SimWorld, eid: number): void => {
  checkWorld(world, 'despawn');
  if (!isLiveEntity(world, eid))
    throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `despawn: entity ${shown(eid)} does not exist in world ${world.id}`, {
      details: { eid },
    });
  if (bitecsHasComponent(world, eid, world.stores.Player))
    throw optionInvalid([
      `despawn: entity ${eid} is a player: players are removed by the engine when their session ends ` +
        '(take one out of play with setSpectator, or in your own components)',
    ]);
  coreDespawn(world, eid);
  world.net?.removed.push(eid);
};
