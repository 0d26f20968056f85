/**
 * Connection and session state. A `Conn` exists per socket from upgrade to close; it becomes a
 * session when its `hello` is accepted (it then owns a player entity in one world).
 *
 * What the session last received is kept in typed arrays (bounded by
 * `maxEntitiesPerSession`), so the next snapshot is a delta against what was actually sent,
 * whatever was skipped in between:
 *
 *   known  [ id x y kind|tier<<16 row │ id x y kind|tier<<16 row │ ... ]   count = knownCount
 *
 * one 5-int row per entity (KNOWN_STRIDE): the entity id, the quantized wire values last sent,
 * and the replication cache row it had then (src/net/entity-rows.ts). Rows, not columns: the replicate phase reads a row's id and then its values, so one
 * sequential pass brings every row it will compare into cache.
 */
import type { WebSocket } from '../uws.js';
import type { SessionWorld } from './player-facts.js';
import type { InputFact } from './input.js';
import type { ClientMsg } from './protocol.js';

/** Per-socket state. Wall times are milliseconds (performance.now based). */
export interface Conn {
  /** Server-unique connection/session id (> 0). */
  id: number;
  ws: WebSocket<ConnRef> | null;
  closed: boolean;
  openedAt: number;
  strikes: number;
  /** Token bucket (messages). */
  tokens: number;
  tokensAt: number;
  session: Session | null;
  /** A hello is being resolved against the durable store (a second hello is refused meanwhile). */
  helloPending: boolean;
  /**
   * Status of the last send on this socket (uWS: 1 sent, 0 buffered, 2 dropped; -1 none yet).
   * After a 1 nothing is buffered until the next send, so the replicate loop skips asking uWS.
   */
  lastSend: number;
  /** Close code the server ended this socket with (0 = not ended by the server). */
  endCode: number;
  /**
   * Messages received while `helloPending` (bounded; dispatched once the hello resolved): decoded
   * inputs and purchases, and game messages as a copy of their frame (game-server-wire.ts).
   */
  held: Array<ClientMsg | Uint8Array> | null;
  /**
   * The client's address, decided once at upgrade: the peer's as uWebSockets.js reports it, or
   * the one a trusted proxy forwarded (`net.trustedProxies`, client-address.ts); '' when unknown.
   */
  remoteAddress: string;
  /**
   * The wallet state last sent on this socket (`appliedSeq:coins:items`; '' = none): a state is
   * sent once, though several ledger answers of one batch may report it (world-sessions.ts).
   */
  walletSent: string;
}

/** What uWS stores per socket (its user data): a pointer to our Conn. */
export interface ConnRef {
  conn: Conn;
  /** Key the socket counts under for `net.maxConnectionsPerAddress` ('' = not counted; address-limit.ts). */
  addr: string;
  /** The socket is counted under `addr` (from open to close). */
  counted: boolean;
}

/** A joined session. */
export interface Session {
  conn: Conn;
  worldId: string;
  /** Player entity id; -1 while joining (until the step's ingest phase applies the join). */
  player: number;
  /**
   * Player-table row of `player` as last looked up (components/player-table.ts); trusted only
   * while `Player.eid[playerRow] === player` (saves a Map lookup per snapshot).
   */
  playerRow: number;
  name: string;
  resumeToken: string;
  /** Durable player id (the ledger's `playerId`, src/net/durable-sessions.ts). */
  ledgerId: string;
  /** Highest input sequence number pushed to ingest. */
  lastSeqIn: number;
  interestRadius: number;
  /** Known-set rows (see the file comment): entry k is known[k * KNOWN_STRIDE + 0..3]. */
  known: Int32Array;
  knownCount: number;
  /** Consecutive steps skipped for backpressure. */
  skipped: number;
  /** Set when the session must be closed after the replicate loop (slow consumer). */
  closeCode: number;
  /** Newest input received while joining: pushed to ingest once the player exists. */
  heldInput: InputFact | null;
  /** Session class code (session-priority.ts `SessionClass`), set at join. */
  cls: number;
  /** Wall ms (performance.now) of the last input received; -1 = none yet. */
  lastInputAt: number;
  /** Other players in the session's last view (its crowd level). */
  crowd: number;
  /** Level on the backpressure quality ladder (0 = desired quality .. 4). */
  ladder: number;
  /** Step of the last ladder move. */
  ladderAt: number;
  /** Consecutive clean sends (nothing buffered) since the last step down. */
  ladderCalm: number;
  /** Consecutive steps deferred by the replicate budget (replicate-phase.ts). */
  deferred: number;
  /**
   * Replicate run (`WorldNet.run`) of the session's last snapshot: ids removed after it leave
   * its view at its next snapshot, however many steps it skipped (0 = none sent yet).
   */
  syncRun: number;
  /** World step (clock.step) whose game messages `gameMsgCount` counts: a session's fair share of the buffers (game-messages.ts). */
  gameMsgStep: number;
  gameMsgCount: number;
  /** Position of the player's last durable save (world-sessions.ts `saveLivePositions`). */
  savedX: number;
  savedY: number;
  /** When that save was made (the sweep's clock, performance.now ms); -Infinity = none yet, or it failed. */
  savedAt: number;
}

