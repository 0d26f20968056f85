/**
 * A game definition: components, systems at named phases, client messages with schemas,
 * replicated fields per entity kind, modules (the NPC life simulation is one) and lifecycle
 * hooks. `defineGame` validates everything it can see (names, references, system order) and
 * throws `WT_ERR_OPTION_INVALID` listing every problem; `createGameWorld` (world.ts) builds worlds.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '../typebox.js';
import { PHASES, type SystemEntry } from '../core/phases.js';
import { isWorldtickError, optionInvalid } from '../errors.js';
import type { SceneInput, SceneResult } from '../content/scene-gen.js';
import type { WorkerPool } from '../jobs/worker-pool.js';
import { MAX_MESSAGE_NAME_LENGTH } from '../net/protocol.js';
import type { SessionClassName } from '../net/session-priority.js';
import type { SimWorld } from '../world/sim-world.js';
import { componentProblems, type ComponentDef } from './components.js';
import { resolvePipeline, type GameWorld, type SystemDef } from './pipeline.js';
import { compileServerMessages, type CompiledServerMessage, type ServerMessageDef } from './server-messages.js';
import { compileTimers, type CompiledTimers, type TimerDef } from './timers.js';
import { compileFacts, type CompiledFact, type FactDef } from './facts.js';
import { createCatalogue, type CatalogueItemSpec } from '../ledger/catalogue.js';
import type { MigrateHook } from './migrate.js';
import { gameShapeProblems, unknownGameKeys } from './option-keys.js';
import { compileReplicate, type KindKey, type ReplicatedFieldDef } from './replicate-defs.js';
import { economyProblems, gameDefaultsProblems } from './game-defaults.js';

export type { GameSystem, GameWorld, SystemDef } from './pipeline.js';

/** A client message: name, payload schema (TypeBox), and the handler applied inside the step. */
export interface MessageDef<S extends TSchema = TSchema> {
  name: string;
  /** TypeBox schema of the payload; a payload that does not match is refused at the edge (`BAD_FIELD` + strike). */
  schema: S;
  /**
   * Applies one accepted message inside the ingest phase of a step (the sender's player entity,
   * the checked payload). Must validate game rules before it mutates; a throw is counted and the
   * message discarded.
   */
  apply(world: GameWorld, player: number, payload: Static<S>): void;
  /** `queue` (every message, FIFO; default) or `latestByKey` (only the newest per player). */
  mode?: 'queue' | 'latestByKey';
  /** Most pending messages of this name per world (default 4,096; full → oldest dropped, counted). */
  capacity?: number;
  /**
   * Accept this message from a camera — a player entity with the `Spectator` tag (a `spectator` or
   * `observer` session's, or one `setSpectator` turned into a camera) — as well (default false: such
   * a message is refused `SPECTATOR_REFUSED` at the edge and never applied). Without a `sessionClass`
   * hook the class comes from the client's own token, so a camera — seen by no other client, no
   * body — must not act unless the game means it to (camera controls, chat).
   */
  spectators?: boolean;
}

export type { KindKey, ReplicatedFieldDef } from './replicate-defs.js';

/** What a world's setup receives: the entity count asked for (CLI `--npcs`, admin `npcs`). */
export interface WorldSetup {
  npcs: number;
}

/** Services a module may use when a runtime serves the world (absent in a bare `createGameWorld`). */
export interface ModuleEnv {
  /** The runtime's worker pool of scene jobs (life-sim scenes). */
  scenePool?: WorkerPool<SceneInput, SceneResult>;
}

/**
 * A module: a reusable part of a game. `pipeline` replaces the engine's base pipeline (at most
 * one module of a game may give one); `populate` runs at world creation before the game's own;
 * `attach` runs when a runtime serves the world.
 */
export interface GameModule {
  name: string;
  pipeline?: readonly SystemEntry<SimWorld>[];
  populate?: (world: GameWorld, setup: WorldSetup) => void;
  /**
   * True when `populate` with `npcs` a, then with b, makes the same world as one call with a + b
   * (life-sim's: each NPC drawn in turn from the world's seed). A world created while a server runs
   * (admin API, `serverWorlds`) is then populated 5,000 NPCs per event-loop turn, so a large one does
   * not stall the other worlds and sessions. Default false: one call.
   */
  populateInSlices?: boolean;
  attach?: (world: GameWorld, env: ModuleEnv) => void;
}

