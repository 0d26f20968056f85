/**
 * The `world stats` line (src/server/runtime-stats.ts): steps per second are measured between two
 * lines of the same world object. A world replaced under its id (a restore, a migration back, a
 * takeover of a copy: a new SimWorld whose step counter starts again) starts a new measure: its
 * first line says 0, never a negative rate from the old world's counter.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createStatsLogger } from '../../../src/server/runtime-stats.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('world stats line', () => {
  it('a world replaced under its id starts a new measure (no negative steps per second)', async () => {
    const out = new PassThrough();
    const lines = collectJsonLines(out);
    const runner = new LoopRunner({});
    const old = createSimWorld({ id: 'w', capacity: 16 });
    old.counters.steps = 500; // it stepped a while
    runner.add(old);
    const stats = createStatsLogger(runner, createLogger('info', out));
    stats.start(3600); // one line now
    stats.stop();
    await settle();
    old.counters.steps = 520;
    stats.start(3600);
    stats.stop();
    await settle();
    runner.remove('w');
    const fresh = createSimWorld({ id: 'w', capacity: 16 });
    fresh.counters.steps = 3; // restored: its own counter
    runner.add(fresh);
    stats.start(3600);
    stats.stop();
    await settle();
    const rates = lines.filter((l) => l.msg === 'world stats').map((l) => l.stepsPerSecond as number);
    expect(rates).toHaveLength(3);
    expect(rates[0]).toBe(0); // no earlier line
    expect(rates[1]).toBeGreaterThan(0); // 20 steps since the first line
    expect(rates[2]).toBe(0); // a new world object: a new measure
  });

  it('--stats-interval 0 logs no world stats line at all (README: 0 = off)', async () => {
    const out = new PassThrough();
    const lines = collectJsonLines(out);
    const runner = new LoopRunner({});
    runner.add(createSimWorld({ id: 'w', capacity: 16 }));
    const stats = createStatsLogger(runner, createLogger('info', out));
    stats.start(0);
    await settle();
    stats.stop();
    expect(lines.filter((l) => l.msg === 'world stats')).toEqual([]);
  });
});
