/**
 * Which of two accepted secrets a presented value matches, in constant time: the rotation helper
 * shared by the redirect tickets (`--cluster-secret-previous`, src/cluster/ticket.ts) and the admin
 * bearer token (`--admin-token-previous`, src/admin/auth.ts). During a rotation the current secret and an
 * accept-only previous one are both valid; the caller counts a `previous` match so operators can
 * tell when nobody uses the old one any more.
 */
import { timingSafeEqual } from 'node:crypto';

/** Which accepted secret matched: the one in force, or the accept-only previous one. */
export type SecretMatch = 'current' | 'previous';

const same = (given: Buffer, expected: Buffer): boolean =>
  // Lengths are public (callers compare digests of fixed length); the comparison itself is constant-time.
  given.length === expected.length && timingSafeEqual(given, expected);

/**
 * Compares `given` with `current` and, when not null, with `previous`, always both (the time taken
 * does not tell which one matched); null when neither does. Pass digests (a MAC, a SHA-256 hash),
 * never the secrets' text, so lengths say nothing.
 */
export const matchSecret = (given: Buffer, current: Buffer, previous: Buffer | null): SecretMatch | null => {
  const c = same(given, current);
  const p = previous !== null && same(given, previous);
  return c ? 'current' : p ? 'previous' : null;
};
