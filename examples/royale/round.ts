/**
 * Royale: the round's state and the steps every phase uses — components, server messages, the
 * roster (the world's data), eliminating a seat, ending a round (game.ts puts them together). Public API only.
 */
import {
  broadcast,
  defineComponent,
  defineServerMessage,
  gameLog,
  type GameWorld,
  getStore,
  getWorldData,
  grantPlayerReward,
  hasComponent,
  isSpectator,
  query,
  setSpectator,
  setWorldTimer,
  Type,
} from '../../src/index.js';
import { COUNTDOWN, ELIMINATED, MAX_HP, placeCoins, RESULT, ROUND_RESULT } from './rules.js';

/** World seconds between zone updates. */
export const ZONE_TICK_SECONDS = 0.5;
/** Crates spawned per fighter at play start. */
export const CRATES_PER_FIGHTER = 2;

/** The round (one board entity per world). `key`: the step play started at (the reward key). */
export const Board = defineComponent('Board', {
  phase: 'u8',
  round: { type: 'u32', default: 1 },
  key: 'u32',
  endsAt: 'f64',
  zoneAt: 'f64',
  zoneR: 'f32',
  fighters: 'u16',
  alive: 'u16',
  winner: 'u32',
});
/** A fighter's place in the round: index in the roster, hp, standing, place, its player (0 away), last position. */
export const Seat = defineComponent('Seat', { idx: 'u16', hp: 'f32', alive: 'u8', place: 'u16', player: 'u32', x: 'f32', y: 'f32' });
/**
 * On every player entity: its seat (0 none), hp as clients see it, whether it only ever watches, and
 * its last input's sequence number with the world time it changed (the idle rule).
 */
export const Fighter = defineComponent('Fighter', {
  seat: 'u32',
  hp: { type: 'f32', default: MAX_HP },
  watcher: 'u8',
  seq: 'u32',
  activeAt: 'f64',
});
/** A loot crate. */
export const Crate = defineComponent('Crate', { heal: 'u8' });

const int = Type.Integer({ minimum: 0 });
export const eliminated = defineServerMessage({
  name: ELIMINATED,
  schema: Type.Object({ round: int, player: int, place: int, fighters: int, coins: int }, { additionalProperties: false }),
  maxBytes: 128,
});
export const roundResult = defineServerMessage({
  name: ROUND_RESULT,
  schema: Type.Object({ round: int, winner: int, fighters: int }, { additionalProperties: false }),
  maxBytes: 128,
});

/** The round's roster, the world's data (`setWorldData`) while a round is on: durable player ids in seat order. */
export interface Roster {
  key: number;
  pids: string[];
}

export const boardOf = (world: GameWorld): number => {
  const b = query(world, [Board]);
  return b.length > 0 ? b[0] : 0;
};

/** The round's roster (null in the lobby and countdown). */
export const roster = (world: GameWorld): Readonly<Roster> | null => getWorldData<Roster>(world);

/** The seat's player entity now, or 0 when it is away (left, or dropped by a restart: its id may be someone else's). */
export const seatPlayer = (world: GameWorld, seat: number): number => {
  const p = getStore(world, Seat).player[seat];
  return p !== 0 && hasComponent(world, p, Fighter) && getStore(world, Fighter).seat[p] === seat ? p : 0;
};

/** Players who would fight: bodies of player sessions (not cameras, not spectator sessions). */
export const bodies = (world: GameWorld): number[] => {
  const out: number[] = [];
  const f = getStore(world, Fighter);
  for (const p of query(world, [Fighter])) if (f.watcher[p] === 0 && !isSpectator(world, p)) out.push(p);
  return out.sort((a, b) => a - b);
};

export const setPhase = (world: GameWorld, board: number, phase: number, seconds: number): void => {
  const b = getStore(world, Board);
  b.phase[board] = phase;
  b.endsAt[board] = world.clock.now + seconds;
  if (phase === COUNTDOWN || phase === RESULT) setWorldTimer(world, seconds, 'phase', { round: b.round[board], phase });
};

export const pay = (world: GameWorld, board: number, seat: number, place: number): number => {
  const b = getStore(world, Board);
  const coins = placeCoins(place, b.fighters[board]);
  const pid = roster(world)?.pids[getStore(world, Seat).idx[seat]];
  const key = `royale-${b.key[board]}`;
  // A refusal (TX_KEY_CONFLICT: a round the crash lost paid this key otherwise) changes nothing: say it in the server's log.
  if (pid !== undefined)
    void grantPlayerReward(world, pid, { key, coins }).then((r) => {
      if (r.status === 'rejected') gameLog(world).warn({ playerId: pid, key, coins, code: r.code }, 'royale: reward refused');
    });
  return coins;
};

export const eliminate = (world: GameWorld, board: number, seat: number): void => {
  const b = getStore(world, Board),
    s = getStore(world, Seat);
  const place = b.alive[board];
  b.alive[board] = place - 1;
  s.alive[seat] = 0;
  s.hp[seat] = 0;
  s.place[seat] = place;
  const coins = pay(world, board, seat, place);
  const player = seatPlayer(world, seat);
  if (player !== 0) getStore(world, Fighter).hp[player] = 0;
  if (player !== 0) setSpectator(world, player, true); // out of the round: a camera until the next lobby
  broadcast(world, eliminated, { round: b.round[board], player, place, fighters: b.fighters[board], coins });
};

export const endRound = (world: GameWorld, board: number, ctx: { resultSeconds: number }): void => {
  const s = getStore(world, Seat),
    b = getStore(world, Board);
  let winner = 0;
  for (const seat of query(world, [Seat])) {
    if (s.alive[seat] !== 1) continue;
    s.place[seat] = 1;
    pay(world, board, seat, 1);
    winner = seatPlayer(world, seat);
  }
  b.alive[board] = 0;
  b.winner[board] = winner;
  setPhase(world, board, RESULT, ctx.resultSeconds);
  broadcast(world, roundResult, { round: b.round[board], winner, fighters: b.fighters[board] });
};
