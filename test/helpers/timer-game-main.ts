/**
 * A tiny game with world-time timers for restart tests, run as a process: `node --import tsx
 * test/helpers/timer-game-main.ts [npm start options]`. Timers: `beat` every 2 world seconds,
 * one-shots `later` (60 s) and `round-end` (100 s) set by `onWorldCreated`. Every timer run prints
 * one JSON line `{"msg":"timer","name","id","due","now","step"}`; the first step of world "1" in this
 * process prints `{"msg":"probe","now","step","pending":[...]}` before the world's time advances
 * (the clock and pending one-shots the world came back with).
 */
import { defineGame, pendingWorldTimers, runMain, setWorldTimer, type FiredTimer, type GameWorld } from '../../src/index.js';

let probed = false; // once per process (a test probe, not game state)
const print = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const log = (w: GameWorld, _ctx: unknown, t: FiredTimer): void => {
  if (w.id === '1') print({ msg: 'timer', name: t.name, id: t.id, due: t.due, now: w.clock.now, step: w.clock.step });
};

const game = defineGame({
  name: 'timer-game',
  systems: [
    {
      name: 'probe',
      before: 'time',
      run: (w) => {
        if (probed || w.id !== '1') return;
        probed = true;
        print({ msg: 'probe', now: w.clock.now, step: w.clock.step, pending: pendingWorldTimers(w) });
      },
    },
  ],
  timers: [
    { name: 'beat', every: 2, run: log },
    { name: 'later', run: log },
    { name: 'round-end', run: log },
  ],
  hooks: {
    onWorldCreated: (w) => {
      setWorldTimer(w, 60, 'later');
      setWorldTimer(w, 100, 'round-end');
    },
  },
});

void runMain(game);
