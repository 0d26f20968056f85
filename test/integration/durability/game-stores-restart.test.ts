/**
 * A game's worlds survive a restart with their own component stores: a real runtime of a game
 * (defineComponent stores changed every step by a game system, on entities the game spawned)
 * runs, stops (graceful: a final checkpoint of every world), and a second runtime on the same data
 * directory brings the default world back with every game store value, member and the same game
 * state hash — before its first step. A world created through the admin API with a physics block
 * comes back with that physics (it is in the world record).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { addComponent, defineComponent, defineGame, getStore, hashWorldState, query, spawn, type GameWorld } from '../../../src/index.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const TOKEN = 'game-stores-token';
const Counter = defineComponent('Counter', { n: 'u32', at: 'f64', bias: { type: 'i16', default: -5 } });

interface Seen {
  hash: string;
  members: number[];
  n: number[];
  at: number[];
  bias: number[];
}
const seen = (w: GameWorld): Seen => {
  const c = getStore(w, Counter);
  const members = Array.from(query(w, [Counter]));
  return {
    hash: hashWorldState(w),
    members,
    n: members.map((e) => c.n[e]),
    at: members.map((e) => c.at[e]),
    bias: members.map((e) => c.bias[e]),
  };
};

const deleted: Seen[] = [];
const game = defineGame({
  name: 'counters',
  components: [Counter],
  systems: [
    {
      name: 'count',
      phase: 'behavior',
      run: (w) => {
        const c = getStore(w, Counter);
        const list = query(w, [Counter]);
        for (let i = 0; i < list.length; i++) {
          const e = list[i];
          c.n[e] += 1 + (e % 3);
          c.at[e] = w.clock.now;
          c.bias[e] = (c.bias[e] * 7 + e) % 1000;
        }
      },
    },
  ],
  hooks: {
    populate: (w, setup) => {
      for (let i = 0; i < setup.npcs; i++) addComponent(w, spawn(w, { kind: 1, x: 10 + i * 3, y: 20 + i * 2 }), Counter, { bias: i });
    },
    // Runs at stop after the final checkpoint: the state that checkpoint holds.
    onWorldDeleted: (w) => {
      if (w.id === '1') deleted.push(seen(w));
    },
  },
});

const data = tempDataDir('wt-game-stores-');
afterAll(() => data.remove());

const runtime = (): Runtime =>
  createRuntime(
    parseOptions(
      [
        '--data-dir',
        data.dir,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--npcs',
        '60',
        '--stats-interval',
        '0',
        '--checkpoint-interval',
        '0',
        '--admin-token',
        TOKEN,
      ],
      {},
    ),
    createLogger('silent'),
    game,
  );

const api = async (rt: Runtime, method: string, path: string, body?: unknown) => {
  const res = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('game component stores survive a restart', () => {
  it('values, members and the game state hash come back; an admin world keeps its physics', async () => {
    const a = runtime();
    await a.start();
    const obstacles = [{ minX: 40, minY: 40, maxX: 60, maxY: 60, kind: 0 }];
    try {
      const created = await api(a, 'POST', '/worlds', { id: 'w2', npcs: 10, capacity: 100, seed: 4, physics: { obstacles } });
      expect(created.status).toBe(201);
      expect(a.runner.get('w2').physics?.config.obstacles).toEqual(obstacles);
      // Some steps of the game system before the stop (a hang guard, not a timing claim).
      for (let i = 0; i < 400 && a.runner.get('1').clock.step < 3; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await a.stop();
    }
    expect(deleted).toHaveLength(1);
    const before = deleted[0];
    expect(before.members).toHaveLength(60);
    expect(Math.min(...before.n)).toBeGreaterThan(0);

    const b = runtime();
    const restored: Seen[] = [];
    b.onWorldRestored((w) => {
      if (w.id === '1') restored.push(seen(w)); // before the loop ticks it
    });
    await b.start();
    try {
      expect(restored).toEqual([before]);
      const w2 = b.runner.get('w2');
      expect(w2.physics?.config.obstacles).toEqual(obstacles);
      expect(w2.physics?.config.enabled).toBe(true);
    } finally {
      await b.stop();
    }
  }, 30_000);
});
