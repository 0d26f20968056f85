/**
 * `GET …/periodic/history` checks its query as the other admin routes do: every problem listed in
 * `details.problems`, a parameter given twice refused, an unknown one (a typo such as `tpoic`, which
 * used to answer the whole unfiltered history as if it had been applied) refused. Before: only the
 * first problem, as a message without `details`; `limit=5&limit=abc` answered 5 events;
 * `?tpoic=task` every topic.
 */
import { describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

const path = (q: string): string => `/api/v1/worlds/1/periodic/history${q}`;

describe('periodic history: query checked', () => {
  const s = useRuntime(['--npcs', '10'], 60_000);

  it('good parameters answer', async () => {
    const r = await call(s.base, 'GET', path('?topic=task&task=heartbeat&limit=2'));
    expect(r.status).toBe(200);
    expect(r.json.events.length).toBeLessThanOrEqual(2);
  });

  it('every problem at once, in details.problems', async () => {
    const r = await call(s.base, 'GET', path('?topic=bogus&limit=0'));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(r.json.details.problems).toEqual([
      'topic must be one of task, heartbeat, maintenance, mode, stats, signal, given once (got "bogus")',
      'limit must be an integer between 1 and 1000, given once (got "0")',
    ]);
  });

  it('a parameter given twice is refused', async () => {
    const r = await call(s.base, 'GET', path('?limit=5&limit=abc'));
    expect(r.status).toBe(400);
    expect(r.json.details.problems).toEqual(['limit must be an integer between 1 and 1000, given once (got "5,abc")']);
  });

  it('an unknown parameter is refused, not ignored', async () => {
    const r = await call(s.base, 'GET', path('?tpoic=task'));
    expect(r.status).toBe(400);
    expect(r.json.details.problems).toEqual(['query parameter tpoic is not taken (topic, task, limit)']);
  });
});
