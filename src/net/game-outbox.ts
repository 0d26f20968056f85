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
 * Two lanes share the queue (one array, in send order): messages to one player, and broadcasts
 * (area and world). Bounded per lane: at most `net.maxGameMessagesPerStep` messages of each lane
 * wait per world (a broadcast is one); past it the newest is dropped (the queued ones are kept) and
 * counted `overflow`. A step hands at most `net.maxGameMessageDeliveriesPerStep` frames to sockets
 * (a world broadcast is one per session) and spends at most `net.maxGameMessageDeliveryMsPerStep`
 * wall ms on it: the player messages waiting are served first, broadcasts get the rest, and what
 * does not fit waits, in order, for the next step (`deferred`), so a game that broadcasts a lot can
 * neither hold the loop for the sends nor keep a player's own messages waiting or dropped behind
 * its broadcasts.
 *
 * Broadcasts are fair between their senders. A broadcast sent from a client message's handler is
 * attributed to that message's player (its *sender*); one sent from a system, timer, hook or fact
 * to the server. At most `net.maxGameBroadcastsPerSender` broadcasts of one player wait (counted
 * per tenure, its resume token, not per entity id, which bitecs recycles: {@link senderKey}); past
 * it that player's newest is dropped, counted `capped` (its own drops: the other senders'
 * broadcasts are not touched). When the step's budget cannot take every waiting broadcast, the
 * budget is shared round-robin between senders, the sender whose oldest broadcast waits longest first: a few spamming players cannot keep another player's broadcasts waiting.
 *
 * Order (per recipient): messages to one player arrive in send order; broadcasts of one sender
 * arrive in send order; in a step, the player messages delivered precede the broadcasts delivered;
 * broadcasts of different senders arrive in send order while the budget takes them all, and
 * round-robin between senders when it does not.
 *
 * A player message is addressed to the player's resume token (its tenure, across resumes and
 * takeovers), not only to the entity id, which bitecs recycles: it reaches that player's session,
 * or its away backlog while it is parked (game-backlog.ts), never a newcomer given the id.
 * A message over its `maxBytes` never gets here (refused when sent). Nothing is queued while no
 * game server serves the world (counted `unserved`): there is nobody to deliver to.
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
  /**
   * Broadcasts: who sent it ({@link senderKey}): the tenure (resume token) of the player whose client
   * message's handler sent it, {@link SERVER_SENDER} the server (systems, timers, hooks).
   */
  origin: string;
  /**
   * Broadcasts cut by the time bound: the connection ids of the sessions it has not reached yet (it
   * continues to them, first, next step); null until cut.
   */
  rest: Set<number> | null;
  /** Player entity (target player). */
  player: number;
  /**
   * Target player: the resume token of the player's tenure when the message was sent (its live
   * session's, or its parked entry's; '' when it had neither). Delivered only to a session or
   * backlog of that token: a message waiting past the delivery budget must not reach a newcomer
   * that got the recycled entity id.
   */
  token: string;
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
  /** Broadcasts of one player dropped because it had `net.maxGameBroadcastsPerSender` waiting (its newest is dropped). */
  capped: number;
  /** Steps whose delivery stopped at `net.maxGameMessageDeliveryMsPerStep` with messages left (they wait for the next step). */
  timeLimited: number;
  /** Player messages kept in the backlog of a parked (away) player (game-backlog.ts). */
  backlogged: number;
  /** Backlogged messages delivered right after the player's resume. */
  backlogDelivered: number;
  /** Backlogged messages dropped because the backlog was at its bound (`net.awayBacklogMessages` / `Bytes`): the oldest go. */
  backlogOverflow: number;
  /** Backlogged messages dropped because the player did not resume (grace over, evicted, world deleted). */
  backlogExpired: number;
}

/** One sender's waiting broadcasts. */
export interface SenderQueue {
  /** Its broadcasts waiting (capped by `net.maxGameBroadcastsPerSender` for a player). */
  waiting: number;
  /** `GameOutbox.flushes` when one of its broadcasts was last delivered (0: not since it started waiting). */
  turn: number;
}

/** A world's outbox (in its game slot, `world.game.outbox`). */
export interface GameOutbox {
  /** Encoder of the frames (one per world, reused). */
  readonly packr: Packr;
  /** Waiting messages of both lanes, in send order. */
  readonly items: OutboxItem[];
  /** How many of `items` are player messages, and broadcasts (each lane's bound). */
  readonly lanes: { players: number; broadcasts: number };
  /**
   * Senders with broadcasts waiting, by {@link senderKey} (players' tenures, and {@link SERVER_SENDER});
   * an entry goes when its last is delivered.
   */
  readonly bySender: Map<string, SenderQueue>;
  /** Steps whose delivery ran (the round-robin's clock: `SenderQueue.turn`). */
  flushes: number;
  /** Measured wall ms per frame handed to a socket (moving average; 0 until measured): what fits in the time bound. */
  frameMs: number;
  /**
   * The sender of broadcasts sent now: the player entity whose client message's handler runs (set
   * around the handler by src/game/world.ts), else -1. Counted under its tenure ({@link senderKey}).
   */
  sender: number;
  readonly stats: GameOutboxStats;
}

