/**
 * A value as shown in a problem message (a damaged log's, a JavaScript caller's): a number or a bigint
 * (msgpack decodes a 64-bit integer to one) as its digits, anything else as its JSON (bigints inside as
 * digits), cut at `max` characters. Never throws: a bigint (JSON.stringify throws) or an object whose
 * `toString` is no function (a template string throws) must still come out in a coded refusal.
 */
export const shown = (v: unknown, max = 40): string => {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v).slice(0, max); // NaN and Infinity as such, not JSON's null
  try {
    const json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    return json === undefined ? typeof v : json.slice(0, max);
  } catch {
    return typeof v;
  }
};

/**
 * A file path as shown in a message: as given, or as its JSON where it would not read as a path —
 * empty, blanks at either end, or a control character (`--out " "` was shown as a blank before
 * "exists").
 */
export const shownPath = (p: string): string => {
  let plain = p !== '' && p === p.trim();
  for (let i = 0; plain && i < p.length; i++) {
    const c = p.charCodeAt(i);
    plain = c >= 0x20 && c !== 0x7f;
  }
  return plain ? p : JSON.stringify(p);
};
