/**
 * The bots' input timer (src/bots/fleet-traffic.ts `startInputTimer`) on fake timers: the crowd
 * scenario's rate is exact here — each bot sends one input per second of the timer's clock, its k-th
 * the bot's k-th seeded crowd move, bots staggered over the second (bot i on 100 ms ticks where
 * tick mod 10 = i mod 10) — which a test against a real, possibly stalled process can only bound from
 * above (test/integration/net/crowd.test.ts). Silent bots, moving bots and closed bots send nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startInputTimer, type FleetSlot } from '../../../src/bots/fleet-traffic.js';
import { createPrng } from '../../../src/core/prng.js';
import { crowdBotMove } from '../../../src/scenarios/crowd.js';

const slot = (index: number): FleetSlot => ({ bot: { open: true }, index, inputs: 0, silent: false, since: 0 }) as unknown as FleetSlot;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('the bots input timer', () => {
  it('crowd: one input per bot per second, staggered by index, each its next seeded move', () => {
    const slots = Array.from({ length: 12 }, (_, i) => slot(i));
    const sent: Array<{ index: number; at: number; x: number; y: number }> = [];
    const timer = startInputTimer('crowd', slots, 9, 2, createPrng(1), (s, x, y) => {
      sent.push({ index: s.index, at: Date.now(), x, y });
      s.inputs++;
    });
    const t0 = Date.now();
    vi.advanceTimersByTime(10_000);
    if (timer) clearInterval(timer);
    for (const s of slots) {
      const mine = sent.filter((e) => e.index === s.index);
      expect(mine, `bot ${s.index}`).toHaveLength(10);
      // Its tick within the second: (index mod 10 + 1) × 100 ms after the start, then every 1,000 ms.
      expect(mine.map((e) => e.at - t0)).toEqual(Array.from({ length: 10 }, (_, k) => ((s.index % 10) + 1) * 100 + k * 1000));
      const move = { x: 0, y: 0 };
      mine.forEach((e, k) => {
        crowdBotMove(9, s.index, k, move);
        expect([e.x, e.y], `bot ${s.index} input ${k}`).toEqual([move.x, move.y]);
        expect(Math.abs(e.x) <= 1 && Math.abs(e.y) <= 1).toBe(true);
      });
    }
  });

  it('a closed or moving bot sends nothing, and resumes its own stream when it can again', () => {
    const [a, b] = [slot(0), slot(1)];
    (b as { moving?: boolean }).moving = true;
    const sent: number[] = [];
    const timer = startInputTimer('crowd', [a, b], 9, 2, createPrng(1), (s) => {
      sent.push(s.index);
      s.inputs++;
    });
    vi.advanceTimersByTime(3_000);
    expect(sent.filter((i) => i === 1)).toHaveLength(0);
    (b as { moving?: boolean }).moving = false;
    (a as unknown as { bot: { open: boolean } }).bot.open = false;
    vi.advanceTimersByTime(2_000);
    if (timer) clearInterval(timer);
    expect(sent.filter((i) => i === 0)).toHaveLength(3);
    expect(sent.filter((i) => i === 1)).toHaveLength(2);
    expect(b.inputs).toBe(2); // its stream starts at its first move
  });
});
