/**
 * Signed redirect tickets: when an instance redirects a client to the instance that owns its
 * world, it hands the client a short-lived ticket the target can verify with the cluster's
 * shared secret, proving the redirect was issued by a member of the cluster.
 *
 * Format (ASCII, URL-safe):  `v1.<payload>.<signature>`
 *   payload   = base64url(JSON of {@link TicketPayload})
 *   signature = base64url(HMAC-SHA256(secret, "v1." + payload))
 *
 * Verification checks the signature in constant time before parsing anything, then the
 * payload's shape, then expiry. A ticket is a bearer token valid until `expiresAt`: keep the
 * lifetime short (seconds) and bind it to a player/resume token where there is one.
 *
 * A rotation of the secret (restarted one instance at a time) gives verify an accept-only
 * previous secret: tickets are always signed with the current one; verify accepts either.
 */
import { createHmac } from 'node:crypto';
import { optionInvalid, ticketExpired, ticketInvalid } from '../errors.js';
import { matchSecret, type SecretMatch } from '../secret-match.js';

/** What a ticket asserts. */
export interface TicketPayload {
  readonly worldId: string;
  readonly playerId?: string;
  /** Session resume token the client carries across the redirect. */
  readonly resumeToken?: string;
  /** Instance id (or game URL) the client is sent to; the target checks it is itself. */
  readonly target: string;
  /** Wall-clock epoch milliseconds after which the ticket is refused. */
  readonly expiresAt: number;
}

/** Ticket limits. */
export const TICKET_LIMITS = {
  /** Longest accepted ticket string (bounds the work done on hostile input). */
  maxLength: 2048,
  /** Shortest secret, bytes. */
  minSecretBytes: 16,
  /** Longest string field, characters. */
  maxFieldLength: 256,
} as const;

const VERSION = 'v1';

const secretBytes = (secret: string | Uint8Array): Buffer => {
  const b = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (b.length < TICKET_LIMITS.minSecretBytes) {
    throw optionInvalid([`ticket secret must be at least ${TICKET_LIMITS.minSecretBytes} bytes`]);
  }
  return b;
};

const mac = (secret: Buffer, signed: string): Buffer => createHmac('sha256', secret).update(signed).digest();

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= TICKET_LIMITS.maxFieldLength;

/** Problems with a payload, by field; empty when valid. */
const payloadProblems = (p: unknown): string[] => {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return ['payload must be an object'];
  const o = p as Record<string, unknown>;
  const problems: string[] = [];
  if (!str(o.worldId)) problems.push(`worldId must be a string of 1-${TICKET_LIMITS.maxFieldLength} characters`);
  if (!str(o.target)) problems.push(`target must be a string of 1-${TICKET_LIMITS.maxFieldLength} characters`);
  if (o.playerId !== undefined && !str(o.playerId))
    problems.push(`playerId must be a string of 1-${TICKET_LIMITS.maxFieldLength} characters`);
  if (o.resumeToken !== undefined && !str(o.resumeToken))
    problems.push(`resumeToken must be a string of 1-${TICKET_LIMITS.maxFieldLength} characters`);
  if (typeof o.expiresAt !== 'number' || !Number.isSafeInteger(o.expiresAt) || o.expiresAt < 0) {
    problems.push('expiresAt must be an integer (epoch ms)');
  }
  return problems;
};

/**
 * Signs a ticket. Throws WT_ERR_OPTION_INVALID for a short secret or a malformed payload
 * (every problem listed). Only the payload's known fields are signed.
 */
export const signTicket = (payload: TicketPayload, secret: string | Uint8Array): string => {
  const key = secretBytes(secret);
  const problems = payloadProblems(payload);
  if (problems.length > 0) throw optionInvalid(problems.map((p) => `ticket.${p}`));
  const clean: TicketPayload = {
    worldId: payload.worldId,
    ...(payload.playerId === undefined ? {} : { playerId: payload.playerId }),
    ...(payload.resumeToken === undefined ? {} : { resumeToken: payload.resumeToken }),
    target: payload.target,
    expiresAt: payload.expiresAt,
  };
  const body = Buffer.from(JSON.stringify(clean)).toString('base64url');
  const signed = `${VERSION}.${body}`;
  const ticket = `${signed}.${mac(key, signed).toString('base64url')}`;
  if (ticket.length > TICKET_LIMITS.maxLength) throw optionInvalid([`ticket longer than ${TICKET_LIMITS.maxLength} characters`]);
  return ticket;
};

/** Options of {@link verifyTicket}. */
export interface VerifyTicketOptions {
  /** Wall-clock epoch ms to check expiry against. Default `Date.now()`. */
  readonly now?: number;
  /** When set, the ticket's `target` must equal it (the verifying instance's id). */
  readonly expectedTarget?: string;
  /** Accept-only previous secret (a rotation in progress): a ticket signed with it verifies too. Never signs. */
  readonly previousSecret?: string | Uint8Array;
}

/** A verified ticket's payload and which secret signed it. */
export interface VerifiedTicket {
  readonly payload: TicketPayload;
  readonly secret: SecretMatch;
}

/**
 * Verifies a ticket against the current secret and, when given, `options.previousSecret`; returns
 * its payload and which secret signed it. Errors as {@link verifyTicket}.
 */
export const verifyTicketSecret = (ticket: unknown, secret: string | Uint8Array, options: VerifyTicketOptions = {}): VerifiedTicket => {
  const key = secretBytes(secret);
  const previousKey = options.previousSecret === undefined ? null : secretBytes(options.previousSecret);
  if (typeof ticket !== 'string' || ticket.length > TICKET_LIMITS.maxLength) throw ticketInvalid('format');
  const parts = ticket.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(parts[1]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) {
    throw ticketInvalid('format');
  }
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2], 'base64url');
  // Both MACs compared whatever the first said (src/secret-match.ts): the time taken does not tell which secret matched.
  const which = matchSecret(given, mac(key, signed), previousKey === null ? null : mac(previousKey, signed));
  if (which === null) throw ticketInvalid('signature');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw ticketInvalid('payload');
  }
  if (payloadProblems(payload).length > 0) throw ticketInvalid('payload');
  const p = payload as TicketPayload;
  const now = options.now ?? Date.now();
  if (now >= p.expiresAt) throw ticketExpired(p.expiresAt, now);
  if (options.expectedTarget !== undefined && p.target !== options.expectedTarget) throw ticketInvalid('target');
  return { payload: p, secret: which };
};

/**
 * Verifies a ticket and returns its payload. Throws WT_ERR_TICKET_INVALID (`details.reason`:
 * `format`, `signature`, `payload`, `target`) or WT_ERR_TICKET_EXPIRED; never returns an
 * unverified payload. A short secret (current or previous) throws WT_ERR_OPTION_INVALID.
 */
export const verifyTicket = (ticket: unknown, secret: string | Uint8Array, options: VerifyTicketOptions = {}): TicketPayload =>
  verifyTicketSecret(ticket, secret, options).payload;
