/**
 * The game protocol's constants and message shapes, shared by the server and the client library
 * (no Node-only imports: the browser client uses this module too). docs/PROTOCOL.md is the
 * normative description; this file must agree with it.
 *
 * Every frame is one binary WebSocket message holding one msgpack array whose first element is
 * the message type code ({@link MsgType}); the other elements are positional fields.
 */

export { WireErrorCode, CloseCode, type WireErrorCodeValue, type CloseCodeValue } from '../errors.js';

/** Protocol version a client sends in `hello`. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Message type codes (first array element). Client → server 1..15, server → client 16..31. */
export const MsgType = {
  HELLO: 1,
  INPUT: 2,
  PING: 3,
  /** `[4, key, item, quantity, expectedPrice]`: answered by a `txResult` (docs/PROTOCOL.md). */
  PURCHASE: 4,
  /** A game-defined message `[5, name, payload]` (docs/GAME-API.md, docs/PROTOCOL.md). */
  GAME: 5,
  /**
   * `[6]`: the client leaves on purpose (after `welcome`): the server closes the socket 1000 `left`
   * and the next step removes the player without parking it (docs/PROTOCOL.md "Leaving").
   */
  LEAVE: 6,
  WELCOME: 16,
  SNAPSHOT: 17,
  EVENT: 18,
  PONG: 19,
  ERROR: 20,
  /** Result of a purchase: `[21, key, status, code, seq, item, quantity, coinsDelta, coins, items, replayed]`. */
  TX_RESULT: 21,
  /** The player's wallet: `[22, coins, items, appliedSeq]` (after a resume catch-up or a reward). */
  WALLET: 22,
  /** Cluster: another instance owns the world (docs/PROTOCOL.md, "redirect"). */
  REDIRECT: 23,
  /**
   * A shared region frame (net option `viewMode: 'regions'`): `[24, step, worldTime, sendTime,
   * acks, cell, radius, maxEntities, entities]` — the full state of every entity near the
   * sender's region cell; it replaces the client's view (docs/PROTOCOL.md, "region").
   */
  REGION: 24,
  /** A game-defined server message `[25, step, name, payload]` (docs/PROTOCOL.md "Server messages of the game"). */
  MESSAGE: 25,
} as const;
export type MsgTypeValue = (typeof MsgType)[keyof typeof MsgType];

/**
 * Bits of an update entry's field mask (`[id, mask, ...fields in bit order]`). Bits 16, 32, ...
 * (`16 << j`) are the game's custom field j of the entity's kind (see `WelcomeMsg.fields`).
 */
export const EntityField = { X: 1, Y: 2, KIND: 4, TIER: 8 } as const;
/** Mask with every field set. */
export const ALL_FIELDS = 15;

/** `kind` of player entities on the wire (NPC kinds are 0..65534). */
export const PLAYER_KIND = 65535;

/** Input action bits (documented; gameplay meaning is up to the game). Values 0..2^32-1. */
export const MAX_ACTIONS = 0xffffffff;

/** Longest player name / token / resume token (characters). */
export const MAX_NAME_LENGTH = 32;
export const MAX_TOKEN_LENGTH = 256;
export const MAX_WORLD_ID_LENGTH = 64;
/** Longest redirect ticket a hello may carry (characters). */
export const MAX_TICKET_LENGTH = 2048;

