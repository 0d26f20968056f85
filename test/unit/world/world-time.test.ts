import { describe, expect, it } from 'vitest';
import { createSimWorld, updateWorldConfig } from '../../../src/world/sim-world.js';
import { pauseWorld, resumeWorld, runStep, stepWorld } from '../../../src/world/step.js';
import { ErrorCode } from '../../../src/errors.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';

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

  it('does not drift: after k steps of 0.05 s world time is k × 0.05 (a timer due at 8 s fires at step 160)', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { tickIntervalSeconds: 0.05, timeScale: 1 } } });
    let sum = 0;
    let firstAt8 = -1;
    for (let k = 1; k <= 400; k++) {
      runStep(w);
      sum += 0.05;
      expect(w.clock.now).toBe(k * 0.05);
      if (firstAt8 < 0 && w.clock.now >= 8) firstAt8 = w.clock.step;
    }
    expect(firstAt8).toBe(160);
    // The running sum the clock used to be drifts below: 160 additions of 0.05 are < 8.
    expect(sum).not.toBe(400 * 0.05);
  });

  it('re-anchors at a time-scale change and after time set from outside, continuing from there', () => {
    const w = createSimWorld({ id: 't', config: { simulation: { tickIntervalSeconds: 0.1, timeScale: 1 } } });
    for (let i = 0; i < 3; i++) runStep(w);
    const at3 = w.clock.now;
    updateWorldConfig(w, { simulation: { timeScale: 3 } });
    for (let i = 0; i < 5; i++) runStep(w);
    expect(w.clock.now).toBe(at3 + 5 * (0.1 * 3));
    w.clock.now = 100; // as a world record's clock restores it
    runStep(w);
    runStep(w);
    expect(w.clock.now).toBe(100 + 2 * (0.1 * 3));
  });

  it('a world restored from a checkpoint continues with the same times as one that never stopped', async () => {
    const opts = { id: 't', config: { simulation: { tickIntervalSeconds: 0.05, timeScale: 7 } } };
    const a = createSimWorld(opts);
    for (let i = 0; i < 37; i++) runStep(a);
    const b = await restoreWorld(await encodeCapture(captureWorld(a)));
    for (let i = 0; i < 500; i++) {
      runStep(a);
      runStep(b);
      expect(b.clock.now).toBe(a.clock.now);
    }
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
