/**
 * Player routes (docs/ADMIN.md "Kicking a player"): the operator ends a connected player's session.
 *
 *   POST /api/v1/worlds/:id/players/:playerId/kick   { reason? }
 *
 * `playerId` is the durable player id (`t:…`, as the ledger routes take it), not the entity id of
 * `welcome`. The socket is closed 4020 (`KICKED`) with the reason now; the player is removed (not
 * parked) by the world's next step, and its resume token is refused (src/net/session-kick.ts).
 */
import { ErrorCode, worldNotFound, WorldtickError } from '../errors.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { DEFAULT_KICK_REASON, kickReasonProblem } from '../net/session-kick.js';
import { badRequest } from './http-errors.js';
import type { Route } from './router.js';

/** Options of {@link playerRoutes}. */
export interface PlayerRoutesOptions {
  runner: LoopRunner;
  /**
   * Kick the connected player of durable id `playerId` in world `worldId` (the game server's
   * `kickPlayer`): its entity id, or -1 when no joined session of the world has that id. Null: the
   * runtime serves no game clients (every kick is a 404).
   */
  kick: ((worldId: string, playerId: string, reason: string) => number) | null;
}

/** Longest `playerId` accepted (the ledger's ids are 1-128 characters). */
const MAX_PLAYER_ID = 128;

const clip = (s: string): string => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** The player routes. */
export const playerRoutes = (opts: PlayerRoutesOptions): Route[] => [
  {
    method: 'POST',
    pattern: '/api/v1/worlds/:id/players/:playerId/kick',
    body: true,
    handler: (req) => {
      const id = req.params.id ?? '';
      if (!opts.runner.has(id)) throw worldNotFound(clip(id));
      const playerId = req.params.playerId ?? '';
      const b = req.body === undefined ? {} : req.body;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('body must be { reason? }');
      const o = b as Record<string, unknown>;
      const problems: string[] = [];
      for (const k of Object.keys(o)) if (k !== 'reason') problems.push(`${clip(k)} is not a known field`);
      if (o.reason !== undefined) {
        const bad = kickReasonProblem(o.reason);
        if (bad !== null) problems.push(bad);
      }
      if (playerId.length > MAX_PLAYER_ID) problems.push(`playerId must be at most ${MAX_PLAYER_ID} characters`);
      if (problems.length) throw badRequest('invalid kick', problems);
      const reason = typeof o.reason === 'string' ? o.reason : DEFAULT_KICK_REASON;
      const player = opts.kick ? opts.kick(id, playerId, reason) : -1;
      if (player < 0)
        throw new WorldtickError(ErrorCode.PLAYER_NOT_CONNECTED, `no connected player ${JSON.stringify(clip(playerId))} in world ${id}`, {
          details: { worldId: id, playerId: clip(playerId) },
        });
      return { json: { worldId: id, playerId, player, kicked: true, reason } };
    },
  },
];
