/**
 * isLoggedOccurrence (src/log.ts): the one rule every "logged at the 1st, 10th, 100th…" warning
 * uses (strike closes, refused upgrades, bad session classes, fence-row lock timeouts).
 */
import { describe, expect, it } from 'vitest';
import { isLoggedOccurrence } from '../../../src/log.js';

describe('isLoggedOccurrence', () => {
  it('is true exactly for 1, 10, 100, … and false for anything else', () => {
    const logged = [];
    for (let n = -2; n <= 100_000; n++) if (isLoggedOccurrence(n)) logged.push(n);
    expect(logged).toEqual([1, 10, 100, 1000, 10_000, 100_000]);
    expect(isLoggedOccurrence(1e15)).toBe(true);
    expect(isLoggedOccurrence(Number.NaN)).toBe(false);
    expect(isLoggedOccurrence(10.5)).toBe(false);
  });
});
