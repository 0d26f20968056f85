import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminMetrics } from '../../../src/admin/metrics.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { startTestServer, settle, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('backpressure', () => {
  it('a client that stops reading is skipped, then closed with 4008, while another keeps its rate', async () => {
    ts = await startTestServer({
      capacity: 4000,
      size: 1000,
      net: { interestRadius: 250, detailedRadius: 250, maxEntitiesPerSession: 4000, skipBufferedBytes: 64 * 1024, maxSkippedSteps: 5 },
    });
    const { world } = ts;
    // A dense crowd of fast movers: every entity changes every step (~35 KB per snapshot).
    for (let i = 0; i < 3000; i++) {
      const e = spawnNpc(world, (i % 55) * 5 + 10, Math.floor(i / 55) * 5 + 10, 1);
      world.stores.Velocity.x[e] = i % 2 ? 30 : -30;
      world.stores.Velocity.y[e] = i % 3 ? 30 : -30;
    }
    const slow = await ts.client();
    const fast = await ts.client();
    const ws = await slow.join('w1', 'slow');
    const wf = await fast.join('w1', 'fast');
    world.stores.Position.x[ws.playerId] = 150;
    world.stores.Position.y[ws.playerId] = 150;
    world.stores.Position.x[wf.playerId] = 950;
    world.stores.Position.y[wf.playerId] = 950;
    await ts.idle();
    ts.hold = true; // from here the test runs every step (the 4008 close's leave fact waits)
    (slow.socket as unknown as WebSocket).pause();
    let fastSnapshots = 0;
    fast.on((m) => {
      if (m.type === 17) fastSnapshots++;
    });
    let steps = 0;
    while (steps < 3000 && !ts.server.stats().closesByCode['4008']) {
      ts.step(1);
      steps++;
      if (steps % 5 === 0) await settle(0);
    }
    const st = ts.server.stats();
    expect(st.closesByCode['4008']).toBe(1);
    expect(st.skippedBackpressure).toBeGreaterThanOrEqual(5);
    // Before its buffer passed the skip threshold, the paused client was sent snapshots into a
    // socket still holding earlier ones (~35 KB each under 64 KB), and those sends were counted.
    expect(world.net?.stats.sentBuffered).toBeGreaterThan(0);
    // Both counts are exported per world in /metrics.
    const m = await createAdminMetrics({ worlds: () => [world], telemetry: createTelemetry({}), processMetrics: false }).registry.metrics();
    expect(m).toContain(`worldtick_net_backpressure_skips_total{world="${world.id}"} ${world.net?.stats.skippedBackpressure}`);
    expect(m).toContain(`worldtick_net_snapshots_sent_buffered_total{world="${world.id}"} ${world.net?.stats.sentBuffered}`);
    // The reader kept its rate: one snapshot for every step.
    ts.step(1);
    await fast.waitForStep(world.clock.step - 1);
    expect(fastSnapshots).toBe(steps + 1);
    expect(fast.open).toBe(true);
    // The paused client, once it reads again, sees the close code after its backlog.
    (slow.socket as unknown as WebSocket).resume();
    await slow.closed();
    expect(slow.closeCode).toBe(4008);
    expect(ts.server.stats().sessions).toBe(1);
  });
});
