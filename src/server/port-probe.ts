/**
 * Ports checked before the store opens (docs/DURABILITY.md "A refused start writes nothing"): the
 * game port and the admin port are bound — exclusively, as the servers bind them — and let go again
 * before the runtime opens its store, restores its worlds and starts its loop, so a start refused
 * because a port is taken (`WT_ERR_PORT_IN_USE`, exit 2) has opened and written nothing. Both are held
 * at once while checked, so a game port equal to the admin port is refused here too. Port 0 (any free
 * port) is not checked. A port taken between this check and the servers' own listen still refuses
 * the start there; the stop of such a start writes no final checkpoint (src/server/runtime-stop.ts).
 */
import { ErrorCode, WorldtickError } from '../errors.js';
import { listenExclusive, uWS, type us_listen_socket } from '../uws.js';

/** A port a service of the runtime will listen on. */
export interface ProbedPort {
  /** `game` (the WebSocket game server) or `admin` (the admin HTTP API): names it in the refusal. */
  service: 'game' | 'admin';
  host: string;
  port: number;
}

/** The refusal of a taken port, as the service's own listen words it. */
const portInUse = (p: ProbedPort): WorldtickError =>
  new WorldtickError(
    ErrorCode.PORT_IN_USE,
    p.service === 'game'
      ? `game server could not listen on ${p.host}:${p.port} (port in use?)`
      : `admin server cannot listen on ${p.host}:${p.port} (port in use or not allowed)`,
    { details: { host: p.host, port: p.port } },
  );

/** Bind every fixed port of `ports` at once, then let them go; throws `WT_ERR_PORT_IN_USE` naming the first one taken. */
export const probePorts = async (ports: readonly ProbedPort[]): Promise<void> => {
  const held: us_listen_socket[] = [];
  try {
    for (const p of ports) {
      if (p.port === 0) continue;
      const ls = await listenExclusive(uWS.App(), p.host, p.port);
      if (!ls) throw portInUse(p);
      held.push(ls);
    }
  } finally {
    for (const ls of held) uWS.us_listen_socket_close(ls);
  }
};
