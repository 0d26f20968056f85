import { afterEach, describe, expect, it } from 'vitest';
import { runFleet } from '../../../src/bots/bot-fleet.js';
import type { LoopRunner } from '../../../src/loop/loop-runner.js';
import { runWorld, startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
let runner: LoopRunner | null = null;
afterEach(async () => {
  runner?.stop();
  await ts?.stop();
  ts = null;
});

describe('bots: joins that finish after the measured window', () => {
  it('influx: every bot joined counts in its group as in the totals (groups sum to `connected`)', async () => {
    ts = await startTestServer({ net: { resumeGraceSeconds: 0 } });
    runner = runWorld(ts.world);
    // Bot k of the influx starts its join at k/6 s: all but the first start after the 0.1 s window.
    const r = await runFleet({
      url: ts.url,
      worldId: 'w1',
      clients: 2,
      scenario: 'influx',
      influxClients: 6,
      durationSeconds: 0.1,
      warmupSeconds: 0,
    });
    expect(r).toMatchObject({ clients: 8, connected: 8, joinFailures: 0 });
    expect(r.groups.activePlayers?.connected).toBe(8);
  });

  it('influx of more than 10 bots under a stop signal (as the CLI runs it): no MaxListenersExceededWarning', async () => {
    ts = await startTestServer({ net: { resumeGraceSeconds: 0 } });
    runner = runWorld(ts.world);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const r = await runFleet({
        url: ts.url,
        worldId: 'w1',
        clients: 1,
        scenario: 'influx',
        influxClients: 12,
        durationSeconds: 0.3,
        warmupSeconds: 0,
        stop: new AbortController().signal, // never aborted: only listened to, as the CLI's
      });
      expect(r).toMatchObject({ clients: 13, connected: 13, joinsMeasured: 12, cancelledJoins: 0, joinFailures: 0 });
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
