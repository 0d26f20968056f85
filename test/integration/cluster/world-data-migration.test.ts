/**
 * A game world's data (`setWorldData`, docs/GAME-API.md "World data") moves with the world: two
 * in-process runtimes serving the same game over a real redis-server and PostgreSQL, a world created
 * on `a` whose `populate` sets its data and whose system counts steps in it, moved a → b by
 * `POST /worlds/{id}/migrate`. On `b` the data is the one `a` had (set by `populate`, the count going
 * on from where it was), not a fresh world's — read from the game's own log lines (`gameLog`).
 */
import { describe, expect, it } from 'vitest';
import { defineGame, gameLog, getWorldData, setWorldData } from '../../../src/index.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { ownersFrom, until } from '../../helpers/cluster-instances.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster world data migration');

interface Data {
  born: string;
  n: number;
}
const game = defineGame({
  name: 'wd-move',
  world: { npcs: 0, physics: 'off' },
  systems: [
    {
      name: 'count',
      phase: 'behavior',
      run: (w) => {
        const d = getWorldData<Data>(w);
        const next = { born: d?.born ?? `fresh at step ${w.clock.step}`, n: (d?.n ?? 0) + 1 };
        setWorldData(w, next);
        if (next.n % 10 === 0) gameLog(w).info({ data: next }, 'wd: data');
      },
    },
  ],
  hooks: { populate: (w) => setWorldData(w, { born: 'populate', n: 0 }) },
});

/** The data `inst` logged for world `wd`, in order. */
const logged = (inst: { lines: Array<Record<string, unknown>> }): Data[] =>
  inst.lines.filter((l) => l.msg === 'wd: data' && l.world === 'wd').map((l) => l.data as Data);

describe.skipIf(skip !== null)('cluster: world data across a migration', () => {
  const { inst } = twoRuntimesOwning(sharedPg as PgServer, { worldId: 'wd', worldNpcs: 0, args: ['--lease-ttl', '3'], game });

  it('the world arrives on b with the data it had on a', async () => {
    const [a, b] = [inst[0], inst[1]];
    await until('a logs the data', () => logged(a).length >= 2);
    const m = await a.api('POST', '/api/v1/worlds/wd/migrate', { to: 'b' });
    expect(m.status, JSON.stringify(m.json)).toBe(200);
    const before = logged(a);
    const last = before[before.length - 1];
    await until('b logs the data', () => logged(b).length >= 2);
    expect((await ownersFrom(a)).wd).toBe('b');
    expect(before.every((d) => d.born === 'populate')).toBe(true);
    const after = logged(b);
    // Not a fresh world's (born at its first step) and not back at 0: the count goes on from a's.
    expect(after.every((d) => d.born === 'populate')).toBe(true);
    expect(after[0]?.n).toBeGreaterThan(last?.n ?? Number.POSITIVE_INFINITY);
  }, 90_000);
});
