/**
 * The slot a game adds to a world (below the assembly: the net subsystem reads it): the game's
 * component stores, its client messages, its replicated-field table and the player hooks, all
 * bound to the world when the game built it (src/game/world.ts). A world built without a game
 * (tests, the crowd scenario, `createSimWorld` directly) has `game: null`.
 */
import type { Store } from '../../components/alloc.js';
import type { WireErrorCodeValue } from '../errors.js';
import type { GameOutbox } from '../net/game-outbox.js';
import type { ReplicationTable } from '../net/replicated-fields.js';
import type { GameFactState } from './fact-state.js';
import type { GameTimerState } from './timer-state.js';
import type { WorldDataState } from './world-data.js';

/** A client message as the edge sees it: check the payload, then push it as an ingest fact. */
export interface GameMessageEntry {
  readonly name: string;
  /** The ingest type its facts are pushed to (`msg:<name>`). */
  readonly ingestType: string;
  /** Null when the payload matches the message's schema, else the first problem (path and reason). */
  check(payload: unknown): string | null;
  /** Capacity of its ingest buffer (facts per step); the edge shares it among the world's sessions. */
  readonly capacity?: number;
  /** Accepted from a camera (an entity with the `Spectator` tag) too (`MessageDef.spectators`). */
  readonly spectators?: boolean;
}

/** A server → client message the game defined (src/game/server-messages.ts checks and encodes it when sent). */
export interface ServerMessageEntry {
  readonly name: string;
  /** Largest encoded frame in bytes. */
  readonly maxBytes: number;
  /** Null when the payload matches the message's schema, else the first problem (path and reason). */
  check(payload: unknown): string | null;
}

/** Outcome of a game message at the edge (game-server.ts answers failures with the code and a strike). */
export type GameMessageOutcome = { ok: true } | { ok: false; code: WireErrorCodeValue; message: string; strike: boolean };

/**
 * Durable player ids bound to player entities in a replayed world (src/replay/replayer.ts fills it
 * from the log: the live world's ledger bound them when the players joined). Same shape as the
 * ledger's own tables, so `playerIdOf` / `playerEntityOf` read either.
 */
export interface PlayerBindings {
  readonly eidOf: Map<string, number>;
  readonly playerOf: Map<number, string>;
}

/** What a game attached to its world. */
export interface GameState {
  readonly name: string;
  /** The game's data version (`defineGame({ version })`), stored in checkpoints. */
  readonly version: number;
  /** Whether clients may buy with the protocol's `purchase` frame (`defineGame({ clientPurchases })`). */
  readonly clientPurchases: boolean;
  /** Wallet slot by item id of the game's catalogue (else the default): `playerItemCount` without a ledger (a replay). */
  readonly itemSlots: ReadonlyMap<string, number>;
  /** Component stores by component name (SoA typed arrays on SharedArrayBuffer, capacity + 1 rows). */
  readonly stores: ReadonlyMap<string, Store>;
  readonly messages: ReadonlyMap<string, GameMessageEntry>;
  /** Custom replicated fields (null when the game declares none: the wire is the default one). */
  readonly replicated: ReplicationTable | null;
  /** Called in the ingest phase after a session's player was spawned or reattached (`cls`: `SessionClass` code of the session). */
  readonly onPlayerJoined: ((player: number, resumed: boolean, cls: number) => void) | null;
  /** Called in the ingest phase before a player is parked (disconnect) or removed (grace over, `kicked`, or its client's `leave`: `consented`). */
  readonly onPlayerLeft: ((player: number, parked: boolean, kicked: boolean, consented: boolean) => void) | null;
  /** Called once when the world is deleted (admin API) or its runtime stops. */
  readonly onWorldDeleted: (() => void) | null;
  /** The game's server → client messages by name. */
  readonly serverMessages: ReadonlyMap<string, ServerMessageEntry>;
  /** Server messages queued for the next replicate phase, and their counters (src/net/game-outbox.ts). */
  readonly outbox: GameOutbox;
  /** The world's timers: pending one-shots, repeating timers' next due times (src/game/timers.ts; checkpoints carry them). */
  readonly timers: GameTimerState;
  /** The world's game data (`getWorldData` / `setWorldData`, src/game/world-data.ts; hashed, checkpointed, never sent). */
  readonly data: WorldDataState;
  /** The game's facts from outside the step (src/game/facts.ts), or null when it declares none. */
  readonly facts: GameFactState | null;
  /**
   * Non-null while the world is a replay of an input log (src/replay): the player bindings the log
   * recorded. `deliverToWorld` then queues nothing (the log holds the facts the live world applied).
   */
  replay: PlayerBindings | null;
  /** Game messages accepted, refused at the edge, or dropped by a full buffer (all names). */
  readonly counters: { accepted: number; refused: number; dropped: number };
  /**
   * The `actions` bit set of each player's newest applied input, by entity id (capacity + 1 rows;
   * src/net/input.ts writes it, a join resets it): `playerActions`. Input state, not world state:
   * neither hashed nor checkpointed (a new session starts at 0).
   */
  readonly actions: Uint32Array;
}

/** The game slot of a world. */
export interface GameSlot {
  game: GameState | null;
}

/** A world's game slot (no game). */
export const createGameSlot = (): GameSlot => ({ game: null });
