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
});
