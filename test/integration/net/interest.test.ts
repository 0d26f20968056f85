import { afterEach, describe, expect, it } from 'vitest';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { query } from 'bitecs';
import { startTestServer, settle, type TestServer } from './harness.js';
import type { SnapshotMsg } from '../../../src/net/protocol.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const place = (t: TestServer, eid: number, x: number, y: number): void => {
  t.world.stores.Position.x[eid] = x;
  t.world.stores.Position.y[eid] = y;
};

describe('interest management', () => {
  it('an NPC walking through a player area produces enter, updates, then leave', async () => {
    ts = await startTestServer({ net: { interestRadius: 50, detailedRadius: 50 } });
    const c = await ts.client();
    const w = await c.join('w1', 'p');
    place(ts, w.playerId, 500, 500);
    const npc = spawnNpc(ts.world, 570, 500, 2);
    ts.world.stores.Velocity.x[npc] = -20; // 1 world unit per 0.05 s step
    const seen: Array<'enter' | 'update' | 'leave'> = [];
    c.on((m) => {
      if (m.type !== 17) return;
      const s = m as SnapshotMsg;
      if (s.enter.some((e) => e[0] === npc)) seen.push('enter');
      if (s.update.some((u) => u[0] === npc)) seen.push('update');
      if (s.leave.includes(npc)) seen.push('leave');
    });
    for (let i = 0; i < 140; i++) {
      ts.step(1);
      if (i % 10 === 0) await settle(1);
    }
    await c.waitForStep(139);
    expect(seen[0]).toBe('enter');
    expect(seen.at(-1)).toBe('leave');
    expect(seen.filter((s) => s === 'enter')).toHaveLength(1);
    expect(seen.filter((s) => s === 'leave')).toHaveLength(1);
    expect(seen.filter((s) => s === 'update').length).toBeGreaterThan(80);
    expect(c.view.entities.has(npc)).toBe(false);
    expect(c.view.inconsistencies).toBe(0);
  });

  it("two clients agree on shared entities and their views equal the server's state in range", async () => {
    ts = await startTestServer({ capacity: 4000, size: 600, net: { interestRadius: 120, detailedRadius: 60 } });
    populateNpcs(ts.world, { count: 800, movingFraction: 0.8, maxSpeed: 8 });
    const a = await ts.client();
    const b = await ts.client();
    const wa = await a.join('w1', 'a');
    const wb = await b.join('w1', 'b');
    place(ts, wa.playerId, 300, 300);
    place(ts, wb.playerId, 380, 300);
    let last = 0;
    for (let i = 0; i < 200; i++) {
      if (i % 20 === 0) {
        a.sendInput(Math.cos(i), Math.sin(i));
        b.sendInput(-Math.cos(i), Math.sin(i));
        await settle(2);
      }
      ts.step(1);
      last = ts.world.clock.step - 1;
      if (i % 10 === 0) await settle(1);
    }
    await Promise.all([a.waitForStep(last), b.waitForStep(last)]);
    // Shared entities: identical state in both views.
    let shared = 0;
    for (const [id, ea] of a.view.entities) {
      const eb = b.view.entities.get(id);
      if (!eb) continue;
      shared++;
      expect(eb).toEqual(ea);
    }
    expect(shared).toBeGreaterThan(20);
    // Each view equals the server's quantized state of exactly the entities in range.
    const { Position } = ts.world.stores;
    for (const [c, pid] of [
      [a, wa.playerId],
      [b, wb.playerId],
    ] as const) {
      const px = Position.x[pid],
        py = Position.y[pid];
      const expected = new Map<number, [number, number]>();
      for (const e of query(ts.world, [Position])) {
        const dx = Position.x[e] - px,
          dy = Position.y[e] - py;
        if (dx * dx + dy * dy <= 120 * 120) expected.set(e, [Math.round(Position.x[e] * 16), Math.round(Position.y[e] * 16)]);
      }
      expect(c.view.entities.size).toBe(expected.size);
      for (const [id, [qx, qy]] of expected) expect(c.view.entities.get(id)).toMatchObject({ qx, qy });
      expect(c.view.inconsistencies).toBe(0);
    }
  });

  it('inputs go through ingest, move the player and are acknowledged in snapshots', async () => {
    ts = await startTestServer({ net: { maxSpeed: 10 } });
    const c = await ts.client();
    const w = await c.join('w1', 'mover');
    place(ts, w.playerId, 500, 500);
    const seq = c.sendInput(1, 0);
    await ts.inputQueued();
    ts.step(1);
    const s = (await c.waitForStep(w.step + 1)) as SnapshotMsg;
    expect(s.ack).toBe(seq);
    expect(ts.world.stores.Velocity.x[w.playerId]).toBe(10);
    ts.step(10);
    await c.waitForStep(w.step + 11);
    // 11 steps × 0.05 s × 10 units/s = 5.5 units east.
    expect(c.view.entities.get(w.playerId)!.x).toBeCloseTo(505.5, 1);
    expect(c.stats.lastAckRttMs).toBeGreaterThanOrEqual(0);
    // A diagonal input longer than 1 is clamped to maxSpeed.
    const s2 = c.sendInput(1, 1);
    await ts.inputQueued();
    ts.step(1);
    await c.waitFor((m) => m.type === 17 && (m as SnapshotMsg).ack === s2);
    expect(Math.hypot(ts.world.stores.Velocity.x[w.playerId], ts.world.stores.Velocity.y[w.playerId])).toBeCloseTo(10, 4);
  });
});
