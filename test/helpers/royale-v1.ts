/**
 * examples/royale as version 1 shipped it (before commit 57b4cf49; `git show 57b4cf49^:examples/royale/game.ts`
 * and `round.ts`), for the upgrade tests (test/integration/examples/royale-upgrade.test.ts,
 * test/unit/examples/royale-migrate.test.ts): the data a version-1 server checkpoints, frozen.
 *
 * Version 1 kept the round's roster of durable player ids as the JSON payload of a one-shot `roster`
 * timer that never fires (due in `MAX_TIMER_DELAY_SECONDS`), its id in `Board.roster`; the timer was
 * cleared at the next lobby. Its name (`royale`) and version (1, the default) are what its checkpoints
 * record. Faithful in what it stores — the components (declared here as version 1 had them), timers,
 * seats, crates, roster, rewards by durable id — and in the round's rules; left out, as the tests do not
 * reach them: the idle rule, the resumed-session branch of `onPlayerJoined`, and the log line of a
 * refused reward. The helpers that did
 * not change (`boardOf`, `setPhase`, `bodies`, `seatPlayer`, the server messages) are the example's,
 * looked up by component name.
 */
import {
  addComponent,
  broadcast,
  clearWorldTimer,
  defineComponent,
  defineGame,
  despawn,
  type GameWorld,
  getStore,
  grantPlayerReward,
  hasComponent,
  isSpectator,
  MAX_TIMER_DELAY_SECONDS,
  nextRange,
  pendingWorldTimers,
  playerIdOf,
  query,
  setSpectator,
  setWorldTimer,
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
  placeCoins,
  RESULT,
  SEAT_KIND,
  WORLD_SIZE,
  ZONE_DPS,
  ZONE_START_RADIUS,
} from '../../examples/royale/rules.js';
import {
  bodies,
  boardOf,
  CRATES_PER_FIGHTER,
  eliminated,
  roundResult,
  seatPlayer,
  setPhase,
  ZONE_TICK_SECONDS,
} from '../../examples/royale/round.js';

/** Version 1's board: `roster` is the id of the pending `roster` timer holding the roster (0: none). */
export const BoardV1 = defineComponent('Board', {
  phase: 'u8',
  round: { type: 'u32', default: 1 },
  key: 'u32',
  endsAt: 'f64',
  zoneAt: 'f64',
  zoneR: 'f32',
  fighters: 'u16',
  alive: 'u16',
  winner: 'u32',
  roster: 'u32',
});
const Seat = defineComponent('Seat', { idx: 'u16', hp: 'f32', alive: 'u8', place: 'u16', player: 'u32', x: 'f32', y: 'f32' });
const Fighter = defineComponent('Fighter', {
  seat: 'u32',
  hp: { type: 'f32', default: MAX_HP },
  watcher: 'u8',
  seq: 'u32',
  activeAt: 'f64',
});
const Crate = defineComponent('Crate', { heal: 'u8' });

/** The roster as version 1's `roster` timer holds it. */
export interface RosterV1 {
  key: number;
  pids: string[];
}

/** Set the roster as version 1 did (at play start): a never-firing `roster` timer, its id on the board. */
export const setRosterV1 = (world: GameWorld, board: number, roster: RosterV1): void => {
  getStore(world, BoardV1).roster[board] = setWorldTimer(world, MAX_TIMER_DELAY_SECONDS, 'roster', roster);
};

const rosterV1 = (world: GameWorld, board: number): RosterV1 | null => {
  const id = getStore(world, BoardV1).roster[board];
  for (const t of pendingWorldTimers(world)) if (t.id === id) return t.payload as RosterV1;
  return null;
};

const pay = (world: GameWorld, board: number, seat: number, place: number): number => {
  const b = getStore(world, BoardV1);
  const coins = placeCoins(place, b.fighters[board]);
  const pid = rosterV1(world, board)?.pids[getStore(world, Seat).idx[seat]];
  if (pid !== undefined) void grantPlayerReward(world, pid, { key: `royale-${b.key[board]}`, coins });
  return coins;
};

const eliminate = (world: GameWorld, board: number, seat: number): void => {
  const b = getStore(world, BoardV1),
    s = getStore(world, Seat);
  const place = b.alive[board];
  b.alive[board] = place - 1;
  s.alive[seat] = 0;
  s.hp[seat] = 0;
  s.place[seat] = place;
  const coins = pay(world, board, seat, place);
  const player = seatPlayer(world, seat);
  if (player !== 0) getStore(world, Fighter).hp[player] = 0;
  if (player !== 0) setSpectator(world, player, true);
  broadcast(world, eliminated, { round: b.round[board], player, place, fighters: b.fighters[board], coins });
};

const endRound = (world: GameWorld, board: number, resultSeconds: number): void => {
  const s = getStore(world, Seat),
    b = getStore(world, BoardV1);
  let winner = 0;
  for (const seat of query(world, [Seat])) {
    if (s.alive[seat] !== 1) continue;
    s.place[seat] = 1;
    pay(world, board, seat, 1);
    winner = seatPlayer(world, seat);
  }
  b.alive[board] = 0;
  b.winner[board] = winner;
  setPhase(world, board, RESULT, resultSeconds);
  broadcast(world, roundResult, { round: b.round[board], winner, fighters: b.fighters[board] });
};

