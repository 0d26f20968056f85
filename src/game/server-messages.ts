/**
 * Game-defined server → client messages (Colyseus's `client.send` / `room.broadcast`, on world
 * time): a game declares them in `defineGame({ serverMessages })` with a name, a TypeBox schema
 * and a size limit, and sends them from its systems, message handlers and hooks to one player,
 * to every session whose interest area holds a point or an entity, or to the whole world.
 *
 * A send is checked at once — a name the game does not define, a bad target, a payload off its
 * schema, not made of plain values, or whose frame encodes larger than `maxBytes` throws
 * `WT_ERR_GAME_MESSAGE_INVALID` and queues nothing — then encoded once (`[25, step, name,
 * payload]`: a later change of the payload object changes nothing) and queued. Messages queued
 * during a step are delivered in the replicate phase after that step's snapshots, in the order
 * they were sent (src/net/game-outbox.ts). A send returns nothing: whether a message reached
 * anyone depends on who is connected, and game state must not (a replay has no clients).
 */
import { checkWorld } from '../core/check-world.js';
import { shown } from '../core/shown.js';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '../typebox.js';
import { isLiveEntity } from './components.js';
import { gameMessageInvalid } from '../errors.js';
import { encodeGameMessage, OutboxTarget, type OutboxTargetValue, queueGameMessage, recipientToken } from '../net/game-outbox.js';
import { MAX_MESSAGE_NAME_LENGTH } from '../net/protocol.js';
import type { GameWorld } from './pipeline.js';
import type { ServerMessageEntry } from './slot.js';

/** Default and largest `maxBytes` of a server message (its whole encoded frame). */
export const DEFAULT_SERVER_MESSAGE_BYTES = 1024;
export const MAX_SERVER_MESSAGE_BYTES = 65_536;

/** A server → client message: name, payload schema (TypeBox) and the largest encoded frame. */
export interface ServerMessageDef<S extends TSchema = TSchema> {
  /** 1-64 characters of A-Z a-z 0-9 _ . : - (its own namespace: a client message may have the same name). */
  name: string;
  /** TypeBox schema of the payload; a send whose payload does not match throws. */
  schema: S;
  /** Largest encoded frame `[25, step, name, payload]` in bytes (default 1,024; 16..65,536). */
  maxBytes?: number;
}

/** Define a server message (identity; ties the payload type of the send functions to the schema). */
export const defineServerMessage = <S extends TSchema>(def: ServerMessageDef<S>): ServerMessageDef<S> => def;

