import { describe, expect, it } from 'vitest';
import { createIntentQueue, INTENT_NAMES, IntentKind, type Intent } from '../../../src/intents/intent-queue.js';

describe('intent queue', () => {
  it('delivers ready intents oldest first, at most max per drain', () => {
    const clock = { now: 100, step: 0, paused: false };
    const q = createIntentQueue(8, clock);
    for (let i = 0; i < 5; i++) q.push(10 + i, 7, IntentKind.talk, 100, 400);
    const got: number[] = [];
    expect(q.drain(3, (it: Intent) => got.push(it.npc))).toBe(3);
    expect(q.drain(10, (it: Intent) => got.push(it.npc))).toBe(2);
    expect(got).toEqual([10, 11, 12, 13, 14]);
    expect(q.size()).toBe(0);
    expect(INTENT_NAMES[IntentKind.trade]).toBe('trade');
  });

  it('drops expired intents at drain (counted) and keeps future ones queued', () => {
    const clock = { now: 0, step: 0, paused: false };
    const q = createIntentQueue(8, clock);
    q.push(1, 2, IntentKind.wave, 0, 50);
    q.push(2, 2, IntentKind.talk, 0, 500);
    q.push(3, 2, IntentKind.talk, 200, 500); // raised for later
    clock.now = 100;
    const got: Intent[] = [];
    expect(q.drain(10, (i) => got.push({ ...i }))).toBe(1);
    expect(got).toEqual([{ npc: 2, player: 2, kind: IntentKind.talk, at: 0, expiresAt: 500 }]);
    expect(q.counters.droppedExpired).toBe(1);
    expect(q.size()).toBe(1);
    clock.now = 200;
    expect(q.drain(10, () => undefined)).toBe(1);
  });

  it('is bounded: overflow drops the oldest and counts it', () => {
    const clock = { now: 0, step: 0, paused: false };
    const q = createIntentQueue(5, clock);
    expect(q.capacity).toBe(8);
    for (let i = 0; i < 11; i++) q.push(i, -1, IntentKind.warn, 0, 10);
    expect(q.size()).toBe(8);
    expect(q.counters.droppedOverflow).toBe(3);
    const got: number[] = [];
    q.drain(100, (i) => got.push(i.npc));
    expect(got).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
