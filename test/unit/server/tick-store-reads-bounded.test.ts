/**
 * The control tick waits for the store's reads of a new grant at most a bound, as for its announce
 * (announce-bounded.test.ts): a failover's restore reads (the `adopt` hook), the check of a copy's stored record
 * (`storedRecord`, src/server/cluster-lease-tick.ts `recordGone`) and the check of a resume from the store
 * (`newerCheckpointStored`, `staleResume`). A read the store does not answer (its connection silently dropped:
 * docs/CLUSTER.md "An instance cut off from the network") must not hold the tick, or no other lease of the
 * instance is renewed meanwhile and they lapse. The read stays in flight (never a second one sent for it), and
 * the world granted does not step until its answer came. A real SQLite store (fencing tokens), the read that
 * hangs waits for the test; a cluster service over an in-process hub on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { gate, setUp, sleep, tickEnds } from '../../helpers/tick-two-worlds.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

/** w2's copy here is one a grant checks the stored record of (dropped when gone; nothing to drop in these cases). */
const w2Droppable = { droppable: (id: string) => id === 'w2', drop: () => {} };

describe('a new grant whose store read does not answer holds no control tick', () => {
  it("a failover's restore: the other leases are renewed, the world steps only once restored", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const restore = gate<boolean>();
    let adopts = 0;
    try {
      const x = await setUp(store, {
        adopt: async (id) => {
          adopts++;
          return id === 'w2' ? restore.wait : true;
        },
      });
      expect((await x.b.acquire('w2', 'b', 500)).ok).toBe(true); // b owns w2 until 500 ms
      await x.c.kick(); // a sees b's lease of w2
      expect(x.c.canStep(x.w1)).toBe(true);

      // b is gone: its lease lapsed; a is granted w2 at 600 ms, a failover whose restore does not come back.
      x.clock.now = 600;
      x.worlds.push(x.w2);
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(adopts).toBe(1);
      expect(x.hub.lease('w2')).toMatchObject({ instanceId: 'a' });
      expect(x.c.canStep(x.w2)).toBe(false);

      // The next tick renews w1 (its lease of 600 ms would end at 1600 ms) and starts no second restore.
      x.clock.now = 1200;
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(adopts).toBe(1);
      x.clock.now = 1700;
      expect(x.c.canStep(x.w1)).toBe(true);
      expect(x.c.canStep(x.w2)).toBe(false);
      expect(x.c.counters.failovers).toBe(0);

      // The store answers: restored, counted, stepping.
      restore.open(true);
      for (let i = 0; i < 200 && !x.c.canStep(x.w2); i++) await sleep(5);
      expect(x.c.canStep(x.w2)).toBe(true);
      expect(x.c.counters.failovers).toBe(1);
      expect(adopts).toBe(1);
    } finally {
      restore.open(false);
      await store.close();
      data.remove();
    }
  });

  it("the check of a copy's stored record: the lease is given back until the answer came; no second lookup", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const lookup = gate<boolean>();
    let lookups = 0;
    try {
      const x = await setUp(store, {
        staleCopies: w2Droppable,
        storedRecord: async (id) => {
          if (id !== 'w2') return true;
          lookups++;
          return lookup.wait;
        },
      });
      await x.c.kick();
      x.clock.now = 600;
      x.worlds.push(x.w2);
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(lookups).toBe(1);
      expect(x.hub.lease('w2')).toBeUndefined(); // given back until the answer comes
      expect(x.c.canStep(x.w2)).toBe(false);

      // The next tick renews w1 (its lease of 600 ms would end at 1600 ms) and sends no second lookup.
      x.clock.now = 1200;
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(lookups).toBe(1);
      x.clock.now = 1700;
      expect(x.c.canStep(x.w1)).toBe(true);
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers (the record is there): the next grant takes that answer and w2 steps.
      lookup.open(true);
      await sleep(10);
      await x.c.kick();
      expect(x.c.canStep(x.w2)).toBe(true);
      expect(lookups).toBe(1);
    } finally {
      lookup.open(true);
      await store.close();
      data.remove();
    }
  });

  it('an answer to a lookup sent before another instance held the world is not taken: asked again', async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const first = gate<boolean>();
    let lookups = 0;
    const dropped: string[] = [];
    try {
      const x = await setUp(store, {
        staleCopies: { droppable: (id) => id === 'w2', drop: (id) => void dropped.push(id) },
        storedRecord: async (id) => {
          if (id !== 'w2') return true;
          lookups++;
          return lookups === 1 ? first.wait : false; // the second lookup: deleted meanwhile
        },
      });
      await x.c.kick();
      x.clock.now = 600;
      x.worlds.push(x.w2);
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(lookups).toBe(1);
      expect(x.hub.lease('w2')).toBeUndefined();

      // b holds w2 meanwhile (and deletes it, say); then the first lookup answers: the record was there.
      expect((await x.b.acquire('w2', 'b', 1000)).ok).toBe(true);
      expect(await x.b.release('w2', 'b')).toBe(true);
      first.open(true);
      await sleep(10);
      x.clock.now = 1200;
      await x.c.kick();
      expect(lookups).toBe(2);
      expect(dropped).toEqual(['w2']);
      expect(x.c.canStep(x.w2)).toBe(false);
    } finally {
      first.open(true);
      await store.close();
      data.remove();
    }
  });

  it('the check of a resume from the store: the copy does not step before the answer came; no second check', async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const check = gate<boolean>();
    let checks = 0;
    let adopts = 0;
    try {
      const x = await setUp(store, {
        adopt: async () => {
          adopts++;
          return true;
        },
        restoredFromStore: (id) => id === 'w2',
        newerCheckpointStored: async (id) => {
          if (id !== 'w2') return false;
          checks++;
          return check.wait;
        },
      });
      // An earlier holder of w2, gone before a saw it: a's grant is not w2's first token.
      expect((await x.b.acquire('w2', 'b', 1000)).ok).toBe(true);
      expect(await x.b.release('w2', 'b')).toBe(true);
      await x.c.kick();
      x.clock.now = 600;
      x.worlds.push(x.w2);
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(checks).toBe(1);
      expect(x.hub.lease('w2')).toBeUndefined(); // given back until the answer comes
      expect(x.c.canStep(x.w2)).toBe(false);

      x.clock.now = 1200;
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(checks).toBe(1);
      x.clock.now = 1700;
      expect(x.c.canStep(x.w1)).toBe(true);
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers (no newer checkpoint): the next grant takes that answer and resumes the copy.
      check.open(false);
      await sleep(10);
      await x.c.kick();
      expect(x.c.canStep(x.w2)).toBe(true);
      expect(checks).toBe(1);
      expect(adopts).toBe(0);
      expect(x.c.counters.failovers).toBe(1);
    } finally {
      check.open(false);
      await store.close();
      data.remove();
    }
  });

  // Found by a stress run (takeover-names-owner: the new instance `d` owned both worlds and counted one failover).
  // Before: the grant given back for the record's check counted as "granted here", so the next grant was no resume:
  // the copy stepped unchecked against the store's last checkpoint, uncounted and without its `resumed` line.
  it("a resume whose record's check had not answered is still a resume at the grant that takes the answer", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const lookup = gate<boolean>();
    let checks = 0;
    const { lines, logger } = jsonLogSink('info');
    try {
      const x = await setUp(store, {
        logger,
        adopt: async () => true,
        staleCopies: w2Droppable,
        storedRecord: async (id) => (id === 'w2' ? lookup.wait : true),
        restoredFromStore: (id) => id === 'w2',
        newerCheckpointStored: async (id) => {
          if (id === 'w2') checks++;
          return false;
        },
      });
      // An earlier holder of w2, gone before a saw it: a's grant is not w2's first token.
      expect((await x.b.acquire('w2', 'b', 1000)).ok).toBe(true);
      expect(await x.b.release('w2', 'b')).toBe(true);
      await x.c.kick();
      x.clock.now = 600;
      x.worlds.push(x.w2);
      expect(await tickEnds(x.c)).toBe('tick ended');
      expect(x.hub.lease('w2')).toBeUndefined(); // given back until the record's check answers
      expect(checks).toBe(0);

      lookup.open(true);
      await sleep(10);
      x.clock.now = 1200;
      await x.c.kick();
      expect(x.c.canStep(x.w2)).toBe(true);
      expect(checks).toBe(1); // checked against the store's last checkpoint before it stepped
      expect(x.c.counters.failovers).toBe(1);
      expect(lines.filter((l) => l.world === 'w2' && l.msg === 'cluster: world lease acquired').map((l) => l.takeover)).toEqual([
        true,
        true,
      ]);
      expect(lines.find((l) => l.world === 'w2' && String(l.msg).startsWith('cluster: world resumed'))).toMatchObject({
        previousOwner: 'unknown',
        fencingToken: 3,
      });
    } finally {
      lookup.open(true);
      await store.close();
      data.remove();
    }
  });
});

