/**
 * A small game shipped in two versions, for test/integration/durability/game-migrate.test.ts:
 * `MIGRATE_GAME=v1|v2|v2-throw node --import tsx test/helpers/migrate-game-main.ts [npm start options]`
 * (runMain: exit 2 on a refused start).
 *
 * v1: a unit (kind 3) of class 3 with `Stats.hp` 300, replicated (`cls`, `hp`).
 * v2: `version: 2`, `Stats.maxHp` added; `migrate` remaps class 3 to 7 and fills `maxHp` from `hp`,
 *     and prints one line `{"msg":"test: migrate called","from":1,"to":2}` (test instrumentation).
 * v2-throw: v2 whose `migrate` throws `class codes unreadable`.
 */
import {
  addComponent,
  type ComponentDef,
  defineComponent,
  defineGame,
  getStore,
  hasComponent,
  query,
  runMain,
  spawn,
} from '../../src/index.js';

const version = process.env.MIGRATE_GAME ?? 'v1';
const Unit = defineComponent('Unit', { cls: 'u8' });
const Stats2 = defineComponent('Stats', { hp: 'u16', maxHp: 'u16' });
const Stats: ComponentDef = version === 'v1' ? defineComponent('Stats', { hp: 'u16' }) : Stats2;

const game = defineGame({
  name: 'migrate-game',
  version: version === 'v1' ? 1 : 2,
  world: { size: 200, npcs: 0, physics: 'off' },
  net: { interestRadius: 1000 },
  components: [Unit, Stats],
  replicate: {
    '3': {
      cls: { component: Unit, field: 'cls' },
      hp: { component: Stats, field: 'hp' },
      ...(version === 'v1' ? {} : { maxHp: { component: Stats2, field: 'maxHp' } }),
    },
  },
  hooks: {
    populate: (w) => {
      const e = spawn(w, { kind: 3, x: 100, y: 100 });
      addComponent(w, e, Unit, { cls: 3 });
      addComponent(w, e, Stats, { hp: 300 });
    },
  },
  ...(version === 'v1'
    ? {}
    : {
        migrate: ({ world, from, to }) => {
          if (version === 'v2-throw') throw new Error('class codes unreadable');
          const unit = getStore(world, Unit);
          const stats = getStore(world, Stats2);
          for (const e of query(world, [unit])) {
            if (unit.cls[e] === 3) unit.cls[e] = 7;
            if (hasComponent(world, e, Stats2)) stats.maxHp[e] = stats.hp[e] ?? 0;
          }
          process.stdout.write(`${JSON.stringify({ msg: 'test: migrate called', from, to })}\n`);
        },
      }),
});

void runMain(game);
