/**
 * Capture the flag: two teams, one flag each, rounds on world time, rewards through the ledger.
 * Built on the public API only (`src/index.ts`).
 *
 *   red base (12, 32)  ─────────── 40 units ───────────  blue base (52, 32)
 *        red flag                                            blue flag
 *
 * - a joining player is put in the smaller team (`onPlayerJoined`) at its base;
 * - a client message `pickup { flag }` takes the enemy flag when the player stands within
 *   {@link PICKUP_RADIUS} of it (rules checked in the step, never trusted from the client);
 * - the `carry-flags` system (after `movement`) keeps a carried flag on its carrier and scores a
 *   capture when the carrier reaches its own base: the team's score +1, the flag goes home;
 * - the `round-end` timer ends the round on **world time** (a repeating world timer, every round
 *   length: it runs in the first step whose world time reaches the round's end, after
 *   `carry-flags`, so a capture in that step still counts): every player is rewarded through the ledger once (key `round:<n>`: winners
 *   {@link WIN_COINS}, a draw {@link DRAW_COINS} each, losers {@link LOSE_COINS}), scores reset,
 *   flags go home, the next round starts;
 * - replicated: players' `team`, `carrying`, `captures`; flags' `team`, `carrier`; and a
 *   scoreboard entity (kind {@link BOARD_KIND}) with `round`, `red`, `blue`, `endsAt`, `winner`
 *   (the lasting state: a client joining mid-round sees the scores in its first snapshot);
 * - announced: every capture (`captured`) and round end (`round-ended`) is a server message to
 *   every player of the world, delivered after the snapshot of the step that made it, so a client
 *   already has the new scoreboard when the announcement arrives.
 *
 * The round state lives in a component of the scoreboard entity, not in a variable: systems keep
 * no state, and the checkpoint of a world saves and restores the game's component stores (and its
 * timers: a restored world ends its round at the same world time).
 */
import {
  addComponent,
  broadcast,
  defineComponent,
  defineGame,
  defineMessage,
  defineServerMessage,
  getStore,
  grantPlayerReward,
  hasComponent,
  type GameWorld,
  query,
  spawn,
  Type,
} from '../../src/index.js';
import {
  BASES,
  BLUE,
  BOARD_KIND,
  CAPTURE_RADIUS,
  CAPTURED,
  DRAW,
  DRAW_COINS,
  FLAG_KIND,
  LOSE_COINS,
  PICKUP_RADIUS,
  RED,
  ROUND_ENDED,
  WIN_COINS,
  WORLD_SIZE,
} from './rules.js';

export * from './rules.js';

/** Default round length, world seconds (the game runs at timeScale 1: world seconds = seconds). */
export const DEFAULT_ROUND_SECONDS = 90;

/** A player's team, the flag it carries (entity id, 0 none) and its captures this round. */
export const Team = defineComponent('Team', { team: 'u8', carrying: 'u32', captures: 'u16' });
/** A flag: its team, its carrier (player entity id, 0 none) and its home. */
export const Flag = defineComponent('Flag', { team: 'u8', carrier: 'u32', homeX: 'f32', homeY: 'f32' });
/** The round (one scoreboard entity per world): number, end (world seconds), scores, last winner. */
export const Round = defineComponent('Round', {
  no: { type: 'u32', default: 1 },
  endsAt: 'f64',
  length: 'f64',
  red: 'u16',
  blue: 'u16',
  winner: 'u8',
});

/** The announcements (their payloads are `CapturedPayload` / `RoundEndedPayload` of rules.ts, which clients share). */
const int = Type.Integer({ minimum: 0 });
export const captured = defineServerMessage({
  name: CAPTURED,
  schema: Type.Object({ round: int, player: int, team: int, red: int, blue: int }, { additionalProperties: false }),
  maxBytes: 128,
});
export const roundEnded = defineServerMessage({
  name: ROUND_ENDED,
  schema: Type.Object({ round: int, winner: int, red: int, blue: int, endsAt: Type.Number() }, { additionalProperties: false }),
  maxBytes: 128,
});