/** Lifecycle hooks. Player hooks run inside the ingest phase of a step; world hooks outside any step. */
export interface GameHooks {
  /** Fill a new world (entities, initial state). Runs once per world, before `onWorldCreated`. */
  populate?: (world: GameWorld, setup: WorldSetup) => void;
  onWorldCreated?: (world: GameWorld) => void;
  /** The world was deleted (admin API) or the runtime stops. */
  onWorldDeleted?: (world: GameWorld) => void;
  /**
   * A session's player was spawned (`resumed` false) or reattached (true). `sessionClass`: the
   * joining session's class (the `sessionClass` hook, `authenticate`'s `cls`, or the hello token's
   * prefix): a spectator, bot or observer is a player entity too, which the game may treat apart.
   * A spectator's or observer's entity already has the `Spectator` tag here (a camera: seen by no
   * other client, no body; `isSpectator`, `setSpectator`, docs/GAME-API.md "Spectators").
   */
  onPlayerJoined?: (world: GameWorld, player: number, info: { resumed: boolean; sessionClass: SessionClassName }) => void;
  /**
   * A player is about to be parked (`parked` true: disconnected, resumable) or removed (false).
   * `kicked` true: removed because its session was ended by `kickPlayer` or the admin API's kick
   * (docs/GAME-API.md "Kicking a player"), not by its client. `consented` true: removed because its
   * client said it was leaving (the protocol's `leave`, the client library's `leave()`): it quit on
   * purpose, rather than dropping (parked) or running out of grace (both false).
   */
  onPlayerLeft?: (world: GameWorld, player: number, info: { parked: boolean; kicked: boolean; consented: boolean }) => void;
}

/** Defaults of the worlds of a game (CLI flags and admin create bodies override them). */
export interface GameWorldDefaults {
  /** World side in world units. */
  size?: number;
  /** Entities populated in the default world when `--npcs` is not given (`setup.npcs`). */
  npcs?: number;
  /** Scheduler-config patch (docs/ADMIN.md) merged over the server defaults. */
  config?: Record<string, unknown>;
  /**
   * Physics of the default world when served (`--physics`'s default for this game): `on` (the
   * server's default: collision between bodies — players, flags, crates alike — obstacles, players
   * stop at edges) or `off` (plain `movement`, bouncing off the edges). A flag or env value wins.
   */
  physics?: 'on' | 'off';
}

/** What `defineGame` takes. */
export interface GameOptions {
  name: string;
  /**
   * The version of the game's data (an integer 1..2^31-1, default 1), stored in every checkpoint: a
   * world checkpointed by a higher version is refused (`WT_ERR_CHECKPOINT_INCOMPATIBLE`), as a
   * newer build's checkpoint is. Raise it with a release whose data an older release must not read.
   */
  version?: number;
  /**
   * Called once on a world restored from a checkpoint a lower `version` of the game wrote
   * (`{ world, from, to }`), after its data was carried over by the rules and before its first step;
   * deterministic, world state only. Throwing refuses the checkpoint (`WT_ERR_CHECKPOINT_INCOMPATIBLE`).
   */
  migrate?: MigrateHook;
  modules?: readonly GameModule[];
  components?: readonly ComponentDef[];
  systems?: readonly SystemDef[];
  messages?: readonly MessageDef[];
  /** Server → client messages the game sends (`sendToPlayer`, `broadcastNear`, `broadcast`; src/game/server-messages.ts). */
  serverMessages?: readonly ServerMessageDef[];
  /** Replicated fields per wire kind: `{ player: { hp: { component: Health, field: 'hp' } }, '1': {...} }`. */
  replicate?: Partial<Record<KindKey, Record<string, ReplicatedFieldDef>>>;
  hooks?: GameHooks;
  /**
   * World-time timers (src/game/timers.ts): repeating (`{ name, every, run }`, world seconds) and
   * the handlers of one-shot timers set by `setWorldTimer` (`{ name, run }`, no `every`).
   */
  timers?: readonly TimerDef[];
  /**
   * Results from outside the step (`deliverToWorld`, src/game/facts.ts): `[{ name, apply, capacity?, maxBytes? }]`,
   * applied in the next step's ingest phase, recorded in an input log and re-applied by a replay.
   */
  facts?: readonly FactDef<never>[];
  /**
   * The ledger catalogue of the game's items (`[{ id, price }]`, at most 8, as `ledger.catalogue`
   * of the config file): used when the server config names none (a config file's or
   * `startServer`'s `ledger.catalogue` wins). Validated here.
   */
  catalogue?: readonly CatalogueItemSpec[];
  /**
   * Coins every new player is granted once (`--starting-coins`' default for this game, integer
   * 0..1,000,000,000); a flag, env value, config file or `startServer` option wins.
   */
  startingCoins?: number;
  /**
   * Coins every new **anonymous** player (`g:` id: an empty or class-only token) is granted once
   * instead of `startingCoins` (integer 0..1,000,000,000; 0 = no start grant at all). Default: the
   * starting coins. The server config's `ledger.anonymousStartingCoins` wins.
   */
  anonymousStartingCoins?: number;
  /**
   * Whether clients may buy catalogue items with the protocol's `purchase` frame (default true),
   * which the ledger decides against the catalogue alone — no game rule sees it. `false` for a game
   * that sells only through `purchaseForPlayer` after its own checks (a level, a stock, a stall): the
   * frame is then answered `rejected` / `TX_CLIENT_PURCHASES_OFF`, nothing charged.
   */
  clientPurchases?: boolean;
  world?: GameWorldDefaults;
  /**
   * Game-server settings this game defaults to (src/net/net-config.ts keys, e.g.
   * `{ interestRadius: 300, maxSpeed: 12 }`); a config file's `net` overrides them. Validated at start.
   */
  net?: Record<string, unknown>;
}