/** An empty outbox. */
export const createGameOutbox = (): GameOutbox => ({
  // Records off, as every server frame (codec.ts): any msgpack decoder reads them.
  packr: new Packr({ useRecords: false, variableMapSize: true }),
  items: [],
  lanes: { players: 0, broadcasts: 0 },
  bySender: new Map(),
  flushes: 0,
  frameMs: 0,
  sender: -1,
  stats: {
    queued: 0,
    overflow: 0,
    refused: 0,
    unserved: 0,
    sent: 0,
    bytes: 0,
    undelivered: 0,
    deferred: 0,
    capped: 0,
    timeLimited: 0,
    backlogged: 0,
    backlogDelivered: 0,
    backlogOverflow: 0,
    backlogExpired: 0,
  },
});

/** Encode `[25, step, name, payload]` (a copy: it waits in the queue until the replicate phase). */
export const encodeGameMessage = (packr: Packr, step: number, name: string, payload: unknown): Uint8Array =>
  Uint8Array.prototype.slice.call(packr.pack([MsgType.MESSAGE, step, name, payload]));

/** What queueing reads of the world's net slot (`WorldNet`, structurally: the game slot sits below it). */
export interface OutboxNet {
  readonly config: { readonly maxGameMessagesPerStep: number; readonly maxGameBroadcastsPerSender: number };
  /** Live sessions by player entity (their resume tokens address player messages). */
  readonly byPlayer: ReadonlyMap<number, { readonly resumeToken: string }>;
  /** Parked (away) players by entity, until their resume is applied (game-backlog.ts). */
  readonly away: ReadonlyMap<number, { readonly token: string }>;
}

/** The resume token addressing a message to `player` now: its live session's, else its parked entry's, else ''. */
export const recipientToken = (net: OutboxNet, player: number): string =>
  net.byPlayer.get(player)?.resumeToken ?? net.away.get(player)?.token ?? '';

/** The sender key of the server's broadcasts (systems, timers, hooks, facts): never a resume token. */
export const SERVER_SENDER = '';

/**
 * The key a broadcast of `sender` (a player entity, -1 the server) is counted under: the player's
 * tenure (its resume token, see {@link recipientToken}), not the entity id, which bitecs recycles —
 * a newcomer given the id of a player whose broadcasts still wait must not inherit that player's
 * count (nor its round-robin turn). A resume or takeover keeps the token, so the same player keeps
 * its count. A player with neither a session nor a parked entry (not seen: a handler runs for a
 * player with a live session) falls back to `#<entity id>` (resume tokens are base64url: no `#`).
 */
export const senderKey = (net: OutboxNet, sender: number): string => {
  if (sender < 0) return SERVER_SENDER;
  const token = recipientToken(net, sender);
  return token !== '' ? token : `#${sender}`;
};

/**
 * Queue a checked, encoded message, or count why not (no server: `net` null, `unserved`; its
 * sender has `maxGameBroadcastsPerSender` broadcasts waiting, `capped`; its lane's queue is full,
 * `overflow`). A broadcast is attributed to `outbox.sender`.
 */
export const queueGameMessage = (outbox: GameOutbox, net: OutboxNet | null, item: OutboxItem): void => {
  const st = outbox.stats;
  if (net === null) {
    st.unserved++;
    return;
  }
  const lanes = outbox.lanes;
  const player = item.target === OutboxTarget.PLAYER;
  const sender = player ? SERVER_SENDER : senderKey(net, outbox.sender);
  item.origin = sender;
  const q = player ? undefined : outbox.bySender.get(sender);
  const cap = net.config.maxGameBroadcastsPerSender;
  // The sender's own bound first: a spammer's drops are its own, counted apart from a full lane.
  if (sender !== SERVER_SENDER && cap > 0 && q !== undefined && q.waiting >= cap) {
    st.capped++;
    return;
  }
  if ((player ? lanes.players : lanes.broadcasts) >= net.config.maxGameMessagesPerStep) {
    st.overflow++;
    return;
  }
  if (player) lanes.players++;
  else lanes.broadcasts++;
  if (q !== undefined) q.waiting++;
  else if (!player) outbox.bySender.set(sender, { waiting: 1, turn: 0 });
  outbox.items.push(item);
  st.queued++;
};

/** A broadcast of `sender` left the queue (delivered to every recipient) in the current flush. */
export const broadcastDone = (outbox: GameOutbox, sender: string): void => {
  const q = outbox.bySender.get(sender);
  if (q === undefined) return;
  q.turn = outbox.flushes;
  if (--q.waiting <= 0) outbox.bySender.delete(sender);
};