const sendHome = (world: GameWorld, flag: number): void => {
  const f = getStore(world, Flag),
    p = world.stores.Position;
  const carrier = f.carrier[flag];
  if (carrier !== 0 && hasComponent(world, carrier, Team)) getStore(world, Team).carrying[carrier] = 0;
  f.carrier[flag] = 0;
  p.x[flag] = f.homeX[flag];
  p.y[flag] = f.homeY[flag];
};

const pickup = defineMessage({
  name: 'pickup',
  schema: Type.Object({ flag: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  apply: (world, player, { flag }) => {
    // Game rules first: a flag, of the other team, free, near, and the player carries nothing.
    if (!hasComponent(world, flag, Flag) || !hasComponent(world, player, Team)) return;
    const f = getStore(world, Flag),
      t = getStore(world, Team),
      p = world.stores.Position;
    if (f.team[flag] === t.team[player] || f.carrier[flag] !== 0 || t.carrying[player] !== 0) return;
    if (Math.hypot(p.x[flag] - p.x[player], p.y[flag] - p.y[player]) > PICKUP_RADIUS) return;
    f.carrier[flag] = player;
    t.carrying[player] = flag;
  },
});

/** The world's scoreboard entity (spawned by `populate`; restored with the world's checkpoint). */
const boardOf = (world: GameWorld): number => {
  const boards = query(world, [Round]);
  return boards.length > 0 ? boards[0] : 0;
};

const carryFlags = (world: GameWorld): void => {
  const flags = query(world, [Flag]);
  const f = getStore(world, Flag),
    t = getStore(world, Team),
    p = world.stores.Position;
  const board = boardOf(world);
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i],
      carrier = f.carrier[flag];
    if (carrier === 0) continue;
    // The carrier left (removed, or its id reused by someone else): the flag goes home.
    if (!hasComponent(world, carrier, Team) || t.carrying[carrier] !== flag) {
      f.carrier[flag] = 0;
      p.x[flag] = f.homeX[flag];
      p.y[flag] = f.homeY[flag];
      continue;
    }
    p.x[flag] = p.x[carrier];
    p.y[flag] = p.y[carrier];
    const team = t.team[carrier] as 1 | 2,
      home = BASES[team];
    if (Math.hypot(p.x[carrier] - home.x, p.y[carrier] - home.y) > CAPTURE_RADIUS) continue;
    t.captures[carrier]++;
    if (board !== 0) {
      const r = getStore(world, Round);
      if (team === RED) r.red[board]++;
      else r.blue[board]++;
      broadcast(world, captured, { round: r.no[board], player: carrier, team, red: r.red[board], blue: r.blue[board] });
    }
    sendHome(world, flag);
  }
};

/**
 * Reward a player once for round `no`: the key makes it once per player and round, and the server
 * resubmits it while the store is unavailable (docs/GAME-API.md "Rewards through the ledger").
 */
const reward = (world: GameWorld, player: number, no: number, coins: number): void => {
  void grantPlayerReward(world, player, { key: `round:${no}`, coins });
};

/** The `round-end` timer: the round's end (`endsAt`) is reached. */
const endRound = (world: GameWorld): void => {
  const board = boardOf(world);
  if (board === 0) return;
  const r = getStore(world, Round);
  const no = r.no[board],
    red = r.red[board],
    blue = r.blue[board];
  const winner = red > blue ? RED : blue > red ? BLUE : DRAW;
  const players = query(world, [Team]),
    t = getStore(world, Team);
  for (let i = 0; i < players.length; i++) {
    const e = players[i];
    reward(world, e, no, winner === DRAW ? DRAW_COINS : t.team[e] === winner ? WIN_COINS : LOSE_COINS);
    t.captures[e] = 0;
  }
  const flags = query(world, [Flag]);
  for (let i = 0; i < flags.length; i++) sendHome(world, flags[i]);
  r.winner[board] = winner;
  r.no[board] = no + 1;
  r.red[board] = 0;
  r.blue[board] = 0;
  r.endsAt[board] += r.length[board];
  broadcast(world, roundEnded, { round: no, winner, red, blue, endsAt: r.endsAt[board] });
};

