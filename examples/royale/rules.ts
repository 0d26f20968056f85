/**
 * Royale: the rules both sides share (no imports: a client script or a browser client uses them
 * without the server API).
 */

/** Round phases (the board's replicated `phase` field). */
export const LOBBY = 0;
export const COUNTDOWN = 1;
export const PLAY = 2;
export const RESULT = 3;
export const PHASE_NAMES = ['lobby', 'countdown', 'play', 'result'] as const;

/** Entity kinds: loot crates, the board (round state and the safe zone), the seats (a client ignores them). Players are 65535. */
export const CRATE_KIND = 1;
export const BOARD_KIND = 2;
export const SEAT_KIND = 3;

/** World side (world units); the safe zone starts as a circle of ZONE_START_RADIUS around the centre. */
export const WORLD_SIZE = 200;
export const ZONE_START_RADIUS = 90;
/** A fighter's hit points; damage per world second outside the zone; a crate's heal. */
export const MAX_HP = 100;
export const ZONE_DPS = 20;
export const CRATE_HEAL = 30;
/** A fighter within this distance (world units) of a crate loots it. */
export const LOOT_RADIUS = 4;

/**
 * Coins a fighter is paid for its place in a round (1 = winner), through the ledger, once per
 * player and round: the winner {@link WIN_COINS}, everyone else {@link PLACE_COINS} per fighter it
 * outlived plus {@link SURVIVE_COINS}.
 */
export const WIN_COINS = 100;
export const PLACE_COINS = 10;
export const SURVIVE_COINS = 5;
export const placeCoins = (place: number, fighters: number): number =>
  place === 1 ? WIN_COINS : SURVIVE_COINS + PLACE_COINS * Math.max(0, fighters - place);

/** Server messages the game sends (names; payloads below). Every session of the world gets both. */
export const ELIMINATED = 'eliminated';
export const ROUND_RESULT = 'round-result';
/** `eliminated`: `player` (entity id, 0 when it was away) left the round in place `place` of `fighters`; `coins` its reward. */
export interface EliminatedPayload {
  round: number;
  player: number;
  place: number;
  fighters: number;
  coins: number;
}
/** `round-result`: round `round` ended; `winner` is the winner's player entity id (0: none, or away). */
export interface RoundResultPayload {
  round: number;
  winner: number;
  fighters: number;
}