/** A compiled message: its checker built once. */
export interface CompiledMessage {
  readonly def: MessageDef;
  check(payload: unknown): string | null;
}

/** A validated game (what `createGameWorld` and `startServer` take). */
export interface GameDefinition {
  readonly name: string;
  /** The game's data version (`version`, default 1). */
  readonly version: number;
  /** The migration hook (`migrate`), or null. */
  readonly migrate: MigrateHook | null;
  readonly modules: readonly GameModule[];
  readonly components: readonly ComponentDef[];
  readonly systems: readonly SystemDef[];
  readonly messages: readonly CompiledMessage[];
  readonly serverMessages: readonly CompiledServerMessage[];
  /** Wire kind → ordered fields. */
  readonly replicate: ReadonlyMap<number, readonly { name: string; def: ReplicatedFieldDef }[]>;
  readonly hooks: GameHooks;
  /** The game's timers (one-shot handlers by name, repeating timers). */
  readonly timers: CompiledTimers;
  /** The game's facts (`deliverToWorld`), in declaration order. */
  readonly facts: readonly CompiledFact[];
  /** The game's ledger catalogue (validated), or null: the server's. */
  readonly catalogue: readonly CatalogueItemSpec[] | null;
  /** The game's starting coins, or null: the server's option. */
  readonly startingCoins: number | null;
  /** The game's anonymous players' starting coins, or null: the server config's, else the starting coins. */
  readonly anonymousStartingCoins: number | null;
  /** Whether the protocol's `purchase` frame is open to clients (`clientPurchases`, default true). */
  readonly clientPurchases: boolean;
  readonly world: GameWorldDefaults;
  readonly net: Readonly<Record<string, unknown>>;
  /** The resolved pipeline (module base + game systems, in phase order). */
  readonly pipeline: readonly SystemEntry<SimWorld>[];
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Define a message. Identity at runtime; it ties the handler's payload type to the schema
 * (`apply(world, player, payload: Static<typeof schema>)`).
 */
export const defineMessage = <S extends TSchema>(def: MessageDef<S>): MessageDef<S> => def;

/** Define a system placement (identity; for symmetry and typing). */
export const defineSystem = (def: SystemDef): SystemDef => def;

/**
 * A schema error's field path as sent back in `BAD_FIELD` (docs/PROTOCOL.md: an error never carries
 * the client's decoded values): the path names keys the client sent (an unexpected property's
 * name), so it is cut to 64 characters and anything outside printable ASCII becomes `?`.
 */
export const fieldPath = (path: string): string => {
  if (path === '') return '/';
  const cut = path.length > FIELD_PATH_MAX ? `${path.slice(0, FIELD_PATH_MAX - 3)}...` : path;
  return cut.replace(/[^\x20-\x7e]/g, '?');
};
const FIELD_PATH_MAX = 64;

const compileMessage = (def: MessageDef, problems: string[]): CompiledMessage | null => {
  try {
    const c = TypeCompiler.Compile(def.schema);
    return {
      def,
      check(payload) {
        if (c.Check(payload)) return null;
        const first = c.Errors(payload).First();
        return first ? `${fieldPath(first.path)} ${first.message}` : 'payload does not match the schema';
      },
    };
  } catch (err) {
    problems.push(`message ${def.name}: schema does not compile (${err instanceof Error ? err.message : String(err)})`);
    return null;
  }
};

/** A game's catalogue, checked as the ledger will (every problem as `catalogue.items[i]...`), copied; null when absent. */
const gameCatalogue = (raw: unknown, problems: string[]): readonly CatalogueItemSpec[] | null => {
  if (raw === undefined) return null;
  try {
    return createCatalogue(raw).items.map(({ id, price }) => Object.freeze({ id, price }));
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    for (const p of (err.details as { problems?: string[] } | undefined)?.problems ?? [err.message]) problems.push(`catalogue: ${p}`);
    return null;
  }
};

/**
 * Validate a game. Throws `WT_ERR_OPTION_INVALID` listing every problem: bad or duplicate names,
 * a system `before`/`after` an unknown system or out of phase order, a message without schema or
 * handler, a replicated field of an undeclared component or field, a bad kind or scale, a bad
 * fact, catalogue (`catalogue: items[0].price must be ...`) or starting coins.
 */
export const defineGame = (opts: GameOptions): GameDefinition => {
  const shape = gameShapeProblems(opts);
  if (shape.length) {
    if (typeof opts === 'object' && opts !== null) unknownGameKeys(opts, shape);
    throw optionInvalid(shape);
  }
  const problems: string[] = [];
  unknownGameKeys(opts, problems);
  if (typeof opts.name !== 'string' || !NAME_RE.test(opts.name)) problems.push(`game name must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
  if (opts.version !== undefined && (!Number.isInteger(opts.version) || opts.version < 1 || opts.version > 2 ** 31 - 1))
    problems.push(`version must be an integer between 1 and ${2 ** 31 - 1} (got ${JSON.stringify(opts.version)})`);
  if (opts.migrate !== undefined && typeof opts.migrate !== 'function')
    problems.push(`migrate must be a function ({ world, from, to }) => void (got ${typeof opts.migrate})`);
  const w = opts.world ?? {};
  if (w.size !== undefined && (typeof w.size !== 'number' || !(w.size > 0) || w.size > 1e7))
    problems.push('world.size must be a number > 0 and <= 10000000');
  if (w.npcs !== undefined && (!Number.isInteger(w.npcs) || w.npcs < 0 || w.npcs > 50_000_000))
    problems.push('world.npcs must be an integer between 0 and 50000000');
  if (w.physics !== undefined && w.physics !== 'on' && w.physics !== 'off') problems.push('world.physics must be "on" or "off"');
  problems.push(...gameDefaultsProblems(opts.net, w.config));
  const modules = opts.modules ?? [];
  const components = opts.components ?? [];
  const seen = new Set<string>();
  for (const [i, c] of components.entries()) {
    const bad = componentProblems(c);
    if (bad.length) {
      problems.push(...bad.map((p) => `components[${i}]: ${p}`));
      continue;
    }
    if (seen.has(c.name)) problems.push(`component ${c.name} is listed twice`);
    seen.add(c.name);
  }
  const messages: CompiledMessage[] = [];
  const msgNames = new Set<string>();
  for (const m of opts.messages ?? []) {
    if (typeof m.name !== 'string' || m.name.length < 1 || m.name.length > MAX_MESSAGE_NAME_LENGTH || !NAME_RE.test(m.name))
      problems.push(`message name ${JSON.stringify(m.name)} must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
    else if (msgNames.has(m.name)) problems.push(`message ${m.name} is defined twice`);
    msgNames.add(m.name);
    if (typeof m.apply !== 'function') problems.push(`message ${m.name}: apply must be a function`);
    if (m.mode !== undefined && m.mode !== 'queue' && m.mode !== 'latestByKey')
      problems.push(`message ${m.name}: mode must be queue or latestByKey`);
    if (m.capacity !== undefined && (!Number.isInteger(m.capacity) || m.capacity < 1 || m.capacity > 1_048_576))
      problems.push(`message ${m.name}: capacity must be an integer between 1 and 1048576`);
    if (typeof m.schema !== 'object' || m.schema === null) {
      problems.push(`message ${m.name}: schema must be a TypeBox schema`);
      continue;
    }
    const c = compileMessage(m, problems);
    if (c) messages.push(c);
  }
  const serverMessages = compileServerMessages(opts.serverMessages ?? [], problems);
  const facts = compileFacts(opts.facts ?? [], problems);
  const catalogue = gameCatalogue(opts.catalogue, problems);
  problems.push(...economyProblems(opts));
  const replicate = compileReplicate(opts.replicate, seen, problems);
  const bases = modules.filter((m) => m.pipeline);
  if (bases.length > 1) problems.push(`modules ${bases.map((m) => m.name).join(', ')} each replace the base pipeline: at most one may`);
  const timers = compileTimers(opts.timers ?? [], bases[0]?.pipeline, problems);
  // Repeating timers are placed after the game's systems (a timer may go before/after one of them).
  const pipeline = resolvePipeline(resolvePipeline(timers.base, opts.systems ?? [], problems), timers.systems, problems);
  if (problems.length) throw optionInvalid(problems);
  return {
    name: opts.name,
    version: opts.version ?? 1,
    migrate: opts.migrate ?? null,
    modules,
    components,
    systems: opts.systems ?? [],
    messages,
    serverMessages,
    replicate,
    hooks: opts.hooks ?? {},
    timers: timers.timers,
    facts,
    catalogue,
    startingCoins: opts.startingCoins ?? null,
    anonymousStartingCoins: opts.anonymousStartingCoins ?? null,
    clientPurchases: opts.clientPurchases ?? true,
    world: opts.world ?? {},
    net: opts.net ?? {},
    pipeline,
  };
};

export { PHASES };