/** `hello` as decoded and validated. */
export interface HelloMsg {
  type: 1;
  version: number;
  worldId: string;
  name: string;
  token: string;
  resumeToken: string | null;
  /** Redirect ticket from a `redirect` message (element 6, optional), or null. */
  ticket: string | null;
}
/** `input`: movement is a direction whose length is clamped to 1 (x east, y north). */
export interface InputMsg {
  type: 2;
  seq: number;
  moveX: number;
  moveY: number;
  actions: number;
}
export interface PingMsg {
  type: 3;
  /** Client's clock (any unit; echoed back). */
  clientTime: number;
}
/** `purchase`: buy `quantity` of `item` at the unit price the client saw; `key` makes it idempotent. */
export interface PurchaseMsg {
  type: 4;
  /** Idempotency key chosen by the client (1-128 printable ASCII); the same key always gets the original result. */
  key: string;
  item: string;
  quantity: number;
  expectedPrice: number;
}
/** `[5, name, payload]`: a message the game defined (validated against its schema by the server). */
export interface GameMsg {
  type: 5;
  name: string;
  payload: unknown;
}
/** Longest game message name (characters). */
export const MAX_MESSAGE_NAME_LENGTH = 64;
/**
 * Deepest nesting of arrays and maps in a game message's payload (levels; a scalar payload is 0).
 * Deeper is refused `BAD_FIELD` at the edge: msgpackr decodes about 4,000 levels, but packing a
 * value fails (stack overflow) from about 1,400 and JSON/structuredClone soon after, so a deep
 * payload a permissive schema accepted could throw wherever it is copied later (the `--record`
 * input log packs every fact on a timer: an uncaught RangeError there ends the process).
 */
export const MAX_GAME_PAYLOAD_DEPTH = 64;
/** `[6]`: leave on purpose (no fields): removed at the next step, never parked; the resume token is dead. */
export interface LeaveMsg {
  type: 6;
}
export type ClientMsg = HelloMsg | InputMsg | PingMsg | PurchaseMsg | GameMsg | LeaveMsg;

/** `welcome` fields. */
export interface WelcomeMsg {
  type: 16;
  sessionId: number;
  playerId: number;
  /** Steps per second of the world. */
  stepRate: number;
  /** World seconds at join. */
  worldTime: number;
  step: number;
  resumeToken: string;
  /** Wire position units per world unit (x_wire = round(x * positionScale)). */
  positionScale: number;
  /** Area-of-interest radius in world units. */
  interestRadius: number;
  /** True when the resume token reattached a parked player. */
  resumed: boolean;
  /**
   * The world's rectangle in world units: positions stay inside (with physics on a player stops at an
   * edge and an NPC turns; with physics off an entity is reflected back: docs/PROTOCOL.md "World
   * edges"). Element 10 on the wire, `[minX, minY, maxX, maxY]`; null when talking to a server that
   * does not send it.
   */
  bounds: WelcomeBounds | null;
  /**
   * The game's custom replicated fields per wire kind (element 11, `[[kind, [[name, scale], ...]], ...]`);
   * null when the game declares none (the default wire).
   */
  fields: ReplicatedKinds | null;
}

/** Custom replicated fields of one wire kind, in wire order (`value = wire / scale`). */
export interface ReplicatedKind {
  names: string[];
  scales: number[];
}
/** Custom replicated fields by wire kind (from `welcome`). */
export type ReplicatedKinds = Map<number, ReplicatedKind>;

/** World rectangle sent in `welcome` (world units). */
export interface WelcomeBounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** One entity's full state on the wire (positions in wire units). */
export interface WireEntity {
  id: number;
  x: number;
  y: number;
  kind: number;
  tier: number;
}

/** `snapshot` as decoded by the client. */
export interface SnapshotMsg {
  type: 17;
  step: number;
  /** World seconds. */
  worldTime: number;
  /** Server wall clock when the step's snapshots began to be sent (Unix epoch milliseconds). */
  sendTime: number;
  /** Last input sequence number applied to this session's player. */
  ack: number;
  /** `[id, x, y, kind, tier]` each. */
  enter: number[][];
  /** `[id, mask, ...changed fields in bit order]` each. */
  update: number[][];
  leave: number[];
}

/**
 * `region` as decoded by the client: one frame shared by every session whose player is in the
 * region cell. `entities` is a superset of each such player's view; the client keeps those within
 * `radius` of its own player, at most `maxEntities` (client view rule, docs/PROTOCOL.md).
 */
