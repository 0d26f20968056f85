/**
 * worldtick — the package's server entry: the public game API (docs/GAME-API.md).
 *
 * A game is built from this module only: components (SoA stores on SharedArrayBuffer), systems
 * at named phases, client messages with schemas, replicated fields per entity kind, lifecycle
 * hooks, the optional NPC life-simulation module, and the server that runs it. Everything a game
 * needs is exported here; nothing else in `src/` is public.
 */

// Components
export {
  addComponent,
  defineComponent,
  getStore,
  hasComponent,
  query,
  removeComponent,
  type ComponentDef,
  type ComponentFields,
  type FieldArrayOf,
  type FieldSpec,
  type FieldType,
  type StoreOf,
} from './game/components.js';

// Game definition: systems, messages, replication, hooks, modules
export {
  defineGame,
  defineMessage,
  defineSystem,
  type GameDefinition,
  type GameHooks,
  type GameModule,
  type GameOptions,
  type GameSystem,
  type GameWorld,
  type GameWorldDefaults,
  type KindKey,
  type MessageDef,
  type ModuleEnv,
  type ReplicatedFieldDef,
  type SystemDef,
  type WorldSetup,
} from './game/definition.js';
export type { MigrateContext, MigrateHook } from './game/migrate.js';
export { PHASES, type PhaseName } from './core/phases.js';

// Server → client messages of the game (delivered after the step's snapshot)
export {
  broadcast,
  broadcastNear,
  defineServerMessage,
  DEFAULT_SERVER_MESSAGE_BYTES,
  MAX_SERVER_MESSAGE_BYTES,
  sendToPlayer,
  type ServerMessageDef,
  type ServerMessageRef,
} from './game/server-messages.js';
export type { GameOutboxStats } from './net/game-outbox.js';

// World-time timers: repeating (declared) and one-shot (set at runtime by name, JSON payload)
export {
  clearWorldTimer,
  pendingWorldTimers,
  setWorldTimer,
  MAX_PENDING_TIMERS,
  MAX_TIMER_DELAY_SECONDS,
  MAX_TIMER_PAYLOAD_BYTES,
  MAX_PENDING_TIMER_BYTES,
  MIN_TIMER_EVERY_SECONDS,
  TIMER_EPSILON,
  TIMERS_SYSTEM,
  type FiredTimer,
  type TimerDef,
  type TimerHandler,
} from './game/timers.js';
export type { PendingTimer } from './game/timer-state.js';
// A world's game data: one JSON value, checkpointed and hashed, never sent to clients
export { getWorldData, setWorldData, MAX_WORLD_DATA_BYTES } from './game/world-data.js';
// Facts from outside the step (promise results...) applied in the next step, recorded and replayed
export {
  defineFact,
  deliverToWorld,
  gameFactStats,
  DEFAULT_FACT_CAPACITY,
  DEFAULT_FACT_MAX_BYTES,
  MAX_FACT_BYTES,
  MAX_FACT_CAPACITY,
  MAX_PENDING_FACT_BYTES,
  MAX_PENDING_FACTS,
  type FactDef,
  type GameFactCounters,
} from './game/facts.js';
export type { CatalogueItemSpec } from './ledger/catalogue.js';
export type { StepContext, StepBudgets } from './core/step-context.js';

// Worlds and entities
export { createGameWorld, deleteGameWorld, despawn, spawn, type GameWorldOptions, type SpawnOptions } from './game/world.js';
export { pauseWorld, resumeWorld, stepWorld } from './core/step.js';
export { hashWorldState } from './game/hash.js';
export { nextFloat, nextInt, nextRange, type Prng } from './core/prng.js';
export type { Stores } from '../components/index.js';
export { playerRow } from '../components/player-table.js';
export { tickTime } from '../components/world-time.js';

// Rewards through the world's ledger (exactly once per player and key)
export {
  grantPlayerReward,
  playerEntityOf,
  playerIdOf,
  GAME_KEY_PATTERN,
  MAX_GAME_REWARD_KEY,
  type GameReward,
  type GameRewardResult,
} from './game/rewards.js';
// Purchases the game decides (stock, rules), charged through the ledger exactly once per (player, key)
export { purchaseForPlayer, type GamePurchase, type GamePurchaseResult } from './game/purchases.js';
// What a player's wallet holds (coins, catalogue items), read in the step
export { playerCoins, playerItemCount } from './game/wallet.js';
// The buttons a player's client holds (input.actions)
export { playerActions } from './game/player-input.js';
// Spectators: player entities that are cameras (not replicated to others, no body, not an NPC's partner)
export { isSpectator, setSpectator } from './game/spectators.js';
// Ending a player's session from game code (closed 4020, removed by the next step, onPlayerLeft kicked: true)
export { isPlayerConnected, kickPlayer, type KickOptions } from './game/kick.js';

// Player data: JSON values per (durable player id, key), versioned, durable across restarts
export {
  deletePlayerData,
  loadPlayerData,
  savePlayerData,
  updatePlayerData,
  PLAYER_DATA_LIMITS,
  type PlayerDataResult,
  type PlayerDataUnavailableReason,
  type PlayerDataWriteOptions,
} from './game/player-data.js';

// The NPC life simulation (opt-in module)
export { LIFE_SIM_SYSTEMS, lifeSim, type LifeSimOptions } from './game/life-sim.js';

// Running a game
export { resolveServerOptions, runMain, startServer, type RunningServer, type StartServerOptions } from './game/server.js';
export type { ServerOptions } from './cli/options.js';
export type { Runtime } from './server/runtime.js';
// Creating and ending worlds from game code (the admin API's world routes, in process)
export {
  serverWorlds,
  type CreateWorldBody,
  type CreateWorldCallOptions,
  type ServerWorlds,
  type WorldSummary,
} from './game/worlds-slot.js';
export type { Logger } from './log.js';
// Logging from game code through the server's logger (rate-limited per world)
export {
  gameLog,
  GAME_LOG_BURST,
  GAME_LOG_MAX_LINE_BYTES,
  GAME_LOG_LINES_PER_SECOND,
  type GameLogFn,
  type GameLogger,
  type GameLogLevel,
} from './game/game-log.js';
export type { ServerHooks } from './net/game-server-options.js';
export type { AuthenticateHook, AuthRequest, AuthResult } from './net/hello-auth.js';
export type { HelloMsg } from './net/protocol.js';
export type { SessionClassHook } from './net/session-class-hook.js';
export type { SessionClassName } from './net/session-priority.js';

// Schemas of client messages (TypeBox: the one validator of message payloads)
// (loaded as CommonJS: src/typebox.ts says why)
export { Type } from './typebox.js';
export type { Static, TSchema } from '@sinclair/typebox';

// Protocol constants and errors a game or its tests meet
export { MsgType, PLAYER_KIND, PROTOCOL_VERSION } from './net/protocol.js';
export {
  CloseCode,
  ErrorCode,
  isWorldtickError,
  PlayerDataCode,
  WireErrorCode,
  WorldtickError,
  type PlayerDataCodeValue,
  type WireErrorCodeValue,
} from './errors.js';
