/**
 * Game facts and player bindings in an input log (src/replay): a game world with a real ledger
 * (SQLite store) whose players join through session facts (bound to durable ids as the session
 * registry does) and whose state changes through `deliverToWorld` facts delivered from promise
 * callbacks, keyed by durable id (`playerEntityOf`, `playerIdOf`). The log holds the facts and the
 * bindings (join records' `pid`, the header's `players` for a recording begun on the running
 * world); a replay without a ledger matches every hash. Without them (stripped from the log) it
 * does not: they are what the replay needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  addComponent,
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  getStore,
  hasComponent,
  playerEntityOf,
  playerIdOf,
  spawn,
  type GameWorld,
} from '../../../src/index.js';
import { GAME_FACT_INGEST_TYPE } from '../../../src/game/fact-state.js';
import { bindPlayer } from '../../../src/ledger/world-ledger.js';
import { SESSION_INGEST_TYPE } from '../../../src/net/player-facts.js';
import { readLog, type ReadLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { PLAYER_BIND_FACT } from '../../../src/replay/replay-players.js';
import { replayLog } from '../../../src/replay/replayer.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { ledgeredSessions } from '../../helpers/ledgered-sessions.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-rec-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Tag = defineComponent('Tag', { idh: 'u32', got: 'u32' });
const strHash = (s: string | null): number => {
  if (s === null) return 0;
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};
const tag = (w: GameWorld, e: number): void => {
  if (!hasComponent(w, e, Tag)) addComponent(w, e, Tag);
  getStore(w, Tag).idh[e] = strHash(playerIdOf(w, e));
};

const credit = defineFact<{ pid: string; n: number }>({
  name: 'credit',
  apply: (w, p) => {
    const e = playerEntityOf(w, p.pid);
    if (e !== null) getStore(w, Tag).got[e] += p.n;
  },
});
// Spawns an entity (which may reuse a removed player's id): its `playerIdOf` must be null, live and replayed.
const crate = defineFact<{ x: number }>({ name: 'crate', apply: (w, p) => tag(w, spawn(w, { kind: 1, x: p.x, y: 5 })) });

const game = defineGame({
  name: 'bound',
  components: [Tag],
  facts: [credit, crate],
  hooks: { onPlayerJoined: (w, player) => tag(w, player) },
});

const recipeOf = (w: SimWorld) => recipeOfTestWorld(w, { npcs: 0, scenes: false, inputMaxSpeed: 10, game: game.name });

describe('game facts and player bindings in the input log', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('replays facts and bindings from the seed and from a running world; stripped of them, the replay diverges', async () => {
    // As the session registry does: the ledger binds the durable id when the join applies.
    const { world: w, joinAs, leave, steps } = await ledgeredSessions(game, { id: 'b', seed: 4, capacity: 64 }, cleanup);
    const remove = (eid: number): void => leave('remove', eid);
    /** Deliver from a promise callback (the way an async result comes back). */
    const later = (fn: () => void): Promise<void> => Promise.resolve().then(fn);

    const seedLog = join(dir, 'seed.wtlog');
    const a = new Recorder(w, { path: seedLog, recipe: recipeOf, hashEvery: 2 });
    await a.start();
    const alice = joinAs('alice');
    const bob = joinAs('bob');
    await steps(1);
    const [ae, be] = [await alice, await bob];
    expect(playerIdOf(w, ae)).toBe('alice');
    await later(() => deliverToWorld(w, credit, { pid: 'alice', n: 3 }));
    await steps(3);
    await later(() => deliverToWorld(w, credit, { pid: 'bob', n: 5 }));
    remove(ae);
    await steps(2);
    // Alice is gone: a credit for her finds nobody; a crate reuses her entity id and is nobody's.
    await later(() => {
      deliverToWorld(w, credit, { pid: 'alice', n: 7 });
      deliverToWorld(w, crate, { x: 40 });
    });
    await steps(2);
    const carol = joinAs('carol');
    await steps(1);
    await later(() => deliverToWorld(w, credit, { pid: 'carol', n: 2 }));
    await steps(3);
    // A binding made outside a join (between steps): kept in the next step's `pre.binds`.
    const ce = await carol;
    bindPlayer(w, ce, 'carol-2');
    await later(() => deliverToWorld(w, credit, { pid: 'carol-2', n: 4 }));
    await steps(2);
    await a.stop();
    const T = getStore(w, Tag);
    expect([T.got[be], T.got[ce]]).toEqual([5, 6]);
    expect(T.idh[be]).toBe(strHash('bob'));

    // A recording begun on the running world: bob and carol (as carol-2) are bound already (the header says so).
    const runLog = join(dir, 'running.wtlog');
    const b = new Recorder(w, { path: runLog, recipe: recipeOf, hashEvery: 2 });
    await b.start();
    await later(() => deliverToWorld(w, credit, { pid: 'bob', n: 1 }));
    await steps(2);
    await later(() => deliverToWorld(w, crate, { x: 60 }));
    await steps(2);
    await b.stop();

    const seed = readLog(seedLog);
    const facts = seed.steps.flatMap((f) => f.facts);
    expect(facts.filter(([t]) => t === GAME_FACT_INGEST_TYPE).map(([, , p]) => (p as [string, unknown])[0])).toEqual([
      'credit',
      'credit',
      'credit',
      'crate',
      'credit',
      'credit',
    ]);
    expect(facts.filter(([t]) => t === PLAYER_BIND_FACT)).toEqual([]);
    expect(seed.steps.flatMap((f) => f.pre?.binds ?? [])).toEqual([[ce, 'carol-2']]);
    const pids = facts
      .filter(([t, , p]) => t === SESSION_INGEST_TYPE && (p as { op: string }).op === 'enter')
      .map(([, , p]) => (p as { pid?: string }).pid);
    expect(pids).toEqual(['alice', 'bob', 'carol']);
    const running = readLog(runLog);
    expect(running.header.players?.map(([, id]) => id).sort()).toEqual(['bob', 'carol-2']);

    for (const log of [seed, running]) {
      const res = await replayLog(log, undefined, { game });
      expect(res.failure).toBeNull();
      expect(res.checks.length).toBeGreaterThanOrEqual(3);
      expect(res.checks.every((c) => c.ok)).toBe(true);
    }

    // Without the facts, or without the bindings, the replay does not match.
    const strip = (log: ReadLog, fn: (l: ReadLog) => void): ReadLog => {
      const copy = structuredClone(log);
      fn(copy);
      return copy;
    };
    const noFacts = strip(seed, (l) => {
      for (const f of l.steps) f.facts = f.facts.filter(([t]) => t !== GAME_FACT_INGEST_TYPE);
    });
    const noPids = strip(seed, (l) => {
      for (const f of l.steps) for (const [, , p] of f.facts) if (p && typeof p === 'object') delete (p as { pid?: string }).pid;
    });
    const noBinds = strip(seed, (l) => {
      for (const f of l.steps) delete f.pre?.binds;
    });
    const noHeaderPlayers = strip(running, (l) => {
      delete l.header.players;
    });
    for (const log of [noFacts, noPids, noBinds, noHeaderPlayers])
      expect((await replayLog(log, undefined, { game })).failure).toMatch(/state hash/);
  }, 30_000);
});
