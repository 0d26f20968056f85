/**
 * All worldtick error codes in one place (fastify's FST_ERR_* style): the list is in `error-codes.ts`;
 * the codes clients and games receive as values (wire, close, transaction and player-data codes) are
 * in `wire-codes.ts`; both re-exported here.
 *
 * Every error that leaves a module boundary is a {@link WorldtickError} with a stable string
 * `code`; callers switch on the code, never on the message. Failures inside user systems and
 * jobs are wrapped with `{ cause }` so the original stack survives.
 */

export {
  CloseCode,
  type CloseCodeValue,
  PlayerDataCode,
  type PlayerDataCodeValue,
  TxCode,
  type TxCodeValue,
  WireErrorCode,
  type WireErrorCodeValue,
} from './wire-codes.js';

export { ErrorCode, type ErrorCodeValue } from './error-codes.js';
import { ErrorCode, type ErrorCodeValue } from './error-codes.js';

/** Base class of every error worldtick throws on purpose. */
export class WorldtickError extends Error {
  readonly code: ErrorCodeValue;
  /** Structured details safe to show to an operator or client (never raw decoded input). */
  readonly details: unknown;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorldtickError';
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is a WorldtickError, optionally with the given code. */
export const isWorldtickError = (err: unknown, code?: ErrorCodeValue): err is WorldtickError =>
  err instanceof WorldtickError && (code === undefined || err.code === code);

/** A configuration update or file was refused; `problems` lists every bad field by path. */
export const configInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.CONFIG_INVALID, `invalid configuration: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });

/** A command-line / environment / config-file option was refused. */
export const optionInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.OPTION_INVALID, `invalid options: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });

/** The world has no room for another entity: its stores were sized by `capacity`. */
export const capacityExceeded = (worldId: string, capacity: number): WorldtickError =>
  new WorldtickError(
    ErrorCode.CAPACITY_EXCEEDED,
    `world ${worldId} is full: capacity is ${capacity} entities (raise the world's capacity option)`,
    { details: { worldId, capacity } },
  );

export const worldNotFound = (worldId: string): WorldtickError =>
  new WorldtickError(ErrorCode.WORLD_NOT_FOUND, `no world with id ${JSON.stringify(worldId)}`, {
    details: { worldId },
  });

export const worldExists = (worldId: string): WorldtickError =>
  new WorldtickError(ErrorCode.WORLD_EXISTS, `a world with id ${JSON.stringify(worldId)} already exists`, {
    details: { worldId },
  });

export const worldNotPaused = (worldId: string): WorldtickError =>
  new WorldtickError(ErrorCode.WORLD_NOT_PAUSED, `world ${worldId} must be paused to be stepped`, {
    details: { worldId },
  });

/** A system threw during a step; the world that ran it is faulted, not the process. */
export const systemFailed = (worldId: string, system: string, step: number, cause: unknown): WorldtickError =>
  new WorldtickError(
    ErrorCode.SYSTEM_FAILED,
    `system ${system} failed in world ${worldId} at step ${step}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, details: { worldId, system, step } },
  );

/** A game's world hook (`populate`, `onWorldCreated`) threw while world `worldId` was built. */
export const gameHookFailed = (game: string, hook: string, worldId: string, cause: unknown): WorldtickError =>
  new WorldtickError(
    ErrorCode.GAME_HOOK_FAILED,
    `game ${game}'s ${hook} hook threw for world ${worldId}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, details: { game, hook, worldId } },
  );

/** A bounded queue refused an item. */
export const queueFull = (what: string, capacity: number): WorldtickError =>
  new WorldtickError(ErrorCode.QUEUE_FULL, `${what} is full (capacity ${capacity})`, {
    details: { what, capacity },
  });

