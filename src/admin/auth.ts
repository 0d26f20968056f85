/**
 * Bearer-token check for the admin API, in constant time: both sides are hashed with SHA-256
 * first, so `timingSafeEqual` always compares two 32-byte buffers and neither the token's
 * length nor its prefix leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { optionInvalid } from '../errors.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Build a checker for `Authorization` header values (`Bearer <token>`, scheme
 * case-insensitive). Throws `WT_ERR_OPTION_INVALID` for an empty token: an admin API without a
 * token would be open to anyone who can reach the port.
 */
export const createTokenCheck = (token: string): ((authorizationHeader: string) => boolean) => {
  if (typeof token !== 'string' || token.length === 0) throw optionInvalid(['admin token must be a non-empty string']);
  const want = sha256(token);
  return (header) => {
    const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    // Hash even when the header is malformed, so every rejection costs the same.
    const got = sha256(m ? m[1] : '\u0000invalid');
    return timingSafeEqual(want, got) && m !== null;
  };
};
