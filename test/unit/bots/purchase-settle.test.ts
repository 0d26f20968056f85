/**
 * The purchase-storm tally counts every purchase of the measured window once it is answered:
 * `settlePurchases` waits for the answers still in flight when the window ends, however late
 * (a loaded server commits slowly), so `purchasesSent` equals the sum of `purchaseResults`.
 */
import { describe, expect, it } from 'vitest';
import { createGroupStats, groupOf } from '../../../src/bots/groups.js';
import { createLatencyHistogram } from '../../../src/bots/histogram.js';
import { settlePurchases, startPurchaseTimer, type FleetBot, type FleetSlot, type PurchaseTally } from '../../../src/bots/fleet-traffic.js';
import { createPrng } from '../../../src/core/prng.js';

/** A bot whose purchases are answered `delayMs` after they were sent (the second one refused). */
const slowBot = (delayMs: number): FleetBot => {
  let n = 0;
  return {
    open: true,
    closeCode: 0,
    stats: { snapshots: 0, bytesIn: 0, errors: 0 },
    sendInput: () => undefined,
    purchase: () => {
      const code = n++ === 1 ? 'TX_INSUFFICIENT_FUNDS' : null;
      return new Promise((resolve) => setTimeout(() => resolve({ code }), delayMs));
    },
    close: () => undefined,
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
