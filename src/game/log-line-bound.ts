/**
 * The size bound of a game log line (src/game/game-log.ts): a line's message and fields, measured
 * as the JSON pino writes, at most {@link GAME_LOG_MAX_LINE_BYTES}. A line over it is written cut,
 * with a marker, never dropped: the message to its first half, the fields kept in order while they
 * fit the other half, and a `logTruncated` field saying what was cut.
 *
 *   { ...fields, msg }  ──measure──►  ≤ bound? ──yes──► written as given
 *                                        │ no
 *                                        ▼
 *   { kept fields, logTruncated: { bytes, dropped, fields: [first names] } }, msg cut + "… [truncated]"
 */

/** Most bytes of a game log line's message and fields (UTF-8 of their JSON); the server's own fields come on top. */
export const GAME_LOG_MAX_LINE_BYTES = 8192;

/** What a cut message ends with. */
export const TRUNCATED_SUFFIX = '… [truncated]';

const MSG_MAX = GAME_LOG_MAX_LINE_BYTES / 2;
/** The fields' half, less room for the `logTruncated` marker (8 names of ≤ 32 characters). */
const FIELDS_MAX = GAME_LOG_MAX_LINE_BYTES / 2 - 512;
const NAMES_LISTED = 8;

/**
 * UTF-8 bytes of `v` as JSON the way a log line holds it: an Error as its name, message, stack,
 * cause and own fields, a bigint as its digits, a cycle as a short string. Infinity when it cannot
 * be serialized at all (a throwing `toJSON` or getter).
 */
const jsonBytes = (v: unknown): number => {
  const seen = new WeakSet<object>();
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (x instanceof Error) return { ...x, type: x.name, message: x.message, stack: x.stack, cause: x.cause };
      if (typeof x === 'object' && x !== null) {
        if (seen.has(x)) return '[Circular]';
        seen.add(x);
      }
      return x;
    });
    return s === undefined ? 0 : Buffer.byteLength(s);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/** `s` cut to at most `max` UTF-8 bytes (never inside a surrogate pair). */
const cutText = (s: string, max: number): string => {
  let t = s.length > max ? s.slice(0, max) : s;
  while (Buffer.byteLength(t) > max) t = t.slice(0, Math.floor(t.length * 0.9));
  return /[\ud800-\udbff]$/.test(t) ? t.slice(0, -1) : t;
};

/** A line as written: its fields (undefined: none) and message. */
export interface BoundedLine {
  fields: object | undefined;
  msg: string | undefined;
  /** Whether it was cut. */
  truncated: boolean;
}

/**
 * The line to write for `fields` and `msg` (as game code passed them; an Error as `fields` is pino's
 * `err`): unchanged when within {@link GAME_LOG_MAX_LINE_BYTES}, else cut with a marker.
 */
export const boundLine = (fields: object | undefined, msg: string | undefined): BoundedLine => {
  const msgBytes = msg === undefined ? 0 : Buffer.byteLength(msg);
  // A plain string line is measured without serializing anything.
  if (fields === undefined && msgBytes <= GAME_LOG_MAX_LINE_BYTES) return { fields, msg, truncated: false };
  const entries: [string, unknown][] = fields === undefined ? [] : fields instanceof Error ? [['err', fields]] : Object.entries(fields);
  const sizes = entries.map(([k, v]) => Buffer.byteLength(JSON.stringify(k)) + 2 + jsonBytes(v));
  let total = msgBytes;
  for (const n of sizes) total += n;
  if (total <= GAME_LOG_MAX_LINE_BYTES) return { fields, msg, truncated: false };
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  let used = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const n = sizes[i];
    if (e === undefined || n === undefined) continue;
    if (used + n <= FIELDS_MAX) {
      kept[e[0]] = e[1];
      used += n;
    } else dropped.push(e[0]);
  }
  const cutMsg = msg !== undefined && msgBytes > MSG_MAX ? cutText(msg, MSG_MAX) + TRUNCATED_SUFFIX : msg;
  kept.logTruncated = {
    bytes: Number.isFinite(total) ? total : null,
    dropped: dropped.length,
    fields: dropped.slice(0, NAMES_LISTED).map((k) => cutText(k, 32)),
  };
  return { fields: kept, msg: cutMsg, truncated: true };
};
