import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../../src/jobs/job-queue.js';

describe('job priority (inherited from the session a job works for)', () => {
  it('higher priorities start first, FIFO within a priority; without priorities the queue stays FIFO', () => {
    const q = new JobQueue({ perWorldConcurrency: 10, perUserConcurrency: 10 });
    const started: string[] = [];
    q.register('gen', {
      handler: (p: string) => {
        started.push(p);
        return new Promise(() => {});
      },
    });
    q.submit('gen', 'bot-a', { user: 'a', priority: 0 });
    q.submit('gen', 'spec-b', { user: 'b', priority: 1 });
    q.submit('gen', 'active-c', { user: 'c', priority: 3 });
    q.submit('gen', 'crowd-d', { user: 'd', priority: 4 });
    q.submit('gen', 'active-e', { user: 'e', priority: 3 });
    expect(q.startDue(3)).toBe(3);
    expect(started).toEqual(['crowd-d', 'active-c', 'active-e']);
    q.startDue(10);
    expect(started.slice(3)).toEqual(['spec-b', 'bot-a']);
    const fifo = new JobQueue();
    const order: string[] = [];
    fifo.register('gen', {
      handler: (p: string) => {
        order.push(p);
        return new Promise(() => {});
      },
    });
    for (const p of ['1', '2', '3']) fifo.submit('gen', p, { user: p });
    fifo.startDue(3);
    expect(order).toEqual(['1', '2', '3']);
  });
});