/** Version 1 of royale (world seconds), as `createRoyale` built it then. */
export const createRoyaleV1 = (
  o: { minPlayers?: number; countdownSeconds?: number; playSeconds?: number; resultSeconds?: number } = {},
) => {
  const minPlayers = o.minPlayers ?? 2,
    countdownSeconds = o.countdownSeconds ?? 5,
    playSeconds = o.playSeconds ?? 60,
    resultSeconds = o.resultSeconds ?? 5;

  const startPlay = (world: GameWorld, board: number): void => {
    const fighters = bodies(world);
    if (fighters.length < minPlayers) return setPhase(world, board, LOBBY, 0);
    const b = getStore(world, BoardV1),
      f = getStore(world, Fighter),
      pos = world.stores.Position;
    const c = WORLD_SIZE / 2,
      n = fighters.length,
      pids: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = fighters[i];
      const r = ZONE_START_RADIUS * (0.2 + (0.6 * i) / Math.max(1, n - 1)),
        a = i * 2.39996;
      const x = c + r * Math.cos(a),
        y = c + r * Math.sin(a);
      const seat = spawn(world, { kind: SEAT_KIND, x: 1, y: 1, replicate: false });
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
    setRosterV1(world, board, { key: b.key[board], pids });
    setPhase(world, board, PLAY, playSeconds);
  };

  const newRound = (world: GameWorld, board: number): void => {
    const b = getStore(world, BoardV1),
      f = getStore(world, Fighter);
    for (const e of [...query(world, [Seat]), ...query(world, [Crate])]) despawn(world, e);
    clearWorldTimer(world, b.roster[board]);
    b.roster[board] = 0;
    b.round[board]++;
    for (const p of query(world, [Fighter])) {
      f.seat[p] = 0;
      f.hp[p] = MAX_HP;
      if (f.watcher[p] === 0 && isSpectator(world, p)) setSpectator(world, p, false);
    }
    setPhase(world, board, LOBBY, 0);
  };

  const zone = (world: GameWorld): void => {
    const board = boardOf(world);
    const b = getStore(world, BoardV1);
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
    out.sort((x, y) => x.before - y.before || s.idx[x.seat] - s.idx[y.seat]);
    for (const { seat } of out) {
      if (b.alive[board] <= 1) s.hp[seat] = 1;
      else eliminate(world, board, seat);
    }
    if (b.alive[board] <= 1) endRound(world, board, resultSeconds);
  };

  const royale = (world: GameWorld): void => {
    const board = boardOf(world);
    if (board === 0) return;
    const phase = getStore(world, BoardV1).phase[board];
    if (phase === LOBBY && bodies(world).length >= minPlayers) setPhase(world, board, COUNTDOWN, countdownSeconds);
    if (phase !== PLAY) return;
    const s = getStore(world, Seat),
      f = getStore(world, Fighter),
      pos = world.stores.Position;
    const crates = [...query(world, [Crate])];
    for (const seat of query(world, [Seat])) {
      const p = seatPlayer(world, seat);
      if (p === 0 || s.alive[seat] !== 1) continue;
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
    world: { size: WORLD_SIZE, npcs: 0, physics: 'off' },
    net: { interestRadius: 300, maxSpeed: 20 },
    components: [BoardV1, Seat, Fighter, Crate],
    serverMessages: [eliminated, roundResult],
    systems: [{ name: 'royale', after: 'movement', run: royale }],
    timers: [
      { name: 'zone', every: ZONE_TICK_SECONDS, after: 'royale', run: zone },
      {
        name: 'phase',
        run: (world, _ctx, t) => {
          const board = boardOf(world);
          const { round, phase } = t.payload as { round: number; phase: number };
          const b = getStore(world, BoardV1);
          if (board === 0 || b.round[board] !== round || b.phase[board] !== phase) return;
          if (phase === COUNTDOWN) startPlay(world, board);
          else newRound(world, board);
        },
      },
      { name: 'roster', run: () => {} },
    ],
    replicate: {
      player: { hp: { component: Fighter, field: 'hp' } },
      [CRATE_KIND]: { heal: { component: Crate, field: 'heal' } },
      [BOARD_KIND]: {
        phase: { component: BoardV1, field: 'phase' },
        round: { component: BoardV1, field: 'round' },
        endsAt: { component: BoardV1, field: 'endsAt', scale: 100 },
        zoneR: { component: BoardV1, field: 'zoneR', scale: 100 },
        fighters: { component: BoardV1, field: 'fighters' },
        alive: { component: BoardV1, field: 'alive' },
        winner: { component: BoardV1, field: 'winner' },
      },
    },
    hooks: {
      populate: (world) => {
        addComponent(world, spawn(world, { kind: BOARD_KIND, x: WORLD_SIZE / 2, y: WORLD_SIZE / 2 }), BoardV1);
      },
      onPlayerJoined: (world, player, { sessionClass }) => {
        const watcher = sessionClass === 'spectator' || sessionClass === 'observer';
        const f = getStore(world, Fighter);
        addComponent(world, player, Fighter, { watcher: watcher ? 1 : 0 });
        const board = boardOf(world);
        const b = getStore(world, BoardV1);
        if (watcher || board === 0 || (b.phase[board] !== PLAY && b.phase[board] !== RESULT)) return;
        const pid = playerIdOf(world, player),
          idx = pid === null ? -1 : (rosterV1(world, board)?.pids.indexOf(pid) ?? -1);
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
        setSpectator(world, player, true);
      },
    },
  });
};

const env = (name: string): number | undefined => (process.env[name] === undefined ? undefined : Number(process.env[name]));

/** Version 1 as its main.ts served it (the same `ROYALE_*` variables). */
export const royaleV1 = createRoyaleV1({
  minPlayers: env('ROYALE_MIN_PLAYERS'),
  countdownSeconds: env('ROYALE_COUNTDOWN_SECONDS'),
  playSeconds: env('ROYALE_PLAY_SECONDS'),
  resultSeconds: env('ROYALE_RESULT_SECONDS'),
});
