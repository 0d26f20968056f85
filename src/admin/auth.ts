/**
 * Bearer-token check for the admin API, in constant time: both sides are hashed with SHA-256
 * first, so `timingSafeEqual` always compares 32-byte buffers and neither the token's length nor
 * its prefix leaks through response timing.
 *
 * A rotation of the token (`--admin-token-previous`, docs/ADMIN.md "Rotating the admin token")
 * gives the check an accept-only previous token: both are compared, always both
 * (src/secret-match.ts, shared with the redirect tickets' `--cluster-secret-previous`), and the
 * check says which one matched so the server can count the previous one's use.
 */
import { createHash } from 'node:crypto';
import { optionInvalid } from '../errors.js';
import type { Logger } from '../log.js';
import { matchSecret, type SecretMatch } from '../secret-match.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Build a matcher for `Authorization` header values (`Bearer <token>`, scheme case-insensitive):
 * which token the header carries (`current`, or `previous` when `previousToken` is given and
 * matches), or null. Throws `WT_ERR_OPTION_INVALID` for an empty token: an admin API without a
 * token would be open to anyone who can reach the port. `previousToken` '' or absent: none.
 */
export const createTokenMatch = (token: string, previousToken = ''): ((authorizationHeader: string) => SecretMatch | null) => {
  if (typeof token !== 'string' || token.length === 0) throw optionInvalid(['admin token must be a non-empty string']);
  const want = sha256(token);
  const previous = previousToken ? sha256(previousToken) : null;
  return (header) => {
    const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    // Hash even when the header is malformed, so every rejection costs the same.
    const which = matchSecret(sha256(m ? m[1] : '\u0000invalid'), want, previous);
    return m === null ? null : which;
  };
};

/**
 * {@link createTokenMatch} as a yes/no check: true for the current token or the previous one, and
 * then `onPrevious` is called (the admin server counts it: `worldtick_admin_previous_token_total`).
 */
export const createTokenCheck = (
  token: string,
  previousToken = '',
  onPrevious?: () => void,
): ((authorizationHeader: string) => boolean) => {
  const match = createTokenMatch(token, previousToken);
  return (header) => {
    const which = match(header);
    if (which === 'previous') onPrevious?.();
    return which !== null;
  };
};

/** What {@link announceAdmin} tells. */
export interface AdminAnnouncement {
  readonly logger: Logger;
  /** The dashboard URL (`http://host:port/`). */
  readonly url: string;
  readonly token: string;
  /** The token was generated at start: printed once on stderr, never logged. */
  readonly generated: boolean;
  /** `--admin-token-previous` is given (a rotation in progress). */
  readonly previous: boolean;
  /** Print the dashboard URL line on stderr. */
  readonly print: boolean;
}

/**
 * The `admin listening` info line and the dashboard line on stderr. The token never goes into the
 * log (logs are shipped to collectors): a generated one is printed once, to stderr, as plain lines
 * for the person who started the server. The same message text either way (operators grep for
 * it); the accepted tokens are named in `adminTokens` during a rotation, never their text.
 */
export const announceAdmin = (a: AdminAnnouncement): void => {
  if (a.generated) {
    a.logger.info({ url: a.url, tokenGenerated: true, hint: 'set WORLDTICK_ADMIN_TOKEN to choose one' }, 'admin listening');
    if (a.print) process.stderr.write(`worldtick admin: dashboard ${a.url}#token=${a.token}\nworldtick admin: token ${a.token}\n`);
    return;
  }
  const tokens = a.previous ? { adminTokens: ['--admin-token', '--admin-token-previous (accept only)'] } : {};
  a.logger.info({ url: a.url, ...tokens }, 'admin listening');
  if (a.print) process.stderr.write(`worldtick admin: dashboard ${a.url} (token from WORLDTICK_ADMIN_TOKEN / --admin-token)\n`);
};

/**
 * Problems of the admin tokens: neither may contain whitespace; `--admin-token-previous` (none
 * when it is '') needs `--admin-token` (a generated token has no previous one) and must differ from it.
 */
export const adminTokenProblems = (o: { readonly adminToken: string; readonly adminTokenPrevious: string }): string[] => {
  // A bearer token is one run of non-space characters (the header check above): one with a space,
  // tab or newline in it (a config file's trailing newline, say) could never be presented.
  const spaced = (['adminToken', 'adminTokenPrevious'] as const)
    .filter((k) => /\s/.test(o[k]))
    .map(
      (k) =>
        `--${k === 'adminToken' ? 'admin-token' : 'admin-token-previous'} must not contain whitespace (a bearer token is one word: it could never be presented)`,
    );
  if (spaced.length) return spaced;
  if (!o.adminTokenPrevious) return [];
  if (!o.adminToken)
    return [
      '--admin-token-previous needs --admin-token (or WORLDTICK_ADMIN_TOKEN): it is the token accepted besides the given one during a rotation',
    ];
  if (o.adminTokenPrevious === o.adminToken)
    return ['--admin-token-previous must differ from --admin-token (the token being rotated out, or in)'];
  return [];
};
