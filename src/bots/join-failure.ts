/**
 * Why a bot's join failed, as a short key the report counts (`joinFailuresByReason`): the wire
 * error code of a refused hello (`MAINTENANCE`, `UNKNOWN_WORLD`, `WORLD_FULL`, ...), `close <code>`
 * when the socket closed first, `timeout`, `connect` (no connection), or `other`.
 */

/** The reason key of a join error thrown by `WorldtickClient.connect/join` or `LightBot.join`. */
export const joinFailureReason = (err: unknown): string => {
  const msg = err instanceof Error ? err.message : String(err);
  const refused = /^hello refused: ([A-Z][A-Z0-9_]*)/.exec(msg);
  if (refused?.[1]) return refused[1];
  if (msg.startsWith('hello refused: more than')) return 'redirects';
  const closed = /^closed(?: before open)? \((\d+)\)/.exec(msg);
  if (closed?.[1]) return `close ${closed[1]}`;
  if (/timed out/.test(msg)) return 'timeout';
  if (msg.startsWith('could not connect')) return 'connect';
  return 'other';
};