/** A compiled server message (its checker built once). */
export interface CompiledServerMessage extends ServerMessageEntry {
  readonly def: ServerMessageDef;
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Validate and compile a game's server messages; problems are appended to `problems`. */
export const compileServerMessages = (defs: readonly ServerMessageDef[], problems: string[]): CompiledServerMessage[] => {
  const out: CompiledServerMessage[] = [];
  const names = new Set<string>();
  for (const m of defs) {
    const where = `serverMessage ${JSON.stringify(m?.name)}`;
    if (typeof m?.name !== 'string' || m.name.length > MAX_MESSAGE_NAME_LENGTH || !NAME_RE.test(m.name)) {
      problems.push(`${where}: name must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
      continue;
    }
    if (names.has(m.name)) problems.push(`${where} is defined twice`);
    names.add(m.name);
    const maxBytes = m.maxBytes ?? DEFAULT_SERVER_MESSAGE_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 16 || maxBytes > MAX_SERVER_MESSAGE_BYTES)
      problems.push(`${where}: maxBytes must be an integer between 16 and ${MAX_SERVER_MESSAGE_BYTES}`);
    if (typeof m.schema !== 'object' || m.schema === null) {
      problems.push(`${where}: schema must be a TypeBox schema`);
      continue;
    }
    try {
      const c = TypeCompiler.Compile(m.schema);
      out.push({
        def: m,
        name: m.name,
        maxBytes,
        check(payload) {
          if (c.Check(payload)) return null;
          const first = c.Errors(payload).First();
          return first ? `${first.path || '/'} ${first.message}` : 'payload does not match the schema';
        },
      });
    } catch (err) {
      problems.push(`${where}: schema does not compile (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return out;
};

/** A message by its definition (typed payload) or its name. */
export type ServerMessageRef<S extends TSchema = TSchema> = ServerMessageDef<S> | string;

/**
 * Plain msgpack values only (nil, booleans, numbers, strings, Uint8Array, arrays, plain objects),
 * visiting at most `budget` values: a payload with more values than its frame has bytes cannot fit
 * anyway, and the budget stops a cyclic object. 'ok', 'plain' (a non-plain value) or 'large'.
 */
const plainWithin = (v: unknown, budget: number): 'ok' | 'plain' | 'large' => {
  const stack: unknown[] = [v];
  let seen = 0;
  while (stack.length > 0) {
    if (++seen > budget) return 'large';
    const x = stack.pop();
    if (x === null || x === undefined) continue;
    const t = typeof x;
    if (t === 'string' || t === 'number' || t === 'boolean') continue;
    if (t !== 'object') return 'plain';
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) stack.push(x[i]);
      continue;
    }
    if (x instanceof Uint8Array) {
      if (x.constructor !== Uint8Array && !Buffer.isBuffer(x)) return 'plain';
      continue;
    }
    if (Object.getPrototypeOf(x) !== Object.prototype) return 'plain';
    const o = x as Record<string, unknown>;
    for (const k in o) stack.push(o[k]);
  }
  return 'ok';
};

/** Check and encode; throws the coded error (counted `refused`) for anything invalid. */
const prepare = (world: GameWorld, message: ServerMessageRef, payload: unknown): Uint8Array => {
  const game = world.game;
  const name = typeof message === 'string' ? message : String(message?.name);
  const refuse = (problem: string): never => {
    if (game) game.outbox.stats.refused++;
    throw gameMessageInvalid(name, problem);
  };
  const entry = game?.serverMessages.get(name);
  if (!game || !entry) return refuse("the world's game defines no server message of that name (defineGame serverMessages)");
  const plain = plainWithin(payload, entry.maxBytes);
  if (plain === 'plain')
    refuse('payload must be plain values (null, boolean, number, string, Uint8Array, array, plain object): no class instances, Map, Date');
  if (plain === 'large') refuse(`payload holds more values than fit in maxBytes ${entry.maxBytes}`);
  const problem = entry.check(payload);
  if (problem !== null) refuse(problem);
  let bytes: Uint8Array | null = null;
  try {
    bytes = encodeGameMessage(game.outbox.packr, world.clock.step, name, payload);
  } catch {
    refuse('payload cannot be encoded as msgpack');
  }
  if (bytes === null) return refuse('payload cannot be encoded as msgpack');
  if (bytes.length > entry.maxBytes) refuse(`encodes to ${bytes.length} bytes, more than its maxBytes ${entry.maxBytes}`);
  return bytes;
};

/** A bad target: counted `refused`, thrown. */
const refuseTarget = (world: GameWorld, message: ServerMessageRef, problem: string): never => {
  if (world.game) world.game.outbox.stats.refused++;
  throw gameMessageInvalid(typeof message === 'string' ? message : String(message?.name), problem);
};

const queue = (world: GameWorld, bytes: Uint8Array, target: OutboxTargetValue, player: number, x: number, y: number): void => {
  const game = world.game;
  const net = world.net;
  // A player message is addressed to the player's tenure (resume token) now: see game-outbox.ts.
  const token = net !== null && target === OutboxTarget.PLAYER ? recipientToken(net, player) : '';
  if (game) queueGameMessage(game.outbox, net, { bytes, target, origin: '', rest: null, player, token, x, y });
};

/**
 * Send a server message to the session of one player entity, after this step's snapshot. A player
 * that is away (socket dropped, parked for resume) gets it in its backlog, delivered in order right
 * after its resume (bounded by `net.awayBacklogMessages` / `awayBacklogBytes`, the oldest dropped;
 * dropped when it does not resume: src/net/game-backlog.ts). A player without a session or parked
 * entry (not a player, removed) gets nothing (counted `undelivered`), and a message is never
 * handed to a newcomer given the recycled entity id. Throws `WT_ERR_GAME_MESSAGE_INVALID` for an
 * unknown message, a payload its schema refuses or over its `maxBytes`, or a `player` that is not
 * an entity id.
 */
export const sendToPlayer = <S extends TSchema>(
  world: GameWorld,
  player: number,
  message: ServerMessageRef<S>,
  payload: Static<S>,
): void => {
  checkWorld(world, 'sendToPlayer');
  const bytes = prepare(world, message, payload);
  if (!Number.isInteger(player) || player < 0) refuseTarget(world, message, `player must be an entity id (got ${shown(player)})`);
  queue(world, bytes, OutboxTarget.PLAYER, player, 0, 0);
};

/**
 * Send a server message to every session whose interest area holds `at` — a point `{ x, y }` in
 * world units, or an entity (its position now): the session's player is within its interest
 * radius of it when the message is delivered (the snapshot rule). Throws as {@link sendToPlayer},
 * and for a non-finite point or an entity that does not exist.
 */
export const broadcastNear = <S extends TSchema>(
  world: GameWorld,
  at: number | { x: number; y: number },
  message: ServerMessageRef<S>,
  payload: Static<S>,
): void => {
  checkWorld(world, 'broadcastNear');
  const bytes = prepare(world, message, payload);
  let x: number, y: number;
  if (typeof at === 'number') {
    if (!isLiveEntity(world, at)) refuseTarget(world, message, `entity ${shown(at)} does not exist`);
    x = world.stores.Position.x[at];
    y = world.stores.Position.y[at];
  } else {
    x = at?.x;
    y = at?.y;
  }
  if (!Number.isFinite(x) || !Number.isFinite(y))
    refuseTarget(world, message, `the point must have finite x and y (got ${shown(x)}, ${shown(y)})`);
  queue(world, bytes, OutboxTarget.AREA, -1, x, y);
};

/** Send a server message to every joined session of the world. Throws as {@link sendToPlayer}. */
export const broadcast = <S extends TSchema>(world: GameWorld, message: ServerMessageRef<S>, payload: Static<S>): void => {
  checkWorld(world, 'broadcast');
  queue(world, prepare(world, message, payload), OutboxTarget.WORLD, -1, 0, 0);
};
