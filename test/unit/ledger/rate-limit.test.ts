/**
 * The per-player token buckets (src/ledger/rate-limit.ts): limits as configured, idle (full)
 * buckets dropped once the map is large, and — with a slow refill, as the recorded-refusal budget's
 * (1 a minute) — a map of many partly spent buckets is not scanned again for every new player.
 */
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/ledger/rate-limit.js';

describe('rate limiter', () => {
  it('allows the burst, then the refill rate', () => {
    let t = 0;
    const l = createRateLimiter({ perSecond: 1, burst: 2 }, () => t);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, false]);
    expect(l.take('b')).toBe(true); // per player
    t = 1000;
    expect([l.take('a'), l.take('a')]).toEqual([true, false]);
  });

  it('drops full buckets once 10,000 are held', () => {
    let t = 0;
    const l = createRateLimiter({ perSecond: 10, burst: 2 }, () => t);
    for (let i = 0; i < 10_000; i++) l.take(`p${i}`);
    t = 10_000; // every bucket refilled: idle
    l.take('late');
    expect(l.stats()).toEqual({ buckets: 1, prunes: 1 });
  });

  it('many partly spent buckets (slow refill): a pass per doubling of the map, not one per new player', () => {
    const l = createRateLimiter({ perSecond: 1 / 60, burst: 10 }, () => 0);
    for (let i = 0; i < 25_000; i++) l.take(`p${i}`); // each bucket 9 of 10: none is idle
    // Passes at 10,000 (nothing dropped: the next at 20,000) and at 20,000 (the next at 40,000).
    expect(l.stats()).toEqual({ buckets: 25_000, prunes: 2 });
  });
});
