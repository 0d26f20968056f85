import { afterEach, describe, expect, it } from 'vitest';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('game server: join and snapshots', () => {
  it('hello → welcome, then one snapshot per step with the entities in range', async () => {
    ts = await startTestServer();
    const c = await ts.client();
    const w = await c.join('w1', 'alice');
    expect(w.playerId).toBeGreaterThan(0);
    expect(w.stepRate).toBe(20);
    expect(w.positionScale).toBe(16);
    const { Position } = ts.world.stores;
    const px = Position.x[w.playerId],
      py = Position.y[w.playerId];
    const near = spawnNpc(ts.world, px + 10, py, 3);
    // The welcome came from the step that applied the join (w.step); its snapshot follows it.
    ts.step(1);
    const s = await c.waitForStep(w.step + 1);
    expect(s.type).toBe(17);
    expect(c.view.entities.get(near)).toMatchObject({ kind: 3, x: Math.round((px + 10) * 16) / 16 });
    expect(c.view.entities.get(w.playerId)).toMatchObject({ kind: 65535 });
    ts.step(3);
    await c.waitForStep(w.step + 4);
    expect(c.stats.snapshots).toBe(5);
  });
});
