/**
 * The game server's admission of a WebSocket upgrade (docs/PROTOCOL.md "Connection limits"):
 * refused with HTTP 503 over `net.maxConnections`, else the client's address is decided (the
 * peer's, or the one a trusted proxy forwarded: client-address.ts) and the upgrade is refused with
 * HTTP 429 when that address already has `net.maxConnectionsPerAddress` sockets open. Refusals are
 * counted and logged at the 1st, 10th, 100th, ... (visible, but never a line per connection).
 * Runs synchronously inside uWebSockets.js's `upgrade` handler (its request is only valid there).
 */
import { isLoggedOccurrence, type Logger } from '../log.js';
import type { HttpRequest, HttpResponse } from '../uws.js';
import type { AddressLimiter } from './address-limit.js';
import { createProxyTrust, forwardedForOf, type ProxyTrust } from './client-address.js';
import type { NetConfig } from './net-config.js';
import type { ServerNetStats } from './net-stats.js';

/** What the admission reads and counts into (one per game server). */
export interface UpgradeGate {
  readonly config: NetConfig;
  readonly perAddress: AddressLimiter;
  readonly trust: ProxyTrust;
  readonly stats: ServerNetStats;
  readonly log: Logger;
}

/** The gate of a game server (its trusted proxies from `config.trustedProxies`). */
export const createUpgradeGate = (config: NetConfig, perAddress: AddressLimiter, stats: ServerNetStats, log: Logger): UpgradeGate => ({
  config,
  perAddress,
  trust: createProxyTrust(config.trustedProxies),
  stats,
  log,
});

/** An admitted upgrade: the client's address and the key its socket counts under ('' = not counted). */
export interface AdmittedUpgrade {
  readonly remote: string;
  readonly addr: string;
}

/**
 * Admit or refuse the upgrade `res`/`req` while `open` sockets of at most `max` are open: null when
 * refused (the HTTP answer is written), else the client's address and counting key.
 */
export const admitUpgrade = (gate: UpgradeGate, res: HttpResponse, req: HttpRequest, open: number, max: number): AdmittedUpgrade | null => {
  const s = gate.stats;
  if (open >= max) {
    const n = ++s.rejectedConnections;
    if (isLoggedOccurrence(n)) gate.log.warn({ rejectedConnections: n, maxConnections: max }, 'game server full: upgrade refused with 503');
    res.writeStatus('503 Service Unavailable').writeHeader('Retry-After', '5').end('server full');
    return null;
  }
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString('utf8');
  const remote = gate.trust.none ? peer : gate.trust.clientAddress(peer, () => forwardedForOf(req));
  const addr = gate.perAddress.keyOf(remote);
  if (gate.perAddress.full(addr)) {
    const n = ++s.rejectedPerAddress;
    if (isLoggedOccurrence(n))
      gate.log.warn(
        {
          rejectedPerAddress: n,
          address: addr,
          maxConnectionsPerAddress: gate.config.maxConnectionsPerAddress,
          ...(remote === peer
            ? {
                hint: 'behind a proxy on another host every client has its address: list it in net.trustedProxies (it must send X-Forwarded-For), or set net.maxConnectionsPerAddress to 0 there',
              }
            : { proxy: peer }),
        },
        'too many connections from one address: upgrade refused with 429',
      );
    res.writeStatus('429 Too Many Requests').writeHeader('Retry-After', '5').end('too many connections from this address');
    return null;
  }
  return { remote, addr };
};
