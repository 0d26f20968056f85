/**
 * The hooks record/replay stands on: the ingest tap sees every applied fact in application order
 * (and `applyRecorded` applies one as the drain would); a job queue in replay mode never runs a
 * handler, starts exactly the forced ids and takes recorded outcomes.
 */
import { describe, expect, it } from 'vitest';
import { IngestBuffers } from '../../../src/ingest/ingest-buffers.js';
import { JobQueue } from '../../../src/jobs/job-queue.js';
import { createSimWorld } from '../../../src/world/sim-world.js';

describe('record/replay hooks', () => {
  it('ingest tap: every applied fact, in order; applyRecorded applies like the drain', () => {
    const w = createSimWorld({ id: 'tap', capacity: 8 });
    const applied: number[] = [];
    const ing = new IngestBuffers();
    ing.define('a', { mode: 'queue', capacity: 8, apply: (_w, key) => void applied.push(key) });
    ing.define('b', { mode: 'latestByKey', capacity: 8, apply: (_w, key) => void applied.push(100 + key) });
    const seen: Array<[string, number, unknown]> = [];
    ing.tap = (type, key, fact) => void seen.push([type, key, fact]);
    ing.push('a', 1, { v: 1 });
    ing.push('b', 2, { v: 2 });
    ing.push('b', 2, { v: 3 }); // coalesced: only the latest is applied
    ing.push('a', 3, { v: 4 });
    ing.drain(w, 100);
    expect(seen.map(([t, k]) => `${t}${k}`)).toEqual(applied.map((k) => (k >= 100 ? `b${k - 100}` : `a${k}`)));
    expect(seen).toContainEqual(['b', 2, { v: 3 }]);
    expect(seen).toHaveLength(3);
    applied.length = 0;
    ing.tap = null;
    ing.applyRecorded(w, 'a', 9, {});
    expect(applied).toEqual([9]);
    expect(() => ing.applyRecorded(w, 'zzz', 1, {})).toThrow(/unknown ingest type/);
  });

  it('job queue replay mode: no handler runs; forced starts; recorded outcomes applied in the next jobs phase', () => {
    const w = createSimWorld({ id: 'jobs', capacity: 8 });
    const q = new JobQueue();
    let ran = 0;
    const got: string[] = [];
    q.register<number, number>('j', {
      handler: async (p) => {
        ran++;
        return p;
      },
      apply: (_w, job, r) => void got.push(`ok ${job.id}=${r}`),
      fail: (_w, job, err) => void got.push(`fail ${job.id} ${err.code}`),
      maxAttempts: 1,
    });
    q.replaying = true;
    const ids = [q.submit('j', 1), q.submit('j', 2), q.submit('j', 3)];
    q.forcedStarts = [ids[2], ids[0]];
    expect(q.startDue(0)).toBe(2); // whatever the budget says
    expect(q.stats()).toMatchObject({ running: 2, pending: 1 });
    expect(q.settleRecorded(ids[1], true, 9, null)).toBe(false); // not running
    expect(q.settleRecorded(ids[2], true, 30, null)).toBe(true);
    expect(q.settleRecorded(ids[0], false, null, { code: 'WT_ERR_JOB_TIMEOUT', message: 'late' })).toBe(true);
    q.applyCompleted(w);
    expect(got).toEqual([`fail ${ids[0]} WT_ERR_JOB_TIMEOUT`, `ok ${ids[2]}=30`]);
    expect(ran).toBe(0);
    q.close();
  });
});
