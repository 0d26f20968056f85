import { describe, expect, it } from 'vitest';
import { MAX_WORLDS, StepRangeLog, type SteppedWorld } from '../../../src/server/cluster-step-ranges.js';

/** A world at `step` whose step took `ms`. */
const world = (id: string, step: number, ms = 1): SteppedWorld => ({
  id,
  clock: { step },
  stats: { totalMs: ms },
  config: { simulation: { tickIntervalSeconds: 0.05 } },
});

describe('StepRangeLog', () => {
  it('extends the open range step by step; a new token opens a new one', () => {
    const log = new StepRangeLog();
    for (let s = 1; s <= 3; s++) log.record(world('w', s), 'a', 1, 1000 + s * 50);
    log.record(world('w', 4), 'a', 2, 1200);
    expect(log.all().map((r) => [r.fencingToken, r.fromStep, r.toStep])).toEqual([
      [1, 1, 3],
      [2, 4, 4],
    ]);
  });

  it(`keeps the ranges of at most ${MAX_WORLDS} worlds: the one that stepped here longest ago goes first, a stepping one stays`, () => {
    const log = new StepRangeLog();
    let t = 0;
    log.record(world('stepping', 1), 'a', 1, ++t);
    for (let n = 0; n < MAX_WORLDS + 10; n++) {
      log.record(world(`gone-${n}`, 1), 'a', 1, ++t); // stepped once here, then moved away or deleted elsewhere
      log.record(world('stepping', n + 2), 'a', 1, ++t);
    }
    const ids = new Set(log.all().map((r) => r.worldId));
    expect(ids.size).toBe(MAX_WORLDS);
    expect(ids.has('stepping')).toBe(true);
    for (let n = 0; n < 11; n++) expect(ids.has(`gone-${n}`), `gone-${n}`).toBe(false);
    expect(ids.has(`gone-${MAX_WORLDS + 9}`)).toBe(true);
    log.forget('stepping');
    expect(log.all().some((r) => r.worldId === 'stepping')).toBe(false);
  });
});
