/**
 * The codes a client or a game sees as values rather than as thrown errors: the game protocol's
 * wire error codes and WebSocket close codes (docs/PROTOCOL.md), transaction result codes
 * (docs/DURABILITY.md) and player-data result codes (docs/GAME-API.md). Plain data; re-exported
 * by `errors.ts`, where the thrown {@link ErrorCode}s live. Never renamed or renumbered.
 */

/**
 * Wire error codes of the game protocol (the `code` of an `error` message, docs/PROTOCOL.md).
 * Strings so a client in any language can switch on them; never renamed.
 */
export const WireErrorCode = {
  /** Frame is not binary, not msgpack, or not an array whose first element is a known type. */
  BAD_FRAME: 'BAD_FRAME',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  /** A field is missing or has the wrong msgpack type. */
  BAD_FIELD: 'BAD_FIELD',
  /** A field has the right type but a value outside its documented range. */
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  NOT_JOINED: 'NOT_JOINED',
  ALREADY_JOINED: 'ALREADY_JOINED',
  BAD_VERSION: 'BAD_VERSION',
  UNKNOWN_WORLD: 'UNKNOWN_WORLD',
  WORLD_FULL: 'WORLD_FULL',
  /** The world (or the runtime) is in maintenance: new sessions are refused, existing players stay. */
  MAINTENANCE: 'MAINTENANCE',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  INTERNAL: 'INTERNAL',
  /** Cluster: the hello's redirect ticket was not signed by the cluster, expired, or names another instance or world. */
  BAD_TICKET: 'BAD_TICKET',
  /** Cluster: this instance cannot prove it owns the world right now (no lease, or Redis unreachable); retry later. */
  NOT_OWNER: 'NOT_OWNER',
  /** The resume token is unknown, expired, of another world or of another player: the client joined as a new player. */
  RESUME_REFUSED: 'RESUME_REFUSED',
  /** The durable session store could not be reached: retry the hello later (socket closed 1013). */
  UNAVAILABLE: 'UNAVAILABLE',
  /** The game's `authenticate` hook refused the hello (socket closed 4017); nothing was created or stored. */
  AUTH_REFUSED: 'AUTH_REFUSED',
  /**
   * The hello would create a new player identity and its address created `net.maxNewPlayersPerAddressPerMinute`
   * already (socket closed 4018, no strike); nothing was created or stored. Resumes are not limited.
   */
  NEW_PLAYER_LIMITED: 'NEW_PLAYER_LIMITED',
  /**
   * The game's `authenticate` hook refused `net.maxAuthFailuresPerAddressPerMinute` hellos from the
   * client's address lately: this hello is refused without asking the hook (socket closed 4019, no
   * strike); nothing was created or stored. Retry later.
   */
  AUTH_LIMITED: 'AUTH_LIMITED',
  /**
   * A game message from a camera session (a `spectator` or `observer` entity, which no other client
   * sees) that its definition does not open to spectators (`spectators: true`): refused, no strike.
   */
  SPECTATOR_REFUSED: 'SPECTATOR_REFUSED',
} as const;
export type WireErrorCodeValue = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** WebSocket close codes the game server uses (4000-4999 private range; docs/PROTOCOL.md). */
export const CloseCode = {
  NORMAL: 1000,
  /** Server shutting down. */
  GOING_AWAY: 1001,
  BAD_VERSION: 4001,
  TOO_MANY_STRIKES: 4002,
  HELLO_TIMEOUT: 4003,
  UNKNOWN_WORLD: 4004,
  SLOW_CONSUMER: 4008,
  WORLD_FULL: 4009,
  /** Reserved, never sent: a full server refuses the WebSocket upgrade with HTTP 503 instead (docs/PROTOCOL.md). */
  SERVER_FULL: 4010,
  SESSION_REPLACED: 4011,
  /** The world this session played in was deleted (admin API). */
  WORLD_CLOSED: 4012,
  /** New session refused: the world or the runtime is in maintenance (admin API); retry later. */
  MAINTENANCE: 4013,
  /** Cluster: another instance owns the world; a `redirect` message preceded the close. */
  REDIRECTED: 4014,
  /** Cluster: this instance lost (or cannot prove) the world's lease; reconnect (you will be redirected to the owner). */
  LEASE_LOST: 4015,
  /** Cluster: the hello's redirect ticket was refused (`BAD_TICKET`). */
  BAD_TICKET: 4016,
  /** A service the hello needs (the durable store) is unavailable: retry later (RFC 6455 "try again later"). */
  TRY_AGAIN: 1013,
  /** The game's `authenticate` hook refused the hello (`AUTH_REFUSED`). */
  AUTH_REFUSED: 4017,
  /** Too many new players from the peer's address this minute (`NEW_PLAYER_LIMITED`): retry later. */
  NEW_PLAYER_LIMITED: 4018,
  /** Too many refused authentications from the client's address lately (`AUTH_LIMITED`): retry later. */
  AUTH_LIMITED: 4019,
  /**
   * The game (`kickPlayer`) or the operator (admin API) ended the session: the player was removed,
   * not parked, and its resume token forgotten. Do not reconnect on your own; the close reason says why.
   */
  KICKED: 4020,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Result codes of a transaction (`purchase` / `reward`), sent to the client in the transaction
 * result (docs/DURABILITY.md). Every rejection changes nothing. Only `TX_UNAVAILABLE` and
 * `TX_RATE_LIMITED` are transient: the client may retry them with the same idempotency key.
 */
export const TxCode = {
  /** The player's ledger balance does not cover price x quantity. Recorded: the same key replays it. */
  INSUFFICIENT_FUNDS: 'TX_INSUFFICIENT_FUNDS',
  /** No such item in the catalogue. */
  UNKNOWN_ITEM: 'TX_UNKNOWN_ITEM',
  /** Quantity is not an integer in 1..maxQuantity (or a reward grants nothing). */
  BAD_QUANTITY: 'TX_BAD_QUANTITY',
  /** The client's expected unit price differs from the catalogue's. */
  PRICE_MISMATCH: 'TX_PRICE_MISMATCH',
  /** Malformed request (idempotency key, player id). */
  BAD_REQUEST: 'TX_BAD_REQUEST',
  /** Too many transactions from this player; retry later with the same key. */
  RATE_LIMITED: 'TX_RATE_LIMITED',
  /** The idempotency key was already used by this player for a different request. */
  KEY_CONFLICT: 'TX_KEY_CONFLICT',
  /** The store could not commit within the deadline; retry with the same key. */
  UNAVAILABLE: 'TX_UNAVAILABLE',
  /**
   * A client's `purchase` frame to a world whose game sells only through its own messages
   * (`defineGame({ clientPurchases: false })`): nothing charged or recorded; buy as the game says.
   */
  CLIENT_PURCHASES_OFF: 'TX_CLIENT_PURCHASES_OFF',
} as const;
export type TxCodeValue = (typeof TxCode)[keyof typeof TxCode];

/**
 * Result codes of player-data calls (`loadPlayerData`, `savePlayerData`, ...; docs/GAME-API.md
 * "Player data"). A refusal changes nothing. Only `PD_UNAVAILABLE` is transient.
 */
export const PlayerDataCode = {
  /**
   * No store (a world outside a server), closing, the queue full, or the store down past the call's
   * retry deadline (a shorter outage is waited out); the result's `reason` says which. Retry later;
   * a save given up on PostgreSQL may have landed (load to see).
   */
  UNAVAILABLE: 'PD_UNAVAILABLE',
  /** The entity is not a player bound to this world's store (removed, not a player, no ledger). */
  NOT_PLAYER: 'PD_NOT_PLAYER',
  /** The save's expected version is not the stored one (another writer saved first): `version` is the current one. Load and retry. */
  VERSION_STALE: 'PD_VERSION_STALE',
  /**
   * A load found a stored value that is not JSON (a damaged row: a flipped bit on disk, a hand edit); `version` is the
   * stored one. Save over it with that version (or delete it): the key works again. Counted; other calls are not affected.
   */
  VALUE_UNREADABLE: 'PD_VALUE_UNREADABLE',
  /** The save would take the player past the per-player limit (total bytes or number of keys). */
  QUOTA_EXCEEDED: 'PD_QUOTA_EXCEEDED',
  /** `updatePlayerData`: the game's `update` threw, or returned a value a save refuses (not JSON data, too large): nothing saved; `problem` says why. */
  UPDATE_FAILED: 'PD_UPDATE_FAILED',
} as const;
export type PlayerDataCodeValue = (typeof PlayerDataCode)[keyof typeof PlayerDataCode];
