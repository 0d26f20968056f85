/**
 * Royale: last player standing, in rounds, on a shrinking safe zone. Built on the public API only
 * (`src/index.ts`).
 *
 *   lobby ──(≥ minPlayers bodies)──► countdown ──(timer)──► play ──(≤ 1 standing)──► result ──(timer)──► lobby
 *
 * - **Round state** lives in a board entity (kind {@link BOARD_KIND}, at the zone's centre): phase,
 *   round number, the phase's end, the zone radius, fighters and fighters standing, the winner.
 * - **Seats.** When play starts every body in the world gets a seat: a game entity (kind
 *   {@link SEAT_KIND}) holding its hp, whether it stands, its place and its last position, and
 *   the fighter's durable player id in the round's **roster** (the world's data, `setWorldData`:
 *   checkpointed with the world, cleared at the next lobby). A player entity is dropped by a
 *   restart and its components with it; the seat is not: a fighter who comes back (a new session,
 *   or the same after a crash) is put back on its seat, at its place, with its hp. A fighter away
 *   stays where it was and the zone keeps hurting it.
 * - **Zone.** The `zone` repeating timer (every {@link ZONE_TICK_SECONDS} world seconds) shrinks
 *   the radius linearly to 0 at the end of play and takes {@link ZONE_DPS} hp per world second from
 *   every standing seat outside it (by world time passed since its last run, so a step that skips
 *   due times hurts the same).
 * - **Eliminated**: the seat is out, its fighter becomes a camera (`setSpectator`), every session
 *   hears `eliminated`, and it is paid for its place at once through the ledger
 *   (`grantPlayerReward` by durable id, key `royale-<round key>`: once per player and round even when
 *   a restart plays the end of the round again). The last one standing is paid {@link WIN_COINS}.
 * - **Mid-round joins** (play, result) are cameras until the next lobby; `spectator` sessions always are.
 * - **Loot crates** (kind {@link CRATE_KIND}) are spawned at play start; a fighter within
 *   {@link LOOT_RADIUS} loots one and heals {@link CRATE_HEAL}.
 * - **Idle**: a standing fighter without a new input for `idleSeconds` of world time is out (paid
 *   for its place) and kicked (`kickPlayer`, reason `idle`).
 * - **Versions.** This is version 2 of royale's data (upgrade.ts): version 1 kept the roster in a
 *   never-firing timer's payload; `migrate` moves it into the world data when a version-1 checkpoint
 *   is restored.
 *
 * The round key is the world step at which play started, not the round number: a world restored
 * from an older checkpoint numbers its next rounds again, and a number already paid for a round the
 * crash lost would be paid to other fighters (or refused, `TX_KEY_CONFLICT`). World time after a
 * crash comes back at the last clock record (docs/GAME-API.md "Timers"), so a step number is never
 * reused by a round that paid anything.
 */
import {
  addComponent,
  defineGame,
  despawn,
  type GameWorld,
  getStore,
  hasComponent,
  isPlayerConnected,
  isSpectator,
  nextRange,
  kickPlayer,
  playerIdOf,
  playerRow,
  query,
  setSpectator,
  setWorldData,
  spawn,
} from '../../src/index.js';
import {
  BOARD_KIND,
  COUNTDOWN,
  CRATE_HEAL,
  CRATE_KIND,
  LOBBY,
  LOOT_RADIUS,
  MAX_HP,
  PLAY,
  RESULT,
  SEAT_KIND,
  WORLD_SIZE,
  ZONE_DPS,
  ZONE_START_RADIUS,
} from './rules.js';
import {
  Board,
  bodies,
  boardOf,
  Crate,
  CRATES_PER_FIGHTER,
  eliminate,
  eliminated,
  endRound,
  Fighter,
  type Roster,
  roster,
  roundResult,
  Seat,
  seatPlayer,
  setPhase,
  ZONE_TICK_SECONDS,
} from './round.js';
import { migrateRoyale, ROYALE_VERSION, V1_ROSTER_TIMER } from './upgrade.js';

