/**
 * The process-wide join bucket (src/net/join-rate.ts): a burst of a tenth of a second's worth, then
 * `maxJoinsPerSecond` a wall second, never more than the burst held; 0 = off. Times are given
 * explicitly (performance.now() ms), so nothing here depends on the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { JOIN_BURST_SECONDS, JoinRate } from '../../../src/net/join-rate.js';

const takes = (r: JoinRate, now: number, n: number): number => {
  let got = 0;
  for (let i = 0; i < n; i++) if (r.take(now)) got++;
  return got;
};

describe('JoinRate', () => {
  it('starts full with a tenth of a second of joins (32 at 320/s), then refills at the rate', () => {
    expect(JOIN_BURST_SECONDS).toBe(0.1);
    const r = new JoinRate(320, 0);
    expect(r.burst).toBe(32);
    expect(takes(r, 0, 100)).toBe(32);
    expect(takes(r, 50, 100)).toBe(16); // 50 ms × 320/s
    expect(takes(r, 50, 1)).toBe(0);
    // A long quiet spell refills the burst, no more.
    expect(takes(r, 10_000, 1000)).toBe(32);
  });

  it('never starts more than burst + rate × elapsed, however the takes are spread', () => {
    const r = new JoinRate(40, 0);
    let got = 0;
    for (let t = 0; t <= 2000; t += 7) {
      got += takes(r, t, 3);
      expect(got).toBeLessThanOrEqual(r.burst + (40 * t) / 1000);
    }
    expect(got).toBeGreaterThanOrEqual(80); // and it does serve at the rate
  });

  it('a slow rate still admits one join at a time (burst at least 1); 0 is off', () => {
    const slow = new JoinRate(1, 0);
    expect(slow.burst).toBe(1);
    expect(takes(slow, 0, 5)).toBe(1);
    expect(takes(slow, 999, 5)).toBe(0);
    expect(takes(slow, 1000, 5)).toBe(1);
    const off = new JoinRate(0, 0);
    expect(off.on).toBe(false);
    expect(takes(off, 0, 10_000)).toBe(10_000);
  });

  it('a clock read earlier than the last one adds nothing', () => {
    const r = new JoinRate(100, 1000);
    expect(takes(r, 1000, 100)).toBe(10);
    expect(takes(r, 500, 100)).toBe(0);
    expect(takes(r, 1010, 100)).toBe(1);
  });
});
