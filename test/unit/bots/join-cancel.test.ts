import { describe, expect, it } from 'vitest';
import { createJoinCanceller } from '../../../src/bots/join-cancel.js';

describe('joins in flight cancelled by a stop (src/bots/join-cancel.ts)', () => {
  it('a stop drops every join in flight once, and only those count as cancelled', () => {
    const stop = new AbortController();
    const joins = createJoinCanceller(stop.signal);
    const drops: string[] = [];
    const endA = joins.start(() => drops.push('a'));
    const endB = joins.start(() => drops.push('b'));
    expect(endB()).toBe(false); // b settled (welcomed or failed) before the stop: not cancelled
    stop.abort('SIGINT');
    stop.abort('SIGINT');
    expect(drops).toEqual(['a']);
    expect(endA()).toBe(true);
    expect(joins.cancelled).toBe(1);
  });

  it('a join registered after the stop is dropped at once; without a stop nothing is dropped', () => {
    const stop = new AbortController();
    stop.abort('SIGTERM');
    const joins = createJoinCanceller(stop.signal);
    const drops: number[] = [];
    const end = joins.start(() => drops.push(1));
    expect(drops).toEqual([1]);
    expect(end()).toBe(true);
    const never = createJoinCanceller();
    expect(never.start(() => drops.push(2))()).toBe(false);
    expect([drops, never.cancelled]).toEqual([[1], 0]);
  });
});
