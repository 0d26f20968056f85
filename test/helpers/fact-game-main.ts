/**
 * A tiny game with a fact from outside the step, for crash tests, run as a process: `node --import
 * tsx test/helpers/fact-game-main.ts [npm start options]`. Its default world holds one entity with a
 * `Sum` (defineComponent, so checkpoints carry it); fact `add` `{ tag, n }` adds `n` to it. The test
 * drives it by JSON lines on stdin:
 *
 *   {"cmd":"deliver","tag":"a","n":5}  a promise resolves; its callback delivers `add` to world "1"
 *                                      (as a game's HTTP call or ledger answer would) → {"msg":"delivered","tag","ok"}
 *   {"cmd":"checkpoint"}               a checkpoint of world "1" now (between steps) → {"msg":"checkpointed","step","saved"}
 *   {"cmd":"probe"}                    → {"msg":"probe","step","total","stats":gameFactStats}
 *
 * Every application of `add` prints {"msg":"applied","tag","n","total","step"}. Prints
 * {"msg":"ready","adminPort"} once started (restored from the data dir's checkpoint if it has one).
 */
import { createInterface } from 'node:readline';
import {
  addComponent,
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  gameFactStats,
  getStore,
  query,
  spawn,
  startServer,
  type GameWorld,
} from '../../src/index.js';

const Sum = defineComponent('Sum', { total: 'f64' });
const print = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const totalOf = (w: GameWorld): number => {
  const e = query(w, [Sum])[0];
  return e === undefined ? Number.NaN : getStore(w, Sum).total[e];
};

const add = defineFact<{ tag: string; n: number }>({
  name: 'add',
  apply: (w, p) => {
    const e = query(w, [Sum])[0];
    if (e === undefined) return;
    getStore(w, Sum).total[e] += p.n;
    print({ msg: 'applied', tag: p.tag, n: p.n, total: totalOf(w), step: w.clock.step });
  },
});

const game = defineGame({
  name: 'fact-game',
  components: [Sum],
  facts: [add],
  hooks: {
    populate: (w) => {
      addComponent(w, spawn(w, { kind: 1, x: 10, y: 10 }), Sum);
    },
  },
});

const main = async (): Promise<void> => {
  const srv = await startServer(game, { argv: process.argv.slice(2), env: process.env });
  const world = (): GameWorld => srv.runtime.defaultWorld;
  print({ msg: 'ready', adminPort: srv.adminPort });
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as { cmd: string; tag?: string; n?: number };
    if (c.cmd === 'deliver') {
      const payload = { tag: String(c.tag), n: Number(c.n) };
      // The result of an asynchronous call, brought into the world from its callback.
      void Promise.resolve(payload).then((p) => print({ msg: 'delivered', tag: p.tag, ok: deliverToWorld(world(), add, p) }));
    } else if (c.cmd === 'checkpoint') {
      await srv.runtime.checkpointer.checkpoint('1');
      const r = srv.runtime.checkpointer.report('1');
      print({ msg: 'checkpointed', step: r?.lastStep, saved: r?.saved, error: r?.lastError });
    } else if (c.cmd === 'probe') {
      const w = world();
      print({ msg: 'probe', step: w.clock.step, total: totalOf(w), stats: gameFactStats(w) });
    }
  }
};

void main();
