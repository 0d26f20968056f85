/**
 * The game server's `routeHello` (docs/CLUSTER.md "Running many instances", "Routing"): a hello is served here,
 * redirected to the world's owner with a signed ticket, or refused with a close code that says whether to retry.
 */
import { signTicket, verifyTicketSecret } from '../cluster/ticket.js';
import { CloseCode, ErrorCode, isWorldtickError, WireErrorCode } from '../errors.js';
import type { HelloRoute } from '../net/game-server.js';
import { isIssuedResumeToken } from '../net/durable-sessions.js';
import type { HelloMsg } from '../net/protocol.js';
import type { ClusterService } from './cluster-service.js';

/** Options of {@link createHelloRouter}. */
export interface HelloRouterOptions {
  /**
   * Ticket secrets (the runtime's ClusterMode): `secret`, shared by the cluster (>= 16 bytes), signs and verifies;
   * `previousSecret`, accept-only during a rotation (empty or absent = none), never signs.
   */
  readonly tickets: { readonly secret: string; readonly previousSecret?: string };
  /** Lifetime of a redirect ticket, wall ms. Default 10 s. */
  readonly ticketTtlMs?: number;
  /** True when the world exists on this instance. */
  readonly hasWorld: (worldId: string) => boolean;
  readonly epochNow?: () => number;
}

const refuse = (code: (typeof WireErrorCode)[keyof typeof WireErrorCode], message: string, closeCode: number): HelloRoute => ({
  kind: 'refuse',
  code,
  message,
  closeCode,
});

/**
 * The game server's `routeHello` in cluster mode. A hello with a ticket is served only if the
 * ticket verifies (signed by the cluster, unexpired, for this world and this instance); then,
 * as without one: the owner serves, another instance redirects to the owner, and a world that
 * nobody can prove to own right now is refused (`NOT_OWNER`, close 4015: retry).
 */
export const createHelloRouter = (cluster: ClusterService, o: HelloRouterOptions): ((m: HelloMsg) => HelloRoute) => {
  const ttl = o.ticketTtlMs ?? 10_000;
  const epochNow = o.epochNow ?? Date.now;
  const me = cluster.instanceId;
  const previous = o.tickets.previousSecret ? { previousSecret: o.tickets.previousSecret } : {};
  // A world stored but not run by this build (a newer build's checkpoint, or game data this game cannot hold: listed
  // under `notStarted`) exists: "later" (another server, of a newer build, may run it), not "no such world" (4004, stop).
  const notRunHere = (worldId: string): HelloRoute | null => {
    const ns = o.hasWorld(worldId) ? undefined : cluster.notStarted.get(worldId);
    if (!ns) return null;
    return refuse(
      WireErrorCode.UNAVAILABLE,
      `the world is stored but this server does not run it (${ns.reason}); retry later`,
      CloseCode.TRY_AGAIN,
    );
  };
  return (m) => {
    if (!cluster.enforce) return notRunHere(m.worldId) ?? { kind: 'serve' };
    if (m.ticket !== null) {
      try {
        const v = verifyTicketSecret(m.ticket, o.tickets.secret, { now: epochNow(), expectedTarget: me, ...previous });
        const p = v.payload;
        if (p.worldId !== m.worldId) return refuse(WireErrorCode.BAD_TICKET, 'ticket is for another world', CloseCode.BAD_TICKET);
        if (p.resumeToken !== undefined && p.resumeToken !== m.resumeToken)
          return refuse(WireErrorCode.BAD_TICKET, 'ticket is for another session', CloseCode.BAD_TICKET);
        if (v.secret === 'previous') cluster.counters.ticketsPreviousSecret++;
      } catch (err) {
        const why = isWorldtickError(err, ErrorCode.TICKET_EXPIRED) ? 'ticket expired' : 'ticket invalid';
        return refuse(WireErrorCode.BAD_TICKET, why, CloseCode.BAD_TICKET);
      }
    }
    // Leased here but still being restored (a failover or a handover in flight): what is here is a standby copy that
    // does not step, or nothing yet. Retry (4015) rather than join the copy (replaced at install) or hear "no such world" (4004).
    if (cluster.fence(m.worldId) !== null)
      return cluster.adopting(m.worldId)
        ? refuse(WireErrorCode.NOT_OWNER, 'the world is being taken over by this instance; retry', CloseCode.LEASE_LOST)
        : { kind: 'serve' };
    const owner = cluster.ownerOf(m.worldId);
    if (owner && owner.instanceId !== me && owner.gameUrl) {
      cluster.counters.redirects++;
      // The ticket names the resume token only when it is of the shape this server issues (base64url, src/net/durable-sessions.ts
      // `isIssuedResumeToken`): any other was never issued and is refused as unknown at the owner all the same (RESUME_REFUSED,
      // a fresh join). Named, 256 control characters (JSON-escaped, 6 bytes each) made the ticket too long to sign (answered
      // INTERNAL until stop 67), and a long odd token one the followed hello could not carry within `maxPayloadLength`.
      const resumeToken = m.resumeToken && isIssuedResumeToken(m.resumeToken) ? m.resumeToken : null;
      const ticket = signTicket(
        { worldId: m.worldId, target: owner.instanceId, expiresAt: epochNow() + ttl, ...(resumeToken ? { resumeToken } : {}) },
        o.tickets.secret, // signed with the current secret only
      );
      return { kind: 'redirect', url: owner.gameUrl, ticket };
    }
    // A world stored but hosted by nobody right now (its owner died; being failed over) is a world all the same.
    if (o.hasWorld(m.worldId) || owner || cluster.orphaned(m.worldId))
      return refuse(WireErrorCode.NOT_OWNER, 'no instance can prove it owns this world right now; retry', CloseCode.LEASE_LOST);
    return notRunHere(m.worldId) ?? { kind: 'serve' }; // unknown everywhere: the game server answers UNKNOWN_WORLD
  };
};
