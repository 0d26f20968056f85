/**
 * Capture the flag: the rules both sides share (no imports: the client script and a browser
 * client use them without the server API).
 */

/** Team codes (the replicated `team` field). 0: none. */
export const RED = 1;
export const BLUE = 2;
/** `winner` of the last round: 0 none yet, {@link RED}, {@link BLUE}, or {@link DRAW}. */
export const DRAW = 3;
/** Entity kinds of the flags and of the scoreboard (players are kind 65535). */
export const FLAG_KIND = 1;
export const BOARD_KIND = 2;
/** World side (world units) and the two bases. */
export const WORLD_SIZE = 64;
export const BASES = { [RED]: { x: 12, y: 32 }, [BLUE]: { x: 52, y: 32 } } as const;
/** A player takes a flag within this distance (world units); a carrier scores within CAPTURE_RADIUS of its base. */
export const PICKUP_RADIUS = 3;
export const CAPTURE_RADIUS = 3;
/** Round rewards (coins, through the ledger). */
export const WIN_COINS = 50;
export const DRAW_COINS = 20;
export const LOSE_COINS = 10;

/** Server messages the game sends (names; payloads below). Every player gets both. */
export const CAPTURED = 'captured';
export const ROUND_ENDED = 'round-ended';
/** `captured`: `player` (entity id) of `team` brought the enemy flag home; the round's scores after it. */
export interface CapturedPayload {
  round: number;
  player: number;
  team: number;
  red: number;
  blue: number;
}
/** `round-ended`: round `round` ended with these scores; `winner` RED, BLUE or DRAW; the next round ends at `endsAt` (world seconds). */
export interface RoundEndedPayload {
  round: number;
  winner: number;
  red: number;
  blue: number;
  endsAt: number;
}
