/**
 * The world of the in-process replicate benches (bench/replicate-profile.ts, bench/replicate-switch.ts):
 * `npcs` NPCs at the default world's density (10,000 per 2000²), one player per session, a no-op
 * tiering phase (the benches rebuild the index themselves), every session joined to a world net
 * over the given (stub) transport.
 */
import type { NetConfig } from '../src/net/net-config.js';
import { resolveNetConfig } from '../src/net/net-config.js';
import { createWorldNet, type NetTransport } from '../src/net/replication.js';
import { createConn, createSession } from '../src/net/session.js';
import { genWorld } from './gendata.js';

/** Build the world and its net; returns them with the players (session i + 1 owns players[i]). */
export const replicateBenchWorld = (o: {
  id: string;
  npcs: number;
  sessions: number;
  hz: number;
  transport: NetTransport;
  net?: Partial<NetConfig>;
}) => {
  const size = Math.round(Math.sqrt((o.npcs * 2000 * 2000) / 10_000));
  const { world, players } = genWorld({
    npcs: o.npcs,
    players: o.sessions,
    size,
    id: o.id,
    systems: [{ name: 'tiering', phase: 'tiering', run: () => {} }],
    config: { simulation: { tickIntervalSeconds: 1 / o.hz } },
  });
  const net = createWorldNet(world, resolveNetConfig(o.net ?? {}), o.transport);
  for (let i = 0; i < players.length; i++) {
    world.stores.Player.session[players[i]] = i + 1;
    net.sessions.push(createSession(createConn(i + 1, 0, 1), world.id, players[i], 'b', 't', net.config.interestRadius));
  }
  return { world, net, players, size };
};
