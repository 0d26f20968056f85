import { describe, expect, it } from 'vitest';
import { createSimWorld, destroySimWorld } from '../../../src/world/sim-world.js';

describe('destroySimWorld', () => {
  it('releases what a world holds: running jobs aborted, periodic tasks removed, bus cleared, net and scenes off', async () => {
    const w = createSimWorld({ id: 'td', capacity: 10 });
    let aborted = false;
    w.jobs.register<number, number>('slow', {
      handler: (_p, ctx) =>
        new Promise<number>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    w.jobs.trySubmit('slow', 1);
    w.jobs.startDue(10);
    expect(w.jobs.stats().running).toBe(1);
    const seen: unknown[] = [];
    w.bus.subscribe('stats', (e) => seen.push(e));
    expect(w.periodic.status().length).toBeGreaterThan(0);

    destroySimWorld(w);

    expect(aborted).toBe(true);
    expect(w.jobs.stats().running).toBe(0);
    expect(w.periodic.status()).toEqual([]);
    expect(w.bus.stats().subscribers).toBe(0);
    expect(w.bus.history()).toEqual([]);
    expect(w.net).toBeNull();
    expect(w.scenes).toBeNull();
    destroySimWorld(w); // idempotent
  });
});
