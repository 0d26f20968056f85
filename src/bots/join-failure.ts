/**
 * Why a bot's join failed, as a short key the report counts (`joinFailuresByReason`): the wire
 * error code of a refused hello (`MAINTENANCE`, `UNKNOWN_WORLD`, `WORLD_FULL`, ...), `close <code>`
 * when the socket closed first, `http <status>` when the upgrade was refused (503: the server is at
 * its connection cap), `timeout`, `connect` (no connection), or `other`.
 */

/** The reason key of a join error thrown by `WorldtickClient.connect/join` or `LightBot.join`. */
export const joinFailureReason = (err: unknown): string => {
  const msg = err instanceof Error ? err.message : String(err);
  const refused = /^hello refused: ([A-Z][A-Z0-9_]*)/.exec(msg);
  if (refused?.[1]) return refused[1];
  if (msg.startsWith('hello refused: more than')) return 'redirects';
  const closed = /^closed(?: before open)? \((\d+)\)/.exec(msg);
  if (closed?.[1]) return `close ${closed[1]}`;
  // An upgrade refused with an HTTP status (503: the server is at its connection cap), raw transport or ws package.
  const http = /upgrade refused: HTTP\/1\.\d (\d{3})|Unexpected server response: (\d{3})/.exec(msg);
  if (http) return `http ${http[1] ?? http[2]}`;
  if (/timed out/.test(msg)) return 'timeout';
  if (msg.startsWith('could not connect')) return 'connect';
  return 'other';
};
