import { describe, expect, it } from 'vitest';
import { LOAD_WINDOW, WorldLoadMeter } from '../../../src/server/world-load.js';

describe('WorldLoadMeter', () => {
  it('measures step ms per wall second over the window; a world that arrived late over its own span; forgotten worlds afresh', () => {
    const m = new WorldLoadMeter();
    m.sample(0);
    expect(m.load('a')).toBe(0);
    for (let s = 1; s <= 4; s++) {
      for (let i = 0; i < 20; i++) m.onStep('a', 0.5); // 10 ms per second
      if (s >= 3) for (let i = 0; i < 20; i++) m.onStep('b', 2); // 40 ms per second, from second 3
      m.sample(s * 1000);
    }
    expect(m.load('a')).toBe(10);
    // b first appears in the sample at 3 s (with 40 ms), so it is measured over 3 → 4 s.
    expect(m.load('b')).toBe(40);
    m.forget('b');
    expect(m.load('b')).toBe(0);
    for (let s = 5; s < 5 + LOAD_WINDOW; s++) m.sample(s * 1000);
    expect(m.load('a')).toBe(0); // idle for the whole window
  });
});
