/**
 * A game whose message handler starts a promise that rejects — the shape of a game bug a client can
 * trigger: `note { text }` delivers the text as a fact from a promise callback, and a text over the
 * fact's `maxBytes` makes `deliverToWorld` throw there (an unhandled rejection, not a throw in the
 * step). Run by `runMain`, as a game's main is: `node --import tsx test/helpers/rejecting-game-main.ts
 * [npm start options]`. Every applied `noted` fact prints {"msg":"noted","text"}.
 */
import { defineFact, defineGame, defineMessage, deliverToWorld, runMain, Type } from '../../src/index.js';

const noted = defineFact<{ text: string }>({
  name: 'noted',
  maxBytes: 64,
  apply: (_w, p) => {
    process.stdout.write(`${JSON.stringify({ msg: 'noted', text: p.text })}\n`);
  },
});

const note = defineMessage({
  name: 'note',
  schema: Type.Object({ text: Type.String({ maxLength: 200 }) }),
  apply: (world, _player, { text }) => {
    void Promise.resolve().then(() => deliverToWorld(world, noted, { text }));
  },
});

void runMain(defineGame({ name: 'rejecting-game', world: { npcs: 0, physics: 'off' }, messages: [note], facts: [noted] }));
