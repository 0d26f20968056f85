import { describe, expect, it } from 'vitest';
import { defaultSchedulerConfig, mergeSchedulerConfig } from '../../../src/config/scheduler-config.js';
import { createSimWorld, updateWorldConfig } from '../../../src/world/sim-world.js';
import { ErrorCode, type WorldtickError } from '../../../src/errors.js';

const ORIGINAL = {
  simulation: {
    timeScale: 60,
    maxNpcTicksPerStep: 50,
    maxJobOpsPerStep: 10,
    tickIntervalSeconds: 1.0,
    pauseSimulation: false,
    tiers: { detailed: { maxNpcs: 20 }, active: { maxNpcs: 100 }, ambient: { maxNpcs: 500 }, dormant: { maxNpcs: 5000 } },
  },
};

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect((err as WorldtickError).code).toBe(ErrorCode.CONFIG_INVALID);
    return ((err as WorldtickError).details as { problems: string[] }).problems;
  }
  throw new Error('expected a config error');
};

describe('scheduler config', () => {
  it("accepts the original design's JSON as it is", () => {
    const c = mergeSchedulerConfig(defaultSchedulerConfig(), ORIGINAL);
    expect(c.simulation.maxNpcTicksPerStep).toBe(50);
    expect(c.simulation.tickIntervalSeconds).toBe(1);
    expect(c.simulation.tiers.active.maxNpcs).toBe(100);
    // keys the original did not name keep their defaults
    expect(c.simulation.tiers.active.radius).toBe(defaultSchedulerConfig().simulation.tiers.active.radius);
  });

  it('merges a partial update and leaves the rest', () => {
    const w = createSimWorld({ id: 'c' });
    const before = structuredClone(w.config);
    updateWorldConfig(w, { simulation: { timeScale: 5, tiers: { ambient: { maxNpcs: 7 } } } });
    expect(w.config.simulation.timeScale).toBe(5);
    expect(w.config.simulation.tiers.ambient.maxNpcs).toBe(7);
    expect(w.config.simulation.tiers.ambient.radius).toBe(before.simulation.tiers.ambient.radius);
    expect(w.config.simulation.maxNpcTicksPerStep).toBe(before.simulation.maxNpcTicksPerStep);
    expect(w.configVersion).toBe(1);
  });

  it('lists every bad field by path and changes nothing', () => {
    const w = createSimWorld({ id: 'c' });
    const before = structuredClone(w.config);
    const problems = problemsOf(() =>
      updateWorldConfig(w, {
        simulation: {
          timeScale: -1,
          maxNpcTicksPerStep: 1.5,
          tickIntervalSeconds: 'fast',
          pauseSimulation: 'yes',
          tiers: { active: { maxNpcs: -3 }, mystery: {} },
          bogus: 1,
        },
        controller: { frameBudgetMs: null },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'simulation.timeScale must be a number > 0 <= 1000000 (got number -1)',
        'simulation.maxNpcTicksPerStep must be an integer between 0 and 10000000 (got number 1.5)',
        'simulation.tickIntervalSeconds must be a number between 0.001 and 60 (got a string)',
        'simulation.pauseSimulation must be true or false (got a string)',
        'simulation.tiers.active.maxNpcs must be an integer between 0 and 10000000 (got number -3)',
        'simulation.tiers.mystery is not a known option',
        'simulation.bogus is not a known option',
        'controller.frameBudgetMs must be a number > 0 <= 60000 (got null)',
      ]),
    );
    expect(problems).toHaveLength(8);
    expect(w.config).toEqual(before);
    expect(w.configVersion).toBe(0);
  });

  it('refuses non-objects and prototype keys', () => {
    const w = createSimWorld({ id: 'c' });
    expect(problemsOf(() => updateWorldConfig(w, [1]))).toEqual(['config must be an object (got an array)']);
    expect(problemsOf(() => updateWorldConfig(w, { simulation: 3 }))).toEqual(['simulation must be an object (got number 3)']);
    const evil = JSON.parse('{"__proto__": {"polluted": true}}');
    expect(problemsOf(() => updateWorldConfig(w, evil))).toEqual(['__proto__ is not a known option']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('pauseSimulation in an update pauses the world', () => {
    const w = createSimWorld({ id: 'c' });
    updateWorldConfig(w, { simulation: { pauseSimulation: true } });
    expect(w.clock.paused).toBe(true);
  });
});
