/**
 * A failover takeover whose fencing-token announce the store does not answer (its connection silently dropped:
 * docs/CLUSTER.md "A store that does not answer") gives its lease back — and must not take the world again while
 * that announce is still in flight. Before, each control tick acquired the lease anew (a new fencing token, a
 * Redis write, an info and a warn line), found the announce pending and gave the lease back: the token climbed by
 * one per tick until the heal, and the store was then sent every one of those tokens in turn. A real SQLite store
 * whose `fence` of w2 waits for the test; a cluster service over an in-process hub on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import type { ClusterServiceOptions } from '../../../src/server/cluster-types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { orphanTaker, storeOrphan } from '../../helpers/orphan-taker.js';
import { gate, setUp, sleep } from '../../helpers/tick-two-worlds.js';

/**
 * `b` held w2 (token 1) until 500 ms and is gone; `a` (which owns w1) hosts a copy of w2 from 600 ms, takes it over
 * (the `adopt` hook) and its announce of w2 hangs until `fenced` opens. Runs `body` over a temp SQLite store.
 */
const withHangingAnnounce = async (
  body: (x: Awaited<ReturnType<typeof setUp>> & { fences: number[]; adopts: () => number; open: () => void }) => Promise<void>,
  varied: Partial<ClusterServiceOptions> = {},
): Promise<void> => {
  const data = tempDataDir('wt-announce-churn-');
  const store = new SqliteStore({ dataDir: data.dir });
  const fenced = gate<void>();
  const fences: number[] = [];
  let adopts = 0;
  try {
    const x = await setUp(store, {
      store: {
        fence: async (f) => {
          if (f.worldId === 'w2') {
            fences.push(f.token);
            await fenced.wait;
          }
          return store.fence(f);
        },
      },
      adopt: async () => {
        adopts++;
        return true;
      },
      ...varied,
    });
    expect((await x.b.acquire('w2', 'b', 500)).ok).toBe(true);
    await x.c.kick(); // a sees b's lease of w2: a grant here is a takeover
    x.clock.now = 600;
    x.worlds.push(x.w2);
    await body({ ...x, fences, adopts: () => adopts, open: () => fenced.open() });
  } finally {
    fenced.open();
    await store.close();
    data.remove();
  }
};

describe('a failover takeover whose announce the store does not answer', () => {
  it('takes the world once, not at every control tick: one token burnt, one announce, until the store answers', async () => {
    const { lines, logger } = jsonLogSink('info');
    await withHangingAnnounce(
      async (x) => {
        for (let i = 0; i < 10; i++) {
          await x.c.kick();
          x.clock.now += 300;
        }
        expect(x.c.canStep(x.w1)).toBe(true);
        expect(x.c.canStep(x.w2)).toBe(false);
        expect(x.fences).toEqual([2]);
        const acquired = () => lines.filter((l) => l.msg === 'cluster: world lease acquired' && l.world === 'w2').length;
        // Before: 10 grants (tokens 2…11), an info line each.
        expect(acquired()).toBe(1);
        expect(lines.filter((l) => l.level === 40 && l.world === 'w2').length).toBeLessThanOrEqual(2);
        expect(x.hub.lease('w2')).toBeUndefined(); // given back: free for another instance meanwhile

        // The store answers: the next grant announces its token and takes the world over.
        x.open();
        await sleep(10);
        for (let i = 0; i < 5 && !x.c.canStep(x.w2); i++) {
          await x.c.kick();
          x.clock.now += 300;
        }
        expect(x.c.canStep(x.w2)).toBe(true);
        expect(x.c.fence('w2')).toEqual({ worldId: 'w2', token: 3 }); // before: 12
        expect(x.fences).toEqual([2, 3]); // before: 2, 3, …, 12, one after the other
        expect(acquired()).toBe(2);
        expect(x.adopts()).toBe(1);
        expect(x.c.counters.failovers).toBe(1);
      },
      { logger },
    );
  });

  it('another instance may take the world meanwhile; the late answer then lets nothing step here', async () => {
    await withHangingAnnounce(async (x) => {
      await x.c.kick(); // granted (token 2), announce pending: given back
      x.clock.now += 300;
      const r = await x.b.acquire('w2', 'b', 1000);
      expect(r).toMatchObject({ ok: true, fencingToken: 3 });
      x.open();
      await sleep(10);
      for (let i = 0; i < 3; i++) {
        await x.c.kick();
        x.clock.now += 300;
        expect(x.c.canStep(x.w2)).toBe(false);
        expect(x.c.fence('w2')).toBeNull();
      }
      expect(x.hub.lease('w2')).toMatchObject({ instanceId: 'b', fencingToken: 3 });
      expect(x.adopts()).toBe(0);
    });
  });

  it('an orphan is not acquired again either while its announce is in flight', async () => {
    const data = tempDataDir('wt-announce-churn-');
    const store = new SqliteStore({ dataDir: data.dir });
    const fenced = gate<void>();
    const fences: number[] = [];
    try {
      await storeOrphan(store, 50, 5);
      const fence = async (f: { worldId: string; token: number }) => {
        fences.push(f.token);
        await fenced.wait;
        return store.fence(f);
      };
      const { c, runner } = orphanTaker({ store, logger: createLogger('silent'), fence: { fence } });
      for (let i = 0; i < 5; i++) await c.kick();
      expect(fences).toEqual([1]); // before too, but then tokens 2…5 were sent one after the other once it answered
      expect(runner.has('w')).toBe(false);
      fenced.open();
      await sleep(10);
      for (let i = 0; i < 3 && c.fence('w') === null; i++) await c.kick();
      expect(runner.has('w')).toBe(true);
      expect(c.fence('w')).toEqual({ worldId: 'w', token: 2 }); // before: 5 (one grant per tick)
      expect(fences).toEqual([1, 2]);
    } finally {
      fenced.open();
      await store.close();
      data.remove();
    }
  });
});
