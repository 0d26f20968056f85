/**
 * All worldtick error codes in one place (fastify's FST_ERR_* style).
 *
 * Every error that leaves a module boundary is a {@link WorldtickError} with a stable string
 * `code`; callers switch on the code, never on the message. Failures inside user systems and
 * jobs are wrapped with `{ cause }` so the original stack survives.
 */

/** Stable error codes. Never renumber or rename: clients, dashboards and tests depend on them. */
export const ErrorCode = {
  CONFIG_INVALID: 'WT_ERR_CONFIG_INVALID',
  OPTION_INVALID: 'WT_ERR_OPTION_INVALID',
  CAPACITY_EXCEEDED: 'WT_ERR_CAPACITY_EXCEEDED',
  ENTITY_NOT_FOUND: 'WT_ERR_ENTITY_NOT_FOUND',
  WORLD_NOT_FOUND: 'WT_ERR_WORLD_NOT_FOUND',
  WORLD_EXISTS: 'WT_ERR_WORLD_EXISTS',
  WORLD_NOT_PAUSED: 'WT_ERR_WORLD_NOT_PAUSED',
  WORLD_FAULTED: 'WT_ERR_WORLD_FAULTED',
  SYSTEM_FAILED: 'WT_ERR_SYSTEM_FAILED',
  QUEUE_FULL: 'WT_ERR_QUEUE_FULL',
  JOB_FAILED: 'WT_ERR_JOB_FAILED',
  JOB_TIMEOUT: 'WT_ERR_JOB_TIMEOUT',
  JOB_UNKNOWN: 'WT_ERR_JOB_UNKNOWN',
  ADMIN_UNAUTHORIZED: 'WT_ERR_ADMIN_UNAUTHORIZED',
  ADMIN_BAD_REQUEST: 'WT_ERR_ADMIN_BAD_REQUEST',
  ADMIN_ROUTE_NOT_FOUND: 'WT_ERR_ADMIN_ROUTE_NOT_FOUND',
  ADMIN_METHOD_NOT_ALLOWED: 'WT_ERR_ADMIN_METHOD_NOT_ALLOWED',
  ADMIN_BODY_TOO_LARGE: 'WT_ERR_ADMIN_BODY_TOO_LARGE',
  ADMIN_UNSUPPORTED_MEDIA_TYPE: 'WT_ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE',
  ADMIN_CONFLICT: 'WT_ERR_ADMIN_CONFLICT',
  ADMIN_INTERNAL: 'WT_ERR_ADMIN_INTERNAL',
  NATIVE_MISSING: 'WT_ERR_NATIVE_MISSING',
  PORT_IN_USE: 'WT_ERR_PORT_IN_USE',
  PROTOCOL_BAD_MESSAGE: 'WT_ERR_PROTOCOL_BAD_MESSAGE',
  INGEST_UNKNOWN_TYPE: 'WT_ERR_INGEST_UNKNOWN_TYPE',
  INGEST_TYPE_EXISTS: 'WT_ERR_INGEST_TYPE_EXISTS',
  INGEST_BAD_FACT: 'WT_ERR_INGEST_BAD_FACT',
  INGEST_CRITICAL_FULL: 'WT_ERR_INGEST_CRITICAL_FULL',
  JOB_EXISTS: 'WT_ERR_JOB_EXISTS',
  JOB_REJECTED: 'WT_ERR_JOB_REJECTED',
  TASK_EXISTS: 'WT_ERR_TASK_EXISTS',
  TASK_UNKNOWN: 'WT_ERR_TASK_UNKNOWN',
  BEHAVIOR_INVALID: 'WT_ERR_BEHAVIOR_INVALID',
  /** A worker-pool task was aborted (job timeout or caller's signal). */
  TASK_ABORTED: 'WT_ERR_TASK_ABORTED',
  /** A worker-pool task threw, or its worker thread crashed. */
  WORKER_FAILED: 'WT_ERR_WORKER_FAILED',
  /** The worker pool is closed (shutdown). */
  POOL_CLOSED: 'WT_ERR_POOL_CLOSED',
  /** A tier zone definition was refused (every problem listed). */
  TIER_ZONE_INVALID: 'WT_ERR_TIER_ZONE_INVALID',
  /** No tier zone with that id. */
  TIER_ZONE_NOT_FOUND: 'WT_ERR_TIER_ZONE_NOT_FOUND',
  /** A tier pin request was refused (bad tier or duration). */
  TIER_PIN_INVALID: 'WT_ERR_TIER_PIN_INVALID',
  /** The entity is not a live NPC (pins apply to NPCs only). */
  NPC_NOT_FOUND: 'WT_ERR_NPC_NOT_FOUND',
} as const;

/** Union of every error code string. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

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

/** A bounded queue refused an item. */
export const queueFull = (what: string, capacity: number): WorldtickError =>
  new WorldtickError(ErrorCode.QUEUE_FULL, `${what} is full (capacity ${capacity})`, {
    details: { what, capacity },
  });

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
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  INTERNAL: 'INTERNAL',
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
  SERVER_FULL: 4010,
  SESSION_REPLACED: 4011,
  /** The world this session played in was deleted (admin API). */
  WORLD_CLOSED: 4012,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Activity or interaction-chain definitions were refused; `problems` lists every bad field by path. */
export const behaviorInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.BEHAVIOR_INVALID, `invalid behavior definitions: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });
