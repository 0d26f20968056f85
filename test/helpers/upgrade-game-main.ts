/**
 * A small studio game shipped in three versions, for test/integration/durability/game-upgrade.test.ts:
 * `UPGRADE_GAME=v1|v2|v3 node --import tsx test/helpers/upgrade-game-main.ts [npm start options]`
 * (runMain: the game's own command line, exit 2 on a refused start).
 *
 * v1: a boss NPC (kind 3) with `Health.hp` 300 replicated; catalogue potion 10, arrow 1; a `shout
 *     { text }` message; every joining player gets a `bonus` one-shot timer an hour away.
 * v2: potion costs 12, arrow is gone; `shout { msg }` (the payload schema changed); the `bonus` timer
 *     is now `bonus2` (the old name is no longer declared); `Health` gains `armor` (default 5).
 * v3: v2 with `Health.hp` narrowed from u16 to u8 (the boss's 300 does not fit).
 * `UPGRADE_BOSS_WORLD=<id>[,<id>…]` spawns the boss in those worlds only.
 */
import {
  addComponent,
  type ComponentDef,
  defineComponent,
  defineGame,
  defineMessage,
  runMain,
  setWorldTimer,
  spawn,
  Type,
} from '../../src/index.js';

const version = process.env.UPGRADE_GAME ?? 'v1';
/** `UPGRADE_BOSS_WORLD=<id>[,<id>…]`: the boss is spawned in those worlds only (default: in every world). */
const boss = process.env.UPGRADE_BOSS_WORLD?.split(',');
const noop = (): void => {};

const Health: ComponentDef =
  version === 'v1'
    ? defineComponent('Health', { hp: { type: 'u16', default: 100 } })
    : defineComponent('Health', { hp: { type: version === 'v3' ? 'u8' : 'u16', default: 100 }, armor: { type: 'u8', default: 5 } });

const shout = defineMessage({
  name: 'shout',
  schema: version === 'v1' ? Type.Object({ text: Type.String({ maxLength: 20 }) }) : Type.Object({ msg: Type.String({ maxLength: 20 }) }),
  apply: noop,
});
const bonus = version === 'v1' ? 'bonus' : 'bonus2';

const game = defineGame({
  name: 'upgrade-game',
  world: { size: 200, npcs: 0, physics: 'off' },
  net: { interestRadius: 1000 },
  components: [Health],
  messages: [shout],
  timers: [{ name: bonus, run: noop }],
  catalogue:
    version === 'v1'
      ? [
          { id: 'potion', price: 10 },
          { id: 'arrow', price: 1 },
        ]
      : [{ id: 'potion', price: 12 }],
  startingCoins: 100,
  replicate: { '3': { hp: { component: Health, field: 'hp' } } },
  hooks: {
    populate: (w) => {
      if (boss === undefined || boss.includes(w.id)) addComponent(w, spawn(w, { kind: 3, x: 100, y: 100 }), Health, { hp: 300 });
    },
    onPlayerJoined: (w, _player, { resumed }) => {
      if (!resumed) setWorldTimer(w, 3600, bonus, { coins: 5 });
    },
  },
});

void runMain(game);
