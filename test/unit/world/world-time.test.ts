import { describe, expect, it } from 'vitest';
import { createSimWorld, updateWorldConfig } from '../../../src/world/sim-world.js';
import { pauseWorld, resumeWorld, runStep, stepWorld } from '../../../src/world/step.js';
import { ErrorCode } from '../../../src/errors.js';

describe('world time', () => {
  it('advances by stepSeconds × timeScale per step', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { tickIntervalSeconds: 0.05, timeScale: 60 } } });
    for (let i = 0; i < 10; i++) runStep(w);
    expect(w.clock.step).toBe(10);
    expect(w.clock.now).toBeCloseTo(10 * 0.05 * 60, 9);
  });

  it('follows a timeScale change from the next step', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { tickIntervalSeconds: 1, timeScale: 1 } } });
    runStep(w);
    updateWorldConfig(w, { simulation: { timeScale: 10 } });
    runStep(w);
    expect(w.clock.now).toBe(11);
  });

  it('step(n) on a paused world advances exactly n steps; a running world refuses', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { tickIntervalSeconds: 0.5, timeScale: 2 } } });
    expect(() => stepWorld(w, 1)).toThrowError(expect.objectContaining({ code: ErrorCode.WORLD_NOT_PAUSED }));
    pauseWorld(w);
    expect(stepWorld(w, 7)).toBe(7);
    expect(w.clock.step).toBe(7);
    expect(w.clock.now).toBe(7);
    expect(w.clock.paused).toBe(true);
    resumeWorld(w);
    expect(w.config.simulation.pauseSimulation).toBe(false);
  });

  it('a world created with pauseSimulation starts paused', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { pauseSimulation: true } } });
    expect(w.clock.paused).toBe(true);
  });
});