/** A new connection record (`remoteAddress`: the client's address, see {@link Conn}). */
export const createConn = (id: number, now: number, burst: number, remoteAddress = ''): Conn => ({
  id,
  ws: null,
  closed: false,
  openedAt: now,
  strikes: 0,
  tokens: burst,
  tokensAt: now,
  session: null,
  helloPending: false,
  lastSend: -1,
  endCode: 0,
  held: null,
  remoteAddress,
  walletSent: '',
});

const INITIAL_KNOWN = 16;
const EMPTY_I32 = new Int32Array(0);
/** Ints per known-set row: id, x, y, kind | tier << 16, and its cache row in its last snapshot (replication). */
export const KNOWN_STRIDE = 5;

/** A new session over `conn` (known set empty, grows on demand up to the configured cap). */
export const createSession = (
  conn: Conn,
  worldId: string,
  player: number,
  name: string,
  resumeToken: string,
  interestRadius: number,
  cls = 0,
  ledgerId = '',
): Session => {
  const s: Session = {
    conn,
    worldId,
    player,
    playerRow: 0,
    name,
    resumeToken,
    ledgerId,
    lastSeqIn: 0,
    interestRadius,
    known: EMPTY_I32,
    knownCount: 0,
    skipped: 0,
    closeCode: 0,
    heldInput: null,
    cls,
    lastInputAt: -1,
    crowd: 0,
    ladder: 0,
    ladderAt: -1_000_000,
    ladderCalm: 0,
    deferred: 0,
    syncRun: 0,
    gameMsgStep: -1,
    gameMsgCount: 0,
    savedX: 0,
    savedY: 0,
    savedAt: Number.NEGATIVE_INFINITY,
  };
  allocKnown(s, INITIAL_KNOWN, 0);
  return s;
};

/** Allocate room for `size` known entries, copying the first `count` rows. */
const allocKnown = (s: Session, size: number, count: number): void => {
  const known = new Int32Array(size * KNOWN_STRIDE);
  if (count > 0) known.set(s.known.subarray(0, count * KNOWN_STRIDE));
  s.known = known;
};

/** Make room for `n` known entities (doubling; the caller caps n at maxEntitiesPerSession). */
export const ensureKnown = (s: Session, n: number): void => {
  const size0 = s.known.length / KNOWN_STRIDE;
  if (size0 >= n) return;
  let size = size0 * 2;
  while (size < n) size *= 2;
  allocKnown(s, size, s.knownCount);
};

/** Bytes held by a session's known set. */
export const sessionBytes = (s: Session): number => s.known.byteLength;

/**
 * Take one token from the connection's bucket (refill `rate` per wall second up to `burst`).
 * Returns false when the bucket is empty (the message is rate-limited).
 */
export const takeToken = (c: Conn, now: number, rate: number, burst: number): boolean => {
  const t = c.tokens + ((now - c.tokensAt) * rate) / 1000;
  c.tokens = t > burst ? burst : t;
  c.tokensAt = now;
  if (c.tokens < 1) return false;
  c.tokens -= 1;
  return true;
};

/** A parked player's kept server messages (encoded frames `[25, step, name, payload]`, oldest first; game-backlog.ts). */
export interface AwayBacklog {
  frames: Uint8Array[];
  /** Bytes of `frames`. */
  bytes: number;
}

/** A disconnected player kept for a grace period, resumable with its token. */
export interface Parked {
  /** The world object, not its id: a deleted world's id can be reused by a new world. */
  world: SessionWorld;
  player: number;
  /** Its resume token (the key of the registry's parked table). */
  token: string;
  /** Key of the client address it counts under for `net.maxParkedPerAddress` ('' = not counted: loopback exempt, unknown). */
  addr: string;
  /** Server messages kept for it while away (null until the first one: game-backlog.ts). */
  backlog: AwayBacklog | null;
  /** Durable player id of the parked player. */
  ledgerId: string;
  name: string;
  /** Wall ms (performance.now) after which the player is removed. */
  expiresAt: number;
}
