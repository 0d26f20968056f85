/**
 * worldtick — the package's client entry (browser-safe: no Node-only imports). A game client
 * connects, joins a world, sends movement input and the game's own messages, and keeps a local
 * view of nearby entities, custom replicated fields included (docs/GAME-API.md, docs/PROTOCOL.md).
 */
export {
  WorldtickClient,
  type ClientOptions,
  type ClientStats,
  type LatencySink,
  type WebSocketCtor,
  type WebSocketLike,
} from './client.js';
export { DEFAULT_CLOSE_TIMEOUT_MS } from './close-bound.js';
export { reconnectAdvice, type ReconnectAdvice } from './reconnect.js';
export { applyRegion, applySnapshot, createView, type EntityView, type ViewChange, type ViewEntity, viewChange } from './view.js';
export {
  CloseCode,
  EntityField,
  gameFrame,
  helloFrame,
  inputFrame,
  leaveFrame,
  MsgType,
  pingFrame,
  PLAYER_KIND,
  PROTOCOL_VERSION,
  WireErrorCode,
  type ErrorMsg,
  type EventMsg,
  type GameMessageMsg,
  type PongMsg,
  type ReplicatedKind,
  type ReplicatedKinds,
  type ServerMsg,
  type SnapshotMsg,
  type RegionMsg,
  type RedirectMsg,
  type TxResultMsg,
  type WalletMsg,
  type WelcomeMsg,
  type WireErrorCodeValue,
} from '../net/protocol.js';
export { ErrorCode, isWorldtickError, WorldtickError, type ErrorCodeValue } from '../errors.js';
export { parseServerFrame } from '../net/protocol-parse.js';