/** Activity or interaction-chain definitions were refused; `problems` lists every bad field by path. */
export const behaviorInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.BEHAVIOR_INVALID, `invalid behavior definitions: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });

/** The durable store failed in a way a retry may cure (`reason`: full, readonly, busy, io, connection...). */
export const storeUnavailable = (reason: string, message: string, cause?: unknown): WorldtickError =>
  new WorldtickError(ErrorCode.STORE_UNAVAILABLE, `store unavailable (${reason}): ${message}`, {
    cause,
    details: { reason },
  });

/**
 * The store's database or tables are gone from under the open store (dropped, reset or restored over it while
 * the server runs): `WT_ERR_STORE_UNAVAILABLE` reason `schema`, saying what to do.
 */
export const storeSchemaGone = (message: string, cause: unknown): WorldtickError =>
  storeUnavailable(
    'schema',
    `${message} (the store's database or tables are missing or not this build's: dropped, reset or restored under a running server? stop it; docs/ADMIN.md runbook 8)`,
    cause,
  );

/** A fenced write was refused: `token` is lower than `current`, the highest the store has seen for the world. */
export const storeFenced = (worldId: string, token: number, current: number): WorldtickError =>
  new WorldtickError(
    ErrorCode.STORE_FENCED,
    `write for world ${worldId} refused: fencing token ${token} is stale (store has seen ${current})`,
    { details: { worldId, token, current } },
  );

/** A ledger batch was decided on balances the store has moved past (`players`: whose `last_seq` differs from what the batch expected). */
export const ledgerStale = (players: readonly string[]): WorldtickError =>
  new WorldtickError(
    ErrorCode.LEDGER_STALE,
    `ledger batch decided on stale balances of ${players.length} player(s): another writer committed their entries first`,
    { details: { players: players.slice(0, 20) } },
  );

/** Players of a ledger batch whose balance is damaged beyond a rebuild from their entries (see `ErrorCode.LEDGER_DAMAGED`). */
export const ledgerDamaged = (players: readonly string[]): WorldtickError =>
  new WorldtickError(
    ErrorCode.LEDGER_DAMAGED,
    `ledger batch refused: the balance of ${players.length} player(s) is damaged and their entries sum past an integer`,
    { details: { players: players.slice(0, 20) } },
  );

export const storeMigrationFailed = (message: string, cause?: unknown): WorldtickError =>
  new WorldtickError(ErrorCode.STORE_MIGRATION_FAILED, `store migration failed: ${message}`, { cause });

export const storeClosed = (): WorldtickError => new WorldtickError(ErrorCode.STORE_CLOSED, 'the store is closed');

/** The SQLite store is being restored (see `ErrorCode.STORE_RESTORING`); `message` names the marker and what to do. */
export const storeRestoring = (message: string, details: { marker: string; stale: boolean }): WorldtickError =>
  new WorldtickError(ErrorCode.STORE_RESTORING, `store being restored: ${message}`, { details });

/** An item catalogue was refused; `problems` lists every bad field by path. */
export const catalogueInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.CATALOGUE_INVALID, `invalid item catalogue: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });

/** The coordination backend failed (timeout, connection lost, script error); nothing is known to have changed. */
export const clusterUnavailable = (operation: string, cause: unknown): WorldtickError =>
  new WorldtickError(
    ErrorCode.CLUSTER_UNAVAILABLE,
    `coordinator ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, details: { operation } },
  );

/** A cluster message was refused before it was sent. */
export const clusterMessageInvalid = (reason: string): WorldtickError =>
  new WorldtickError(ErrorCode.CLUSTER_MESSAGE_INVALID, `invalid cluster message: ${reason}`, { details: { reason } });

/** A redirect ticket was refused; `reason` is a short machine-readable word (format, signature, payload). */
export const ticketInvalid = (reason: string): WorldtickError =>
  new WorldtickError(ErrorCode.TICKET_INVALID, `invalid redirect ticket: ${reason}`, { details: { reason } });

/** A redirect ticket expired (`expiresAt` and `now` in wall-clock epoch milliseconds). */
export const ticketExpired = (expiresAt: number, now: number): WorldtickError =>
  new WorldtickError(ErrorCode.TICKET_EXPIRED, `redirect ticket expired ${now - expiresAt} ms ago`, {
    details: { expiresAt, now },
  });

/**
 * A created world could not be made durable; `reason` says which part failed and `cause`, when
 * known, the store's error (it ends the message and is `details.cause`).
 */
export const worldNotDurable = (worldId: string, reason: string, cause?: string | null): WorldtickError =>
  new WorldtickError(
    ErrorCode.WORLD_NOT_DURABLE,
    `world ${JSON.stringify(worldId)} could not be made durable: ${reason}${cause ? `: ${cause}` : ''}`,
    { details: cause ? { worldId, reason, cause } : { worldId, reason } },
  );

/** A game's server → client message was refused (`problem` names the reason); nothing was queued. */
export const gameMessageInvalid = (name: string, problem: string): WorldtickError =>
  new WorldtickError(ErrorCode.GAME_MESSAGE_INVALID, `server message ${JSON.stringify(name)}: ${problem}`, {
    details: { name, problem },
  });
/** A player-data call was refused (see `ErrorCode.PLAYER_DATA_INVALID`); `problems` names each one. */
export const playerDataInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.PLAYER_DATA_INVALID, `invalid player data call: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });

