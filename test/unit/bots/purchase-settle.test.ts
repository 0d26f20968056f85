/**
 * The purchase-storm tally counts every purchase of the measured window once it is answered:
 * `settlePurchases` waits for the answers still in flight when the window ends, however late
 * (a loaded server commits slowly), so `purchasesSent` equals the sum of `purchaseResults`.
 */
import { describe, expect, it } from 'vitest';
import { createGroupStats, groupOf } from '../../../src/bots/groups.js';
import { createLatencyHistogram } from '../../../src/bots/histogram.js';
import {
  purchasesPerTick,
  settlePurchases,
  startPurchaseTimer,
  type FleetBot,
  type FleetSlot,
  type PurchaseTally,
} from '../../../src/bots/fleet-traffic.js';
import { createPrng } from '../../../src/core/prng.js';

/** A bot whose purchases are answered `delayMs` after they were sent (the second one refused). */
const slowBot = (delayMs: number): FleetBot => {
  let n = 0;
  return {
    open: true,
    closeCode: 0,
    stats: { snapshots: 0, bytesIn: 0, errors: 0, ignoredFrames: 0 },
    sendInput: () => undefined,
    purchase: () => {
      const code = n++ === 1 ? 'TX_INSUFFICIENT_FUNDS' : null;
      return new Promise((resolve) => setTimeout(() => resolve({ code }), delayMs));
    },
    close: () => undefined,
    leave: () => undefined,
  };
};

describe('purchase-storm tally', () => {
  it('waits for every answer of the window, even one later than the old fixed 500 ms', async () => {
    const slot: FleetSlot = {
      bot: slowBot(900),
      group: groupOf(
        createGroupStats(() => true),
        'player',
        0,
        0,
      ),
      silent: false,
      index: 0,
      inputs: 0,
      since: 0,
    };
    const tally: PurchaseTally = { sent: 0, seq: 0, latency: createLatencyHistogram(), codes: {}, inFlight: new Set() };
    const timer = startPurchaseTimer([slot], 10, createPrng(1), () => true, tally);
    await new Promise((r) => setTimeout(r, 350));
    if (timer) clearInterval(timer);
    expect(tally.sent).toBeGreaterThanOrEqual(2);
    expect(Object.values(tally.codes).reduce((a, b) => a + b, 0)).toBe(0); // none answered yet
    await settlePurchases(tally);
    expect(tally.codes).toEqual({ ok: tally.sent - 1, TX_INSUFFICIENT_FUNDS: 1 });
    expect(tally.inFlight.size).toBe(0);
  });
});

describe('purchase-storm rate (--purchase-hz)', () => {
  it('a bot sends hz/10 purchases per 100 ms tick on average, above 10 per second too (no silent cap at one per tick)', () => {
    const rng = createPrng(7);
    const ticks = (hz: number, n = 10_000): number[] => Array.from({ length: n }, () => purchasesPerTick(hz, rng));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(new Set(ticks(30))).toEqual(new Set([3])); // 30/s: exactly 3 every tick
    const at25 = ticks(25);
    expect(new Set(at25)).toEqual(new Set([2, 3]));
    expect(mean(at25)).toBeCloseTo(2.5, 1);
    const at5 = ticks(5); // the default: one purchase on about half the ticks
    expect(new Set(at5)).toEqual(new Set([0, 1]));
    expect(mean(at5)).toBeCloseTo(0.5, 1);
  });
});
