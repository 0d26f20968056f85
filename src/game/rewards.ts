/**
 * Rewards from game code: a game grants coins and/or items to a player entity through the world's
 * ledger (docs/DURABILITY.md), exactly once per (player, key) — the same path as the NPC
 * simulation's chain rewards, on the public API.
 *
 *   system / hook ── grantPlayerReward(world, player, { key, coins }) ──► ledger (durable)
 *        key sent: `game:<key>@<world incarnation>` — a step re-simulated after a checkpoint
 *        restore re-sends the same key (replayed, nothing granted twice); a world created anew
 *        (another incarnation) starts a fresh key space
 *   a later step applies it to the player's wallet; the client gets a `wallet` message
 */
import { checkWorld } from '../core/check-world.js';
import { shown } from '../core/shown.js';
import { entityExists, hasComponent as bitecsHas } from 'bitecs';
import { optionInvalid, TxCode } from '../errors.js';
import { rejection, type TxResult } from '../ledger/decide.js';
import { grantRewardDurably } from '../ledger/reward-retry.js';
import type { GameWorld } from './pipeline.js';

/** A reward a game grants: an idempotency key of the game's choosing, coins and/or an item. */
export interface GameReward {
  /**
   * Unique per player for this grant (e.g. `round:3`): 1-48 printable ASCII characters, no `@`.
   * The same key for the same player in the same world is granted once; a repeat is `replayed`.
   */
  key: string;
  /** Coins added (integer ≥ 0). */
  coins?: number;
  /** Catalogue item id added to the inventory. */
  item?: string;
  /** How many of `item` (default 1). */
  quantity?: number;
}

/** The ledger's answer to a reward (`status`, `code` a `TX_*` code when rejected, `replayed`...). */
export type GameRewardResult = TxResult;

/** Longest game key: `game:` + key + `@` + a world incarnation (≤ 64) stays within the ledger's 128. */
export const MAX_GAME_REWARD_KEY = 48;
/**
 * The rule of a reward's or purchase's key as a regular expression source (1-48 printable ASCII
 * characters, no space or `@`): `Type.String({ pattern: GAME_KEY_PATTERN })` checks a client's
 * transaction id in a message schema, where a bad one is answered `BAD_FIELD` instead of the call
 * throwing in the handler.
 */
export const GAME_KEY_PATTERN = '^[!-?A-~]{1,48}$';
/** {@link GAME_KEY_PATTERN}, compiled. */
export const GAME_KEY_RE = new RegExp(GAME_KEY_PATTERN);
const PLAYER_ID_RE = /^[\x21-\x7e]{1,128}$/;

/**
 * The durable player id a reward or purchase goes to: `player` itself when it is a durable id
 * (checked: 1-128 printable ASCII characters, else `WT_ERR_OPTION_INVALID`), else the id of the
 * bound player entity `player` (null when it is not one).
 */
export const durablePlayerId = (world: GameWorld, player: number | string): string | null => {
  if (typeof player !== 'string') return playerIdOf(world, player);
  if (!PLAYER_ID_RE.test(player))
    throw optionInvalid(['player must be a player entity or a durable player id of 1-128 printable ASCII characters']);
  return player;
};

/**
 * The durable player id (the ledger's `playerId`, docs/PROTOCOL.md "Player identity") of a player
 * entity, or null when the entity is not a player bound to this world's ledger (no store, not a
 * player, or removed). In a replay (src/replay) the same id as in the recorded run: the log holds
 * the bindings. Server-side only: never send it to other clients.
 */
export const playerIdOf = (world: GameWorld, player: number): string | null => {
  checkWorld(world, 'playerIdOf');
  // A replayed world has no ledger: the bindings its log recorded (src/replay/replayer.ts) stand in.
  const l = world.ledger ?? world.game?.replay;
  if (!l) return null;
  const id = l.playerOf.get(player);
  return id !== undefined && l.eidOf.get(id) === player ? id : null;
};

/**
 * The player entity of durable player id `playerId` in this world now, or null (not in the world,
 * no store). The reverse of {@link playerIdOf}: code that answers a player later (a promise
 * callback, a timer after a restart, where the player has another entity id) finds it here.
 */
export const playerEntityOf = (world: GameWorld, playerId: string): number | null => {
  checkWorld(world, 'playerEntityOf');
  const eid = (world.ledger ?? world.game?.replay)?.eidOf.get(playerId);
  return eid !== undefined && entityExists(world, eid) && bitecsHas(world, eid, world.stores.Player) && playerIdOf(world, eid) === playerId
    ? eid
    : null;
};

/**
 * Grant `reward` to `player` — a player entity of the world, or a durable player id (`playerIdOf`;
 * kept to finish a grant after the entity is gone: its wallet catches up when it joins) — through
 * the world's ledger. Call it from a system or
 * hook (it does not wait): the promise resolves with the durable result, and a later step applies
 * it to the wallet (the player's client gets a `wallet` message). Idempotent by (player, key) within
 * the world's incarnation, across reconnects and restarts. While the store is unavailable it is
 * resubmitted until it commits (src/ledger/reward-retry.ts), so the promise may resolve much later.
 * Resolves `rejected` with
 * `TX_UNAVAILABLE` in a world without a store, `TX_BAD_REQUEST` when `player` is not a bound player
 * entity (it never throws for those: a system may call it with any entity id). Throws
 * `WT_ERR_OPTION_INVALID` for a bad key, coins, quantity or durable id (a bug in the game, not a
 * runtime condition).
 */
export const grantPlayerReward = (world: GameWorld, player: number | string, reward: GameReward): Promise<GameRewardResult> => {
  checkWorld(world, 'grantPlayerReward');
  if (typeof reward !== 'object' || reward === null)
    throw optionInvalid([`reward must be an object { key, coins?, item?, quantity? } (got ${shown(reward)})`]);
  const problems: string[] = [];
  if (typeof reward.key !== 'string' || !GAME_KEY_RE.test(reward.key))
    problems.push(`reward.key must be 1-${MAX_GAME_REWARD_KEY} printable ASCII characters without spaces or "@"`);
  if (reward.coins !== undefined && (!Number.isSafeInteger(reward.coins) || reward.coins < 0))
    problems.push('reward.coins must be an integer >= 0');
  if (reward.quantity !== undefined && (!Number.isSafeInteger(reward.quantity) || reward.quantity < 1))
    problems.push('reward.quantity must be an integer >= 1');
  if (reward.item === undefined && !reward.coins) problems.push('reward needs coins > 0 or an item');
  if (problems.length) throw optionInvalid(problems);
  const l = world.ledger;
  const playerId = durablePlayerId(world, player);
  const req = {
    playerId: playerId ?? '',
    key: `game:${reward.key}@${l?.epoch ?? world.id}`,
    ...(reward.coins ? { coins: reward.coins } : {}),
    ...(reward.item !== undefined ? { item: reward.item, quantity: reward.quantity ?? 1 } : {}),
  };
  if (!l) return Promise.resolve(rejection({ kind: 'reward', ...req }, TxCode.UNAVAILABLE));
  if (playerId === null) return Promise.resolve(rejection({ kind: 'reward', ...req }, TxCode.BAD_REQUEST));
  return grantRewardDurably(world, req);
};