/** A game timer call was refused (see `ErrorCode.TIMER_INVALID`); nothing was scheduled. */
export const timerInvalid = (problem: string): WorldtickError =>
  new WorldtickError(ErrorCode.TIMER_INVALID, `invalid world timer: ${problem}`, { details: { problem } });

/** A world's pending one-shot timers are at their limit (`max`); nothing was scheduled. */
export const timerLimit = (worldId: string, max: number): WorldtickError =>
  new WorldtickError(ErrorCode.TIMER_LIMIT, `world ${JSON.stringify(worldId)} already has ${max} pending timers`, {
    details: { worldId, max, limit: 'count' },
  });

/** A world's pending one-shot payloads would pass `max` bytes of JSON with this one (`bytes`); nothing was scheduled. */
export const timerBytesLimit = (worldId: string, max: number, pending: number, bytes: number): WorldtickError =>
  new WorldtickError(
    ErrorCode.TIMER_LIMIT,
    `world ${JSON.stringify(worldId)}: pending timer payloads hold ${pending} bytes; ${bytes} more would pass ${max}`,
    { details: { worldId, max, limit: 'bytes', pending, bytes } },
  );
/** A `deliverToWorld` call was refused (see `ErrorCode.GAME_FACT_INVALID`); nothing was queued. */
export const gameFactInvalid = (name: string, problem: string): WorldtickError =>
  new WorldtickError(ErrorCode.GAME_FACT_INVALID, `invalid game fact ${JSON.stringify(name.slice(0, 64))}: ${problem}`, {
    details: { name: name.slice(0, 64), problem },
  });

/** A `setWorldData` value refused as not plain JSON data (or the world has no game); nothing changed. */
export const worldDataInvalid = (worldId: string, problem: string): WorldtickError =>
  new WorldtickError(ErrorCode.WORLD_DATA_INVALID, `invalid world data of world ${JSON.stringify(worldId)}: ${problem}`, {
    details: { worldId, problem },
  });

/** A `setWorldData` value over `max` bytes of JSON (`bytes`, when measured); nothing changed. */
export const worldDataTooLarge = (worldId: string, max: number, bytes?: number): WorldtickError =>
  new WorldtickError(ErrorCode.WORLD_DATA_TOO_LARGE, `world data of world ${JSON.stringify(worldId)} is over ${max} bytes of JSON`, {
    details: { worldId, max, ...(bytes !== undefined ? { bytes } : {}) },
  });

/** A checkpoint whose game data this game's definition cannot hold (see `ErrorCode.CHECKPOINT_INCOMPATIBLE`). */
export const checkpointIncompatible = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(
    ErrorCode.CHECKPOINT_INCOMPATIBLE,
    `checkpoint does not fit this version of the game: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}; ` +
      'nothing of it was loaded: run the version of the game that wrote it, or change this version\'s definition (docs/GAME-API.md "Shipping a new version of your game")',
    { details: { problems: [...problems] } },
  );

/** A stored world record that cannot run its world (see `ErrorCode.WORLD_RECORD_UNUSABLE`): `problem` says why. */
export const worldRecordUnusable = (worldId: string, problem: string): WorldtickError =>
  new WorldtickError(
    ErrorCode.WORLD_RECORD_UNUSABLE,
    `the stored record of world ${JSON.stringify(worldId)} cannot be used (${problem}): the world is not started; ` +
      'its record and checkpoints are left as they are: mend the record or restore the store from a backup',
    { details: { worldId, problem } },
  );

/** A checkpoint written by a newer build (see `ErrorCode.CHECKPOINT_TOO_NEW`): its `what` is `found`, this build knows `known`. */
export const checkpointTooNew = (what: 'schema' | 'format', found: number, known: number): WorldtickError =>
  new WorldtickError(
    ErrorCode.CHECKPOINT_TOO_NEW,
    `checkpoint written by a newer build: snapshot ${what} ${found}, this build knows up to ${known}; run a build that knows ${what} ${found}`,
    { details: { what, found, known } },
  );
