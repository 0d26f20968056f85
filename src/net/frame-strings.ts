/**
 * Byte-level check of the strings in a client frame (src/net/codec.ts).
 *
 * msgpackr decodes a str whose bytes are not valid UTF-8 without complaint, each bad byte
 * becoming U+FFFD: `a\xc1b` and `a\xc2b` would both be the string `a\uFFFDb`, so two different
 * purchase keys a client sent would be one idempotency key (the second answered as a replay of
 * the first). The decoded string cannot tell, so the raw bytes are walked once: every str (map
 * keys included, at any depth) must be valid UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF: `buffer.isUtf8`).
 *
 * The walk reads plain msgpack only. msgpackr's decoder also accepts its own extensions — record
 * definitions (`d4 72 …`, after which 0x40..0x7f are record references, not integers) and bundled
 * strings (`d6 62 …` with 0xc1 references) — which would carry strings this walk cannot see, and
 * any extension changes how the bytes after it read. So a frame holding an extension (ext 8/16/32,
 * fixext) or 0xc1 anywhere is reported as not plain — except `d4 00 00`, which msgpackr reads as
 * `undefined` (a missing value).
 *
 * Run on frames that carry strings (hello, purchase, game messages): the payload limit (1024 bytes
 * by default) bounds the walk; input and ping frames are not walked.
 */
import { isUtf8 } from 'node:buffer';

/** What {@link checkFrameStrings} found. */
export type FrameStringsResult =
  | { ok: true }
  /** A str with invalid UTF-8 inside the top-level array's element `element` (0 is the type code, 1 the first field). */
  | { ok: false; problem: 'utf8'; element: number }
  /** An extension type or 0xc1 inside element `element` (also 0 when the frame itself is not a plain array). */
  | { ok: false; problem: 'extension'; element: number };

const OK: FrameStringsResult = { ok: true };

/**
 * Walk `bytes` (one msgpack value, already decoded successfully by msgpackr) and report the first
 * top-level element holding a str that is not valid UTF-8, or an extension. Iterative (a frame is
 * at most the payload limit; nesting depth costs no stack). Bytes past the end are treated as
 * plain: msgpackr refused such a frame already.
 */
export const checkFrameStrings = (bytes: Uint8Array): FrameStringsResult => {
  const n = bytes.length;
  let p = 0;
  // The top level must be a plain array: its elements are the fields.
  const head = bytes[0];
  let top: number;
  if (head >= 0x90 && head <= 0x9f) {
    top = head & 0x0f;
    p = 1;
  } else if (head === 0xdc) {
    top = (bytes[1] << 8) | bytes[2];
    p = 3;
  } else if (head === 0xdd) {
    top = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
    p = 5;
  } else {
    return { ok: false, problem: 'extension', element: 0 };
  }
  for (let element = 0; element < top && p < n; element++) {
    // Values left to read in this element (a container adds its children).
    let pending = 1;
    while (pending > 0 && p < n) {
      pending--;
      const b = bytes[p++];
      let strLen = -1;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if (b <= 0x8f) pending += (b & 0x0f) * 2;
      else if (b <= 0x9f) pending += b & 0x0f;
      else if (b <= 0xbf) strLen = b & 0x1f;
      else if (b === 0xd9) strLen = bytes[p++];
      else if (b === 0xda) {
        strLen = (bytes[p] << 8) | bytes[p + 1];
        p += 2;
      } else if (b === 0xdb) {
        strLen = ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
        p += 4;
      } else if (b === 0xc4) p += 1 + bytes[p];
      else if (b === 0xc5) p += 2 + ((bytes[p] << 8) | bytes[p + 1]);
      else if (b === 0xc6) p += 4 + (((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0);
      else if (b === 0xca) p += 4;
      else if (b === 0xcb) p += 8;
      else if (b >= 0xcc && b <= 0xd3) p += 1 << (b & 0x03);
      else if (b === 0xdc) {
        pending += (bytes[p] << 8) | bytes[p + 1];
        p += 2;
      } else if (b === 0xdd) {
        pending += ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
        p += 4;
      } else if (b === 0xde) {
        pending += ((bytes[p] << 8) | bytes[p + 1]) * 2;
        p += 2;
      } else if (b === 0xdf) {
        pending += (((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0) * 2;
        p += 4;
      } else if (b === 0xd4 && bytes[p] === 0 && bytes[p + 1] === 0) {
        // `d4 00 00`: msgpackr's `undefined`, a missing value (docs/PROTOCOL.md), no strings in it.
        p += 2;
      } else {
        // 0xc1, ext 8/16/32 (0xc7..0xc9), fixext (0xd4..0xd8).
        return { ok: false, problem: 'extension', element };
      }
      if (strLen >= 0) {
        const end = p + strLen;
        if (end > n) break;
        // ASCII needs no check (most strings: keys, items, names); a native call costs ~100 ns.
        let i = p;
        while (i < end && bytes[i] < 0x80) i++;
        if (i < end && !isUtf8(bytes.subarray(i, end))) return { ok: false, problem: 'utf8', element };
        p = end;
      }
    }
  }
  return OK;
};
