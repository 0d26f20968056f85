/**
 * A world's outbox of game-defined server → client messages (`[25, step, name, payload]`,
 * docs/PROTOCOL.md "Server messages of the game"). The game queues them during a step through
 * src/game/server-messages.ts (checked and encoded there, once per message); the replicate phase
 * delivers them after the step's snapshots and events, in the order they were queued
 * (`flushGameMessages`, game-outbox-flush.ts), to:
 *
 *   player  the session of one player entity (looked up at delivery);
 *   area    every session whose interest area holds a point: the session's player within its
 *           `interestRadius` of the point (the snapshot rule at full quality);
 *   world   every joined session of the world.
 *
 * Bounded: at most `net.maxGameMessagesPerStep` messages wait per world (a broadcast is one);
 * past it the newest is dropped (the queued ones are kept) and counted `overflow`. A step hands at
 * most `net.maxGameMessageDeliveriesPerStep` frames to sockets (a world broadcast is one per
 * session): the messages past it wait, in order, for the next step (`deferred`), so a game that
 * broadcasts a lot cannot hold the loop for the sends. A message over
 * its `maxBytes` never gets here (refused when sent). Nothing is queued while no game server
 * serves the world (counted `unserved`): there is nobody to deliver to.
 */
import { Packr } from 'msgpackr';
import { MsgType } from './protocol.js';

/** Who gets a queued message. */
export const OutboxTarget = { PLAYER: 0, AREA: 1, WORLD: 2 } as const;
export type OutboxTargetValue = (typeof OutboxTarget)[keyof typeof OutboxTarget];

/** One queued message: its encoded frame and its recipients. */
export interface OutboxItem {
  bytes: Uint8Array;
  target: OutboxTargetValue;
  /** Player entity (target player). */
  player: number;
  /**
   * Target player: the connection id that owned the player when the message was sent
   * (`Player.session`; -1: none). Delivered only to that session: a message waiting past the
   * delivery budget must not reach a newcomer that got the recycled entity id, or a later session.
   */
  session: number;
  /** The area's point in world units (target area). */
  x: number;
  y: number;
}

/** Counters of a world's server messages (totals since the world's game was installed). */
export interface GameOutboxStats {
  /** Messages accepted into the queue. */
  queued: number;
  /** Valid messages dropped because the step's queue was full (the newest is dropped). */
  overflow: number;
  /** Sends refused with `WT_ERR_GAME_MESSAGE_INVALID` (nothing queued). */
  refused: number;
  /** Valid messages sent while no game server served the world (nothing queued). */
  unserved: number;
  /** Frames handed to sessions' sockets (a broadcast counts one per recipient). */
  sent: number;
  /** Bytes of those frames. */
  bytes: number;
  /** Deliveries that failed: the player had no open session, or its socket dropped the frame (then closed 4008). */
  undelivered: number;
  /** Messages carried to a later step by `net.maxGameMessageDeliveriesPerStep` (counted once per step they wait). */
  deferred: number;
}

/** A world's outbox (in its game slot, `world.game.outbox`). */
export interface GameOutbox {
  /** Encoder of the frames (one per world, reused). */
  readonly packr: Packr;
  readonly items: OutboxItem[];
  readonly stats: GameOutboxStats;
}

/** An empty outbox. */
export const createGameOutbox = (): GameOutbox => ({
  // Records off, as every server frame (codec.ts): any msgpack decoder reads them.
  packr: new Packr({ useRecords: false, variableMapSize: true }),
  items: [],
  stats: { queued: 0, overflow: 0, refused: 0, unserved: 0, sent: 0, bytes: 0, undelivered: 0, deferred: 0 },
});

/** Encode `[25, step, name, payload]` (a copy: it waits in the queue until the replicate phase). */
export const encodeGameMessage = (packr: Packr, step: number, name: string, payload: unknown): Uint8Array =>
  Uint8Array.prototype.slice.call(packr.pack([MsgType.MESSAGE, step, name, payload]));

/** What queueing reads of the world's net slot (`WorldNet`, structurally: the game slot sits below it). */
export interface OutboxNet {
  readonly config: { readonly maxGameMessagesPerStep: number };
}

/** Queue a checked, encoded message, or count why not (no server: `net` null; the step's queue is full). */
export const queueGameMessage = (outbox: GameOutbox, net: OutboxNet | null, item: OutboxItem): void => {
  const st = outbox.stats;
  if (net === null) st.unserved++;
  else if (outbox.items.length >= net.config.maxGameMessagesPerStep) st.overflow++;
  else {
    outbox.items.push(item);
    st.queued++;
  }
};