/** Options of {@link createCtf}. */
export interface CtfOptions {
  /** Round length in world seconds (default {@link DEFAULT_ROUND_SECONDS}). */
  roundSeconds?: number;
}

/** A capture-the-flag game definition (tests shorten the round). */
export const createCtf = (o: CtfOptions = {}) => {
  const length = o.roundSeconds ?? DEFAULT_ROUND_SECONDS;
  return defineGame({
    name: 'ctf',
    // physics off: flags are no obstacles. timeScale 1 is a game's default, stated: rounds are in wall seconds.
    world: { size: WORLD_SIZE, npcs: 0, physics: 'off', config: { simulation: { timeScale: 1 } } },
    net: { interestRadius: 100, maxSpeed: 12 }, // a small map: everyone sees everything
    components: [Team, Flag, Round],
    messages: [pickup],
    serverMessages: [captured, roundEnded],
    systems: [{ name: 'carry-flags', after: 'movement', run: carryFlags }],
    // Rounds end at world times length, 2 × length, ... (a world starts at world time 0).
    timers: [{ name: 'round-end', every: length, after: 'carry-flags', run: endRound }],
    replicate: {
      player: {
        team: { component: Team, field: 'team' },
        carrying: { component: Team, field: 'carrying' },
        captures: { component: Team, field: 'captures' },
      },
      [FLAG_KIND]: { team: { component: Flag, field: 'team' }, carrier: { component: Flag, field: 'carrier' } },
      [BOARD_KIND]: {
        round: { component: Round, field: 'no' },
        red: { component: Round, field: 'red' },
        blue: { component: Round, field: 'blue' },
        endsAt: { component: Round, field: 'endsAt', scale: 100 },
        winner: { component: Round, field: 'winner' },
      },
    },
    hooks: {
      populate: (world) => {
        for (const team of [RED, BLUE] as const) {
          const home = BASES[team];
          addComponent(world, spawn(world, { kind: FLAG_KIND, x: home.x, y: home.y }), Flag, { team, homeX: home.x, homeY: home.y });
        }
        addComponent(world, spawn(world, { kind: BOARD_KIND, x: WORLD_SIZE / 2, y: 4 }), Round, {
          length,
          endsAt: world.clock.now + length,
        });
      },
      onPlayerJoined: (world, player, { resumed }) => {
        if (resumed && hasComponent(world, player, Team)) return; // reattached: same team, same place
        const members = query(world, [Team]),
          t = getStore(world, Team);
        let red = 0,
          blue = 0;
        for (let i = 0; i < members.length; i++) {
          if (t.team[members[i]] === RED) red++;
          else blue++;
        }
        const team = red <= blue ? RED : BLUE,
          home = BASES[team];
        addComponent(world, player, Team, { team });
        world.stores.Position.x[player] = home.x;
        world.stores.Position.y[player] = home.y;
      },
      onPlayerLeft: (world, player) => {
        // A carrier who disconnects drops the flag: it goes home.
        if (!hasComponent(world, player, Team)) return;
        const flag = getStore(world, Team).carrying[player];
        if (flag !== 0 && hasComponent(world, flag, Flag)) sendHome(world, flag);
      },
    },
  });
};

/**
 * The game as `main.ts` serves it: round length from `CTF_ROUND_SECONDS` (world seconds, default
 * {@link DEFAULT_ROUND_SECONDS}). Read here, not in main.ts, so that `npm run replay -- <log> --game
 * examples/ctf/game.ts#ctf` (with the same variable) rebuilds the very game that was recorded.
 */
export const ctf = createCtf({ roundSeconds: Number(process.env.CTF_ROUND_SECONDS) || DEFAULT_ROUND_SECONDS });
