/**
 * The one check of payloads a game hands the engine to keep (world timers, facts from outside the
 * step): plain JSON data — null, booleans, finite numbers, strings, arrays, plain objects — at most
 * `maxBytes` of JSON text and 32 levels deep, no `"__proto__"` key. Gives the JSON text, so the
 * caller keeps a copy no later change of the caller's object can reach.
 */

/** The JSON text of `v` (and its UTF-8 bytes) if it is plain JSON data within `maxBytes`, else the problem (`tooLarge`: the bound was the problem). */
export const plainJsonText = (
  v: unknown,
  maxBytes: number,
): { ok: true; json: string; bytes: number } | { ok: false; problem: string; tooLarge: boolean } => {
  const tooLarge = `payload is over ${maxBytes} bytes of JSON`;
  let nodes = 0;
  const walk = (x: unknown, depth: number): string | null => {
    if (++nodes > maxBytes) return tooLarge; // every node is at least one byte of JSON
    if (x === null || typeof x === 'boolean' || typeof x === 'string') return null;
    if (typeof x === 'number') return Number.isFinite(x) ? null : 'payload numbers must be finite';
    if (depth > 32) return 'payload is nested deeper than 32 levels';
    if (Array.isArray(x)) {
      for (const e of x) {
        const p = walk(e, depth + 1);
        if (p) return p;
      }
      return null;
    }
    if (typeof x === 'object') {
      const proto: unknown = Object.getPrototypeOf(x);
      if (proto !== Object.prototype && proto !== null) return 'payload objects must be plain objects';
      for (const [k, e] of Object.entries(x)) {
        if (k === '__proto__') return 'payload keys may not be "__proto__"';
        const p = walk(e, depth + 1);
        if (p) return p;
      }
      return null;
    }
    return `payload may not hold a ${typeof x}`;
  };
  const problem = walk(v, 0);
  if (problem) return { ok: false, problem, tooLarge: problem === tooLarge };
  const json = JSON.stringify(v);
  const bytes = Buffer.byteLength(json);
  return bytes > maxBytes ? { ok: false, problem: tooLarge, tooLarge: true } : { ok: true, json, bytes };
};
