/**
 * On PostgreSQL the checkpoint writer thread writes several worlds' checkpoints at once (it mostly
 * waits for round trips), never two of one world at once and never out of the order asked for
 * (docs/DURABILITY.md "Off the loop"). Real PostgreSQL, real writer thread: a trigger on the
 * checkpoints table logs when each insert starts and ends (holding it 300 ms), so the overlap of
 * writes is read from the database, not timed by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerCheckpointWriter } from '../../../src/persist/checkpoint-writer.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { fileDatabase, withPgClient } from '../../helpers/shared-postgres.js';

// A fresh database on the run's PostgreSQL, dropped after the file (after the store's close below).
const { skip, db: pgs } = await fileDatabase();
let store: Store | null = null;

beforeAll(async () => {
  if (!pgs) return;
  store = await openStore({ store: pgs.url });
  await withPgClient(pgs.url, async (c) => {
    await c.query(
      'CREATE TABLE ck_log (world TEXT NOT NULL, step BIGINT NOT NULL, began TIMESTAMPTZ NOT NULL, ended TIMESTAMPTZ NOT NULL)',
    );
    await c.query(`CREATE FUNCTION ck_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE t0 TIMESTAMPTZ := clock_timestamp();
      BEGIN PERFORM pg_sleep(0.3); INSERT INTO ck_log VALUES (NEW.world_id, NEW.step, t0, clock_timestamp()); RETURN NEW; END $$`);
    await c.query('CREATE TRIGGER ck_slow BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION ck_slow()');
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
});

interface Span {
  world: string;
  step: number;
  began: number;
  ended: number;
}

/**
 * The most inserts that ran at the same time: a sweep over their starts and ends (an end before a start at
 * the same instant). Not "how many overlap one insert": under load, staggered starts make one insert overlap
 * the end of one wave and the start of the next (fresh-clone CI E) without more than 4 running at once.
 */
const maxOverlap = (spans: Span[]): number => {
  const events = spans.flatMap((s) => [
    { t: s.began, d: 1 },
    { t: s.ended, d: -1 },
  ]);
  events.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.d));
  return most;
};

const input = (worldId: string, step: number) => ({ worldId, step, worldTime: step / 20, config: {}, fencingToken: 0, meta: {} });

describe('checkpoint writer thread on PostgreSQL', () => {
  it('writes different worlds at once (at most 4), one world one at a time in the order asked for', async (ctx) => {
    if (skip || !pgs || !store) return ctx.skip();
    const writer = new WorkerCheckpointWriter({ store: pgs.url });
    try {
      // World a three times, then seven other worlds: all handed over at once.
      const asked = [['a', 1], ['a', 2], ['a', 3], ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((w) => [w, 1] as const)] as const;
      const results = await Promise.all(asked.map(([w, step]) => writer.write(new Uint8Array(2000).fill(step), input(w, step))));
      expect(results.every((r) => r !== null && r.storedBytes > 0)).toBe(true);
      const spans = await withPgClient(pgs.url, async (c) => {
        const r = await c.query('SELECT world, step, began, ended FROM ck_log ORDER BY began');
        return (r.rows as Array<{ world: string; step: string; began: Date; ended: Date }>).map((row) => ({
          world: row.world,
          step: Number(row.step),
          began: row.began.getTime(),
          ended: row.ended.getTime(),
        }));
      });
      expect(spans).toHaveLength(asked.length);
      const overlap = maxOverlap(spans);
      expect(overlap).toBeGreaterThan(1);
      expect(overlap).toBeLessThanOrEqual(4);
      const a = spans.filter((s) => s.world === 'a');
      expect(a.map((s) => s.step)).toEqual([1, 2, 3]);
      expect(maxOverlap(a)).toBe(1);
      expect((await store.loadCheckpoint('a'))?.step).toBe(3);
    } finally {
      await writer.close();
    }
  }, 60_000);
});
