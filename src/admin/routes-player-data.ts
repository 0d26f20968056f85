/**
 * Player-data routes (docs/ADMIN.md "Player data"): what operators need for support and data
 * requests (GDPR access and erasure) on the runtime's player-data service — through its queue, so
 * they are ordered with the game's own calls and ride through store outages the same way.
 *
 *   GET    /api/v1/players/:player/data        every key: version, bytes, deleted, updatedAt; totals
 *   GET    /api/v1/players/:player/data/:key   one value and its version
 *   DELETE /api/v1/players/:player/data        forget the player: every live key deleted (tombstones)
 *
 * Input is validated before anything is queued (400 `WT_ERR_ADMIN_BAD_REQUEST`, counted by status in
 * `worldtick_admin_requests_total`); no store or the store down past the deadline: 503
 * `WT_ERR_PLAYER_DATA_UNAVAILABLE` (`details.reason`).
 */
import { ErrorCode, PlayerDataCode, WorldtickError } from '../errors.js';
import type { PlayerDataService, PlayerDataUnavailableReason } from '../player-data/player-data-service.js';
import { PLAYER_DATA_LIMITS } from '../player-data/player-data-types.js';
import { strictQuery } from './world-query.js';
import type { AdminRequest, Route } from './router.js';

/** Options of {@link playerDataRoutes}. */
export interface PlayerDataRoutesOptions {
  /** The runtime's player-data service (null: no store, or not started: 503). */
  service: () => PlayerDataService | null;
}

/** The game API's rules (src/game/player-data.ts): durable player ids and keys. */
const PLAYER_ID_RE = /^[\x21-\x7e]{1,128}$/;
const KEY_RE = /^[A-Za-z0-9_.:-]+$/;

const unavailable = (reason: PlayerDataUnavailableReason): WorldtickError =>
  new WorldtickError(ErrorCode.PLAYER_DATA_UNAVAILABLE, `player data is unavailable (${reason}); retry later`, { details: { reason } });

/** The validated player id (and key) of a request: every problem in one 400. */
const target = (req: AdminRequest, withKey: boolean): { playerId: string; key: string } => {
  const q = strictQuery(req, 'player data', []);
  const playerId = req.params.player ?? '';
  const key = req.params.key ?? '';
  if (!PLAYER_ID_RE.test(playerId)) q.problem('playerId must be 1-128 printable ASCII characters (a durable player id, e.g. t:…)');
  if (withKey && (key.length > PLAYER_DATA_LIMITS.maxKeyLength || !KEY_RE.test(key)))
    q.problem(`key must be 1-${PLAYER_DATA_LIMITS.maxKeyLength} characters of A-Z a-z 0-9 _ . : -`);
  if (req.body !== undefined) q.problem('no request body is taken');
  q.done();
  return { playerId, key };
};

/** The player-data admin routes. */
export const playerDataRoutes = (opts: PlayerDataRoutesOptions): Route[] => {
  const svc = (): PlayerDataService => {
    const s = opts.service();
    if (!s) throw unavailable('no-store');
    return s;
  };
  const base = '/api/v1/players/:player/data';
  return [
    {
      method: 'GET',
      pattern: base,
      handler: async (req) => {
        const { playerId } = target(req, false);
        const r = await svc().list(playerId);
        if (r.status !== 'ok') throw unavailable(r.reason);
        let bytes = 0;
        let live = 0;
        for (const k of r.keys) {
          bytes += k.bytes;
          if (!k.deleted) live++;
        }
        const limits = { maxBytesPerPlayer: PLAYER_DATA_LIMITS.maxBytesPerPlayer, maxKeysPerPlayer: PLAYER_DATA_LIMITS.maxKeysPerPlayer };
        return { json: { playerId, keys: r.keys, liveKeys: live, deletedKeys: r.keys.length - live, bytes, limits } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:key`,
      handler: async (req) => {
        const { playerId, key } = target(req, true);
        const r = await svc().load(playerId, key);
        if (r.status !== 'ok' && r.code === PlayerDataCode.VALUE_UNREADABLE)
          throw new WorldtickError(
            ErrorCode.PLAYER_DATA_UNREADABLE,
            'the stored value is not JSON (a damaged row): the game can save over it with this version, or forget the player',
            { details: { playerId, key, version: r.version } },
          );
        if (r.status !== 'ok') throw unavailable(r.reason ?? 'store-error');
        if (r.value === undefined)
          throw new WorldtickError(
            ErrorCode.PLAYER_DATA_NOT_FOUND,
            r.version === 0 ? 'no value: the key was never written' : 'no value: the key was deleted',
            { details: { playerId, key, version: r.version } },
          );
        return { json: { playerId, key, version: r.version, value: r.value } };
      },
    },
    {
      method: 'DELETE',
      pattern: base,
      handler: async (req) => {
        const { playerId } = target(req, false);
        const r = await svc().forget(playerId);
        if (r.status !== 'ok') throw unavailable(r.reason);
        return { json: { playerId, deleted: r.keys.length, keys: r.keys } };
      },
    },
  ];
};
