/**
 * A tiny game for the player-data crash test, run as a process: `node --import tsx
 * test/helpers/player-data-game-main.ts [npm start options]`. The first time its system runs in
 * world "1" it loads the counter of durable player `t:crash` and prints
 * `{"msg":"pd-loaded","value":…,"version":…}`, then increments it forever (one save in flight at a
 * time, 5 ms apart), printing `{"msg":"pd-saved","value":…,"version":…}` after each save resolved. Each joining
 * player's `joins` counter is incremented and printed as `{"msg":"pd-join","playerId":…,"value":…}`.
 */
import { defineGame, loadPlayerData, playerIdOf, runMain, updatePlayerData, type GameWorld } from '../../src/index.js';

let started = false; // once per process (a test probe, not game state)
const print = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const writeForever = async (w: GameWorld): Promise<void> => {
  const first = await loadPlayerData(w, 't:crash', 'counter');
  print({ msg: 'pd-loaded', ...first });
  for (;;) {
    const r = await updatePlayerData(w, 't:crash', 'counter', (cur) => ((cur as number | undefined) ?? 0) + 1);
    if (r.status === 'ok') print({ msg: 'pd-saved', value: r.value, version: r.version });
    else print({ msg: 'pd-refused', code: r.code });
    await new Promise((resolve) => setTimeout(resolve, 5)); // a few hundred lines a second, not a flood
  }
};

const game = defineGame({
  name: 'player-data-crash',
  systems: [
    {
      name: 'pd-writer',
      phase: 'behavior',
      run: (w) => {
        if (started || w.id !== '1') return;
        started = true;
        void writeForever(w);
      },
    },
  ],
  hooks: {
    onPlayerJoined: (w, player) => {
      const playerId = playerIdOf(w, player);
      void updatePlayerData(w, player, 'joins', (cur) => ((cur as number | undefined) ?? 0) + 1).then((r) =>
        print({ msg: 'pd-join', playerId, ...r }),
      );
    },
  },
});

void runMain(game);
