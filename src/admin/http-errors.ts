/**
 * Admin HTTP errors: factories for the admin's own codes and the mapping from every
 * worldtick error code to an HTTP status. Error bodies are JSON `{ code, message, details? }`.
 */
import { ErrorCode, WorldtickError, type ErrorCodeValue } from '../errors.js';

/** HTTP status per error code; codes not listed map to 500. */
export const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCodeValue, number>>> = {
  [ErrorCode.ADMIN_BAD_REQUEST]: 400,
  [ErrorCode.CONFIG_INVALID]: 400,
  [ErrorCode.OPTION_INVALID]: 400,
  [ErrorCode.CAPACITY_EXCEEDED]: 400,
  [ErrorCode.CONFIG_KEY_CONFLICT]: 400,
  [ErrorCode.TASK_UNKNOWN]: 404,
  [ErrorCode.TASK_EXISTS]: 409,
  [ErrorCode.TASK_BUILTIN]: 409,
  [ErrorCode.CONFIG_VERSION_STALE]: 409,
  [ErrorCode.ADMIN_UNAUTHORIZED]: 401,
  [ErrorCode.ADMIN_ROUTE_NOT_FOUND]: 404,
  [ErrorCode.WORLD_NOT_FOUND]: 404,
  [ErrorCode.ADMIN_METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.WORLD_EXISTS]: 409,
  [ErrorCode.WORLD_NOT_PAUSED]: 409,
  [ErrorCode.WORLD_FAULTED]: 409,
  [ErrorCode.WORLD_NOT_DURABLE]: 503,
  [ErrorCode.ADMIN_CONFLICT]: 409,
  [ErrorCode.ADMIN_BODY_TOO_LARGE]: 413,
  [ErrorCode.ADMIN_UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.TIER_ZONE_INVALID]: 400,
  [ErrorCode.TIER_PIN_INVALID]: 400,
  [ErrorCode.TIER_ZONE_NOT_FOUND]: 404,
  [ErrorCode.NPC_NOT_FOUND]: 404,
  [ErrorCode.PLAYER_DATA_NOT_FOUND]: 404,
  [ErrorCode.PLAYER_DATA_UNAVAILABLE]: 503,
  [ErrorCode.PLAYER_DATA_UNREADABLE]: 409,
  [ErrorCode.PLAYER_NOT_CONNECTED]: 404,
  [ErrorCode.PLAYER_LEAVING]: 409,
};

/** The HTTP status for an error thrown by a route (500 for anything uncoded). */
export const statusOf = (err: unknown): number => (err instanceof WorldtickError ? (STATUS_BY_CODE[err.code] ?? 500) : 500);

/** Longest error `message` sent (characters); the rest is cut with a count. */
export const MAX_ERROR_MESSAGE = 1000;
/** Most `details.problems` entries sent (then one line counting the rest), each cut at {@link MAX_PROBLEM_LENGTH}. */
export const MAX_ERROR_PROBLEMS = 100;
export const MAX_PROBLEM_LENGTH = 300;

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n)}… (${s.length - n} more characters)`);

/**
 * Bound what an error echoes of a request: validators list every problem, and a 64 KiB body of
 * thousands of bad keys or zones made a 400 of megabytes (the message joins the problems too).
 */
const boundDetails = (details: unknown): unknown => {
  if (typeof details !== 'object' || details === null || !Array.isArray((details as { problems?: unknown }).problems)) return details;
  const problems = (details as { problems: unknown[] }).problems;
  const kept = problems.slice(0, MAX_ERROR_PROBLEMS).map((p) => (typeof p === 'string' ? clip(p, MAX_PROBLEM_LENGTH) : p));
  if (problems.length > MAX_ERROR_PROBLEMS) kept.push(`…and ${problems.length - MAX_ERROR_PROBLEMS} more problems`);
  return { ...details, problems: kept };
};

/**
 * The JSON error body for a thrown error; internal errors never leak their message. Bounded: the
 * message is cut at {@link MAX_ERROR_MESSAGE} characters and `details.problems` at
 * {@link MAX_ERROR_PROBLEMS} entries of {@link MAX_PROBLEM_LENGTH} characters.
 */
export const errorBody = (err: unknown): { code: string; message: string; details?: unknown } => {
  if (err instanceof WorldtickError && statusOf(err) < 500) {
    const message = clip(err.message, MAX_ERROR_MESSAGE);
    return err.details === undefined ? { code: err.code, message } : { code: err.code, message, details: boundDetails(err.details) };
  }
  if (err instanceof WorldtickError) return { code: err.code, message: err.message };
  return { code: ErrorCode.ADMIN_INTERNAL, message: 'internal error (see the server log)' };
};

/** 400: the request is malformed; `problems` lists every issue. */
export const badRequest = (message: string, problems?: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_BAD_REQUEST, message, problems ? { details: { problems: [...problems] } } : undefined);

/** 401: missing or wrong bearer token. */
export const unauthorized = (): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_UNAUTHORIZED, 'missing or invalid bearer token (Authorization: Bearer <token>)');

/** 404: no such route. */
export const routeNotFound = (path: string): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_ROUTE_NOT_FOUND, `no route for ${path}`, { details: { path } });

/** 405: the route exists but not for this method; `allow` lists the methods it takes. */
export const methodNotAllowed = (method: string, path: string, allow: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_METHOD_NOT_ALLOWED, `${method} is not allowed on ${path} (allowed: ${allow.join(', ')})`, {
    details: { allow: [...allow] },
  });

/** 413: the request body is larger than the limit (bytes). */
export const bodyTooLarge = (limitBytes: number): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_BODY_TOO_LARGE, `request body exceeds ${limitBytes} bytes`, { details: { limitBytes } });

/**
 * 415: a request body that does not parse as JSON, sent without a JSON content type. The message
 * says both, with the parse error: most often it is JSON with a typo sent by `curl -d` (form type).
 */
export const unsupportedMediaType = (contentType: string, parseError: string): WorldtickError =>
  new WorldtickError(
    ErrorCode.ADMIN_UNSUPPORTED_MEDIA_TYPE,
    `request body is not valid JSON (${parseError.slice(0, 120)}) and was not sent as application/json (got ${JSON.stringify(contentType.slice(0, 100))}): send a JSON body`,
  );

/** 409: the request conflicts with the current state (e.g. deleting the default world). */
export const conflict = (message: string, details?: unknown): WorldtickError =>
  new WorldtickError(ErrorCode.ADMIN_CONFLICT, message, details === undefined ? undefined : { details });