export interface RegionMsg {
  type: 24;
  step: number;
  /** World seconds. */
  worldTime: number;
  /** Server wall clock when the step's snapshots began to be sent (Unix epoch milliseconds). */
  sendTime: number;
  /** `[playerId, lastInputSeq, playerId, lastInputSeq, ...]` of the players in the cell. */
  acks: number[];
  /** Region cell index (row-major on the server's region lattice). */
  cell: number;
  /** Interest radius the client filters to (world units). */
  radius: number;
  /** Most entities the client presents (the server's `maxEntitiesPerSession`). */
  maxEntities: number;
  /** `[id, x, y, kind, tier, ...custom fields]` each: the same entry as a snapshot's enter. */
  entities: number[][];
}

export interface EventMsg {
  type: 18;
  /** Intent kind code (tiers issue). */
  kind: number | string;
  npc: number;
  /** World seconds. */
  at: number;
  expiresAt: number;
}

export interface PongMsg {
  type: 19;
  clientTime: number;
  /** Server wall clock, Unix epoch milliseconds. */
  serverTime: number;
}

export interface ErrorMsg {
  type: 20;
  code: string;
  message: string;
}

/** `redirect`: another instance owns the world; reconnect to `url` and send hello with `ticket`. */
export interface RedirectMsg {
  type: 23;
  worldId: string;
  /** Game WebSocket URL of the owner (`ws://host:port`). */
  url: string;
  /** Signed, short-lived ticket to put in the next hello (element 6). */
  ticket: string;
}

/** `txResult`: the answer to a purchase. `status` ok means durably committed and applied. */
export interface TxResultMsg {
  type: 21;
  key: string;
  status: 'ok' | 'rejected';
  /** A TX_* code (docs/PROTOCOL.md) or null when ok. */
  code: string | null;
  /** Ledger sequence number when recorded, else null. */
  seq: number | null;
  item: string | null;
  quantity: number;
  coinsDelta: number;
  /** Coin balance after the transaction, or null when the server could not read it. */
  coins: number | null;
  /** Inventory after the transaction (item id → count), or null. */
  items: Record<string, number> | null;
  /** True when this is the stored result of an earlier request with the same key. */
  replayed: boolean;
}

/** `wallet`: the player's balance (sent after a resume catch-up and after rewards). */
export interface WalletMsg {
  type: 22;
  coins: number;
  items: Record<string, number>;
  /** Highest ledger seq applied. */
  appliedSeq: number;
}

/** `message`: a server message the game defined, sent after the snapshot of step `step` (the step that sent it). */
export interface GameMessageMsg<P = unknown> {
  type: 25;
  step: number;
  name: string;
  payload: P;
}

export type ServerMsg =
  | WelcomeMsg
  | SnapshotMsg
  | RegionMsg
  | EventMsg
  | PongMsg
  | ErrorMsg
  | TxResultMsg
  | WalletMsg
  | RedirectMsg
  | GameMessageMsg;

/** Client → server frame builders (arrays ready for msgpack). */
export const helloFrame = (
  worldId: string,
  name: string,
  token = '',
  resumeToken: string | null = null,
  version = PROTOCOL_VERSION,
  ticket: string | null = null,
): unknown[] =>
  ticket === null
    ? [MsgType.HELLO, version, worldId, name, token, resumeToken]
    : [MsgType.HELLO, version, worldId, name, token, resumeToken, ticket];
export const inputFrame = (seq: number, moveX: number, moveY: number, actions = 0): unknown[] => [
  MsgType.INPUT,
  seq,
  moveX,
  moveY,
  actions,
];
export const pingFrame = (clientTime: number): unknown[] => [MsgType.PING, clientTime];
/** A game-defined message (its payload must match the schema the game declared for `name`). */
export const gameFrame = (name: string, payload: unknown): unknown[] => [MsgType.GAME, name, payload];

/** `[6]`: leave on purpose (valid after `welcome`; the server then closes the socket 1000 `left`). */
export const leaveFrame = (): unknown[] => [MsgType.LEAVE];

export const purchaseFrame = (key: string, item: string, quantity: number, expectedPrice: number): unknown[] => [
  MsgType.PURCHASE,
  key,
  item,
  quantity,
  expectedPrice,
];