describe("a grant's store read unanswered tick after tick (a store outage)", () => {
  /** Kick `x.c` `n` times, the clock 300 ms on each. */
  const ticks = async (x: { clock: { now: number }; c: ClusterService }, n: number) => {
    for (let i = 0; i < n; i++) {
      x.clock.now += 300;
      await x.c.kick();
    }
  };
  const record = "cluster: the store has not answered the check of the world's record; lease given back until a grant takes the answer";
  const resume =
    'cluster: the store has not answered whether the copy restored at start is its last checkpoint; lease given back until a grant takes the answer';

  /** Grants of w2 here so far (each a new fencing token: nobody else takes it in these tests). */
  const grants = (lines: Array<Record<string, unknown>>) =>
    lines.filter((l) => l.msg === 'cluster: world lease acquired' && l.world === 'w2').length;

  it("the record's check: the world is not acquired again while the lookup is in flight — one grant and one warn line, not one per tick", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const first = gate<boolean>();
    const second = gate<boolean>();
    let lookups = 0;
    const { lines, logger } = jsonLogSink('info');
    try {
      const x = await setUp(store, {
        logger,
        staleCopies: w2Droppable,
        storedRecord: async (id) => {
          if (id !== 'w2') return true;
          lookups++;
          if (lookups === 1) await first.wait;
          return lookups === 1 ? Promise.reject(new Error('store down')) : second.wait;
        },
      });
      await x.c.kick();
      x.worlds.push(x.w2);
      await ticks(x, 12);
      // Before: 12 grants (tokens 1…12), warned at the 1st and 10th.
      expect(grants(lines)).toBe(1);
      expect(lines.filter((l) => l.msg === record).map((l) => l.ticks)).toEqual([1]);
      expect(x.hub.lease('w2')).toBeUndefined(); // free for another instance meanwhile
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers (with a failure): the next grant takes it and gives the lease back; the one after sends
      // a new lookup, which hangs again: a new run, warned at its 1st tick.
      first.open(true);
      await sleep(10);
      await ticks(x, 3);
      expect(lookups).toBe(2);
      expect(grants(lines)).toBe(3);
      expect(lines.filter((l) => l.msg === record).map((l) => l.ticks)).toEqual([1, 1]);
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers that lookup (the record is there): the next grant takes the answer and w2 steps.
      second.open(true);
      await sleep(10);
      await ticks(x, 1);
      expect(x.c.fence('w2')).toEqual({ worldId: 'w2', token: 4 });
      expect(lookups).toBe(2);
    } finally {
      first.open(true);
      second.open(true);
      await store.close();
      data.remove();
    }
  });

  it("the record's check failing outright (the store throws): warned at the 1st and 10th failure in a row", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    let down = true;
    const { lines, logger } = jsonLogSink('warn');
    const failed = "cluster: the store could not be read to check the world's record; lease given back until the next tick";
    try {
      const x = await setUp(store, {
        logger,
        staleCopies: w2Droppable,
        storedRecord: async (id) => {
          if (id === 'w2' && down) throw new Error('store down');
          return true;
        },
      });
      await x.c.kick();
      x.worlds.push(x.w2);
      await ticks(x, 12);
      // Before: one line per tick (12).
      expect(lines.filter((l) => l.msg === failed).map((l) => l.failures)).toEqual([1, 10]);
      expect(x.hub.lease('w2')).toBeUndefined();
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers: w2 steps; a later run of failures is warned from its 1st again.
      down = false;
      await ticks(x, 1);
      expect(x.c.canStep(x.w2)).toBe(true);
      down = true;
      x.clock.now += 1100; // the leases lapsed, nobody took them: w2's next grant checks its record again
      await ticks(x, 2);
      expect(lines.filter((l) => l.msg === failed).map((l) => l.failures)).toEqual([1, 10, 1]);
    } finally {
      await store.close();
      data.remove();
    }
  });

  it("a resume's check: the world is not acquired again while the check is in flight — one grant and one warn line", async () => {
    const data = tempDataDir('wt-tick-reads-');
    const store = new SqliteStore({ dataDir: data.dir });
    const check = gate<boolean>();
    const { lines, logger } = jsonLogSink('info');
    try {
      const x = await setUp(store, {
        logger,
        adopt: async () => true,
        restoredFromStore: (id) => id === 'w2',
        newerCheckpointStored: async (id) => (id === 'w2' ? check.wait : false),
      });
      expect((await x.b.acquire('w2', 'b', 1000)).ok).toBe(true);
      expect(await x.b.release('w2', 'b')).toBe(true);
      await x.c.kick();
      x.worlds.push(x.w2);
      await ticks(x, 12);
      // Before: 12 grants (tokens 2…13), warned at the 1st and 10th.
      expect(grants(lines)).toBe(1);
      expect(lines.filter((l) => l.msg === resume).map((l) => l.ticks)).toEqual([1]);
      expect(x.c.canStep(x.w2)).toBe(false);

      // The store answers (no newer checkpoint): the next grant (token 3, following the one given back) resumes.
      check.open(false);
      await sleep(10);
      await ticks(x, 1);
      expect(x.c.fence('w2')).toEqual({ worldId: 'w2', token: 3 });
    } finally {
      check.open(false);
      await store.close();
      data.remove();
    }
  });
});