export * from './rules.js';
export { Board, Crate, CRATES_PER_FIGHTER, eliminated, Fighter, roundResult, Seat, ZONE_TICK_SECONDS } from './round.js';

/** Options of {@link createRoyale} (world seconds). */
export interface RoyaleOptions {
  minPlayers?: number;
  countdownSeconds?: number;
  playSeconds?: number;
  resultSeconds?: number;
  /** A standing fighter without a new input for this long is out and kicked (reason `idle`); 0: never. */
  idleSeconds?: number;
}

/** A royale game definition (tests shorten the phases). */
export const createRoyale = (o: RoyaleOptions = {}) => {
  const minPlayers = o.minPlayers ?? 2,
    countdownSeconds = o.countdownSeconds ?? 5,
    playSeconds = o.playSeconds ?? 60,
    resultSeconds = o.resultSeconds ?? 5,
    idleSeconds = o.idleSeconds ?? 30;

  const startPlay = (world: GameWorld, board: number): void => {
    const fighters = bodies(world);
    if (fighters.length < minPlayers) return setPhase(world, board, LOBBY, 0);
    const b = getStore(world, Board),
      f = getStore(world, Fighter),
      pos = world.stores.Position;
    const c = WORLD_SIZE / 2,
      n = fighters.length,
      pids: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = fighters[i];
      // Fighters on a spiral: the first nearest the centre (the zone catches the others first).
      const r = ZONE_START_RADIUS * (0.2 + (0.6 * i) / Math.max(1, n - 1)),
        a = i * 2.39996;
      const x = c + r * Math.cos(a),
        y = c + r * Math.sin(a);
      const seat = spawn(world, { kind: SEAT_KIND, x: 1, y: 1, replicate: false }); // world state only: no client sees it
      addComponent(world, seat, Seat, { idx: i, hp: MAX_HP, alive: 1, player: p, x, y });
      f.seat[p] = seat;
      f.hp[p] = MAX_HP;
      f.activeAt[p] = world.clock.now;
      pos.x[p] = x;
      pos.y[p] = y;
      pids.push(playerIdOf(world, p) ?? '');
    }
    for (let i = 0; i < n * CRATES_PER_FIGHTER; i++) {
      const r = nextRange(world.rng, 0, ZONE_START_RADIUS * 0.8),
        a = nextRange(world.rng, 0, 2 * Math.PI);
      addComponent(world, spawn(world, { kind: CRATE_KIND, x: c + r * Math.cos(a), y: c + r * Math.sin(a) }), Crate, { heal: CRATE_HEAL });
    }
    b.key[board] = world.clock.step;
    b.fighters[board] = n;
    b.alive[board] = n;
    b.winner[board] = 0;
    b.zoneR[board] = ZONE_START_RADIUS;
    b.zoneAt[board] = world.clock.now;
    // The roster is the world's data: checkpointed with the round, cleared at the next lobby.
    setWorldData(world, { key: b.key[board], pids } satisfies Roster);
    setPhase(world, board, PLAY, playSeconds);
  };

  const newRound = (world: GameWorld, board: number): void => {
    const b = getStore(world, Board),
      f = getStore(world, Fighter);
    for (const e of [...query(world, [Seat]), ...query(world, [Crate])]) despawn(world, e);
    setWorldData(world, null);
    b.round[board]++;
    for (const p of query(world, [Fighter])) {
      f.seat[p] = 0;
      f.hp[p] = MAX_HP;
      if (f.watcher[p] === 0 && isSpectator(world, p)) setSpectator(world, p, false); // back in for the next round
    }
    setPhase(world, board, LOBBY, 0);
  };

  /** The `zone` timer: shrink, then hurt every standing seat outside; the round ends at ≤ 1 standing. */
  const zone = (world: GameWorld): void => {
    const board = boardOf(world);
    const b = getStore(world, Board);
    if (board === 0 || b.phase[board] !== PLAY) return;
    const now = world.clock.now,
      dt = now - b.zoneAt[board];
    b.zoneAt[board] = now;
    const r = ZONE_START_RADIUS * Math.max(0, (b.endsAt[board] - now) / playSeconds);
    b.zoneR[board] = r;
    const s = getStore(world, Seat),
      c = WORLD_SIZE / 2;
    const out: Array<{ seat: number; before: number }> = [];
    for (const seat of query(world, [Seat])) {
      if (s.alive[seat] !== 1 || Math.hypot(s.x[seat] - c, s.y[seat] - c) <= r) continue;
      const before = s.hp[seat];
      s.hp[seat] = before - ZONE_DPS * dt;
      if (s.hp[seat] <= 0) out.push({ seat, before });
    }
    // Several out in one tick: the one that had more hp places better; the last of all wins.
    out.sort((x, y) => x.before - y.before || s.idx[x.seat] - s.idx[y.seat]);
    for (const { seat } of out) {
      if (b.alive[board] <= 1) s.hp[seat] = 1;
      else eliminate(world, board, seat);
    }
    if (b.alive[board] <= 1) endRound(world, board, { resultSeconds });
  };

  /** The `royale` system (after movement): lobby → countdown, seats follow their players, loot, hp shown. */
  const royale = (world: GameWorld): void => {
    const board = boardOf(world);
    if (board === 0) return;
    const b = getStore(world, Board),
      phase = b.phase[board];
    if (phase === LOBBY && bodies(world).length >= minPlayers) setPhase(world, board, COUNTDOWN, countdownSeconds);
    if (phase !== PLAY) return;
    const s = getStore(world, Seat),
      f = getStore(world, Fighter),
      pos = world.stores.Position;
    const crates = [...query(world, [Crate])];
    for (const seat of query(world, [Seat])) {
      const p = seatPlayer(world, seat);
      if (p === 0 || s.alive[seat] !== 1) continue;
      const seq = world.stores.Player.lastInputSeq[playerRow(world.stores, p)];
      if (seq !== f.seq[p]) {
        f.seq[p] = seq;
        f.activeAt[p] = world.clock.now;
      } else if (idleSeconds > 0 && world.clock.now - f.activeAt[p] > idleSeconds && isPlayerConnected(world, p)) {
        // (A parked fighter — socket dropped, waiting for a resume — is left to the zone: kickPlayer refuses it.)
        // Idle: out of the round (paid for its place like any elimination), then its session ended.
        eliminate(world, board, seat);
        kickPlayer(world, p, { reason: 'idle' });
        if (b.alive[board] <= 1) return endRound(world, board, { resultSeconds });
        continue;
      }
      s.x[seat] = pos.x[p];
      s.y[seat] = pos.y[p];
      for (const crate of crates) {
        if (!hasComponent(world, crate, Crate) || Math.hypot(pos.x[crate] - s.x[seat], pos.y[crate] - s.y[seat]) > LOOT_RADIUS) continue;
        s.hp[seat] = Math.min(MAX_HP, s.hp[seat] + getStore(world, Crate).heal[crate]);
        despawn(world, crate);
      }
      f.hp[p] = s.hp[seat];
    }
  };

  return defineGame({
    name: 'royale',
    version: ROYALE_VERSION, // 2: the roster in the world data (version 1: in a timer's payload; upgrade.ts)
    migrate: migrateRoyale,
    world: { size: WORLD_SIZE, npcs: 0, physics: 'off' }, // timeScale 1 (a game's default): world seconds are wall seconds
    net: { interestRadius: 300, maxSpeed: 20 }, // the whole map in view
    components: [Board, Seat, Fighter, Crate],
    serverMessages: [eliminated, roundResult],
    systems: [{ name: 'royale', after: 'movement', run: royale }],
    timers: [
      { name: 'zone', every: ZONE_TICK_SECONDS, after: 'royale', run: zone },
      {
        name: 'phase',
        run: (world, _ctx, t) => {
          const board = boardOf(world);
          const { round, phase } = t.payload as { round: number; phase: number };
          const b = getStore(world, Board);
          if (board === 0 || b.round[board] !== round || b.phase[board] !== phase) return; // stale (the lobby went back)
          if (phase === COUNTDOWN) startPlay(world, board);
          else newRound(world, board);
        },
      },
      V1_ROSTER_TIMER, // kept for version 1's checkpoints: migrate reads it (upgrade.ts)
    ],
    replicate: {
      player: { hp: { component: Fighter, field: 'hp' } },
      [CRATE_KIND]: { heal: { component: Crate, field: 'heal' } },
      [BOARD_KIND]: {
        phase: { component: Board, field: 'phase' },
        round: { component: Board, field: 'round' },
        endsAt: { component: Board, field: 'endsAt', scale: 100 },
        zoneR: { component: Board, field: 'zoneR', scale: 100 },
        fighters: { component: Board, field: 'fighters' },
        alive: { component: Board, field: 'alive' },
        winner: { component: Board, field: 'winner' },
      },
    },
    hooks: {
      populate: (world) => {
        addComponent(world, spawn(world, { kind: BOARD_KIND, x: WORLD_SIZE / 2, y: WORLD_SIZE / 2 }), Board);
      },
      onPlayerJoined: (world, player, { resumed, sessionClass }) => {
        const watcher = sessionClass === 'spectator' || sessionClass === 'observer';
        const f = getStore(world, Fighter);
        if (resumed && hasComponent(world, player, Fighter)) {
          // Reattached to its entity. The engine set the camera tag from the session's class again,
          // undoing a setSpectator of ours: an eliminated fighter must not get its body back by
          // reconnecting. Keep the seat when it still stands; else decide as for a new join below.
          f.watcher[player] = watcher ? 1 : 0;
          if (f.seat[player] !== 0 && seatPlayer(world, f.seat[player]) === player) {
            if (watcher)
              getStore(world, Seat).player[f.seat[player]] = 0; // a spectator session took it over: away
            else if (getStore(world, Seat).alive[f.seat[player]] === 1) return;
          }
        } else addComponent(world, player, Fighter, { watcher: watcher ? 1 : 0 });
        const board = boardOf(world);
        const b = getStore(world, Board);
        if (watcher || board === 0 || (b.phase[board] !== PLAY && b.phase[board] !== RESULT)) return;
        // Mid-round: back on its seat if it fights in this round (a new session, or after a restart)...
        const pid = playerIdOf(world, player),
          idx = pid === null ? -1 : (roster(world)?.pids.indexOf(pid) ?? -1);
        const s = getStore(world, Seat);
        for (const seat of query(world, [Seat])) {
          if (s.idx[seat] !== idx || s.alive[seat] !== 1 || b.phase[board] !== PLAY) continue;
          s.player[seat] = player;
          f.seat[player] = seat;
          f.hp[player] = s.hp[seat];
          f.activeAt[player] = world.clock.now;
          world.stores.Position.x[player] = s.x[seat];
          world.stores.Position.y[player] = s.y[seat];
          return;
        }
        setSpectator(world, player, true); // ...else it watches until the next lobby
      },
    },
  });
};

const env = (name: string): number | undefined => (process.env[name] === undefined ? undefined : Number(process.env[name]));

/**
 * The game as `main.ts` serves it: `ROYALE_MIN_PLAYERS`, `ROYALE_COUNTDOWN_SECONDS`,
 * `ROYALE_PLAY_SECONDS`, `ROYALE_RESULT_SECONDS` (world seconds). Read here, not in main.ts, so a
 * replay (`--game examples/royale/game.ts#royale`, same variables) rebuilds the game recorded.
 */
export const royale = createRoyale({
  minPlayers: env('ROYALE_MIN_PLAYERS'),
  countdownSeconds: env('ROYALE_COUNTDOWN_SECONDS'),
  playSeconds: env('ROYALE_PLAY_SECONDS'),
  resultSeconds: env('ROYALE_RESULT_SECONDS'),
});
