import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { removeEntity } from 'bitecs';
import { applySnapshot, createView, type EntityView } from '../../../src/client/view.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import type { SnapshotMsg } from '../../../src/net/protocol.js';
import { parseServerFrame } from '../../../src/net/protocol-parse.js';
import { replicateWorld, snapshotEvery } from '../../../src/net/replicate-phase.js';
import { createWorldNet, type NetTransport } from '../../../src/net/replication.js';
import { createConn, createSession, type Session } from '../../../src/net/session.js';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';

describe('net.snapshotHz', () => {
  it('is validated, and gives the steps between two snapshots of a session', () => {
    expect(resolveNetConfig({}).snapshotHz).toBe(20);
    expect(() => resolveNetConfig({ snapshotHz: 0 })).toThrow(/net\.snapshotHz/);
    expect(() => resolveNetConfig({ snapshotHz: Number.NaN })).toThrow(/net\.snapshotHz/);
    expect(snapshotEvery(0.05, 20)).toBe(1); // 20 Hz world: every step, as before
    expect(snapshotEvery(1 / 60, 20)).toBe(3);
    expect(snapshotEvery(1 / 60, 10)).toBe(6);
    expect(snapshotEvery(1 / 30, 20)).toBe(1); // never below snapshotHz: 30 Hz world → every step
    expect(snapshotEvery(1 / 60, 25)).toBe(2);
    expect(snapshotEvery(1, 20)).toBe(1);
  });

  const run = (hz: number, steps: number) => {
    const world = createSimWorld({
      id: 'r',
      capacity: 400,
      size: 400,
      systems: [],
      config: { simulation: { tickIntervalSeconds: 1 / hz } },
    });
    const sent = new Map<number, SnapshotMsg[]>();
    const transport: NetTransport = {
      send: (s, bytes) => {
        const m = parseServerFrame(unpack(bytes)) as SnapshotMsg;
        sent.get(s.conn.id)?.push(m);
        return 1;
      },
      buffered: () => 0,
      close: () => {},
      event: () => new Uint8Array(),
      now: () => 0,
    };
    const net = createWorldNet(world, resolveNetConfig({ interestRadius: 60, detailedRadius: 20 }), transport);
    const sessions: Session[] = [];
    const views = new Map<number, EntityView>();
    for (let i = 0; i < 9; i++) {
      const p = spawnPlayer(world, 150 + (i % 3) * 40, 150 + Math.floor(i / 3) * 40);
      const s = createSession(createConn(i + 1, 0, 10), 'r', p, 'n', 't', 60);
      sessions.push(s);
      net.sessions.push(s);
      sent.set(s.conn.id, []);
      views.set(s.conn.id, createView(16));
    }
    const npcs = Array.from({ length: 60 }, (_, i) => spawnNpc(world, 100 + (i % 10) * 20, 100 + Math.floor(i / 10) * 30, i % 4));
    let reused = -1;
    const perStep: number[] = [];
    for (let step = 0; step < steps; step++) {
      const { Position, Tier } = world.stores;
      for (let i = 0; i < npcs.length; i++) {
        Position.x[npcs[i]] += ((i % 7) - 3) * 0.7;
        Position.y[npcs[i]] += ((i % 5) - 2) * 0.5;
        if ((step + i) % 11 === 0) Tier.tier[npcs[i]] = (Tier.tier[npcs[i]] + 1) % 4;
      }
      if (step === 7) {
        // A removal the game server reports (a despawned player's id), reused at once by a new entity.
        removeEntity(world, npcs[3]);
        net.removed.push(npcs[3]);
        reused = spawnNpc(world, 190, 190, 2); // in every session's view
        npcs[3] = reused;
      }
      world.ctx.step = step;
      const before = [...sent.values()].reduce((a, l) => a + l.length, 0);
      replicateWorld(world, world.ctx, net);
      perStep.push([...sent.values()].reduce((a, l) => a + l.length, 0) - before);
    }
    return { world, sessions, sent, views, perStep, reused, removed: npcs[3] };
  };

  const expectExactViews = (r: ReturnType<typeof run>) => {
    const { Position } = r.world.stores;
    for (const s of r.sessions) {
      const view = r.views.get(s.conn.id)!;
      for (const m of r.sent.get(s.conn.id)!) applySnapshot(view, m);
      expect(view.inconsistencies).toBe(0);
      // The view after the last snapshot equals the server state at that step (nothing moved since).
      const px = Position.x[s.player],
        py = Position.y[s.player];
      const expected = [...r.sessions.map((t) => t.player), ...Array.from({ length: 400 }, (_, e) => e)]
        .filter((e, i, a) => a.indexOf(e) === i && r.world.stores.Position.x[e] !== 0 && r.world.stores.Position.y[e] !== 0)
        .filter((e) => Math.hypot(Position.x[e] - px, Position.y[e] - py) <= 60);
      expect([...view.entities.keys()].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      for (const e of expected) {
        expect(view.entities.get(e)!.qx).toBe(Math.round(Position.x[e] * 16));
        expect(view.entities.get(e)!.qy).toBe(Math.round(Position.y[e] * 16));
      }
    }
  };

  it('at 60 Hz each session gets every 3rd step, sessions staggered; deltas stay exact across a removal with id reuse', () => {
    const r = run(60, 31); // steps 0..30: step 30 is the last slot of (30 + id) % 3 === 0 sessions only
    expect(r.reused).toBe(r.removed);
    for (const s of r.sessions) {
      const steps = r.sent.get(s.conn.id)!.map((m) => m.step);
      expect(steps.length).toBeGreaterThanOrEqual(10);
      for (const st of steps) expect((st + s.conn.id) % 3).toBe(0);
      for (let i = 1; i < steps.length; i++) expect(steps[i] - steps[i - 1]).toBe(3);
    }
    // Every session that had the removed id gets it as a leave in its first snapshot after the
    // removal, even when that snapshot comes steps later (and as an enter again if it sees the reuse).
    let knew = 0;
    for (const s of r.sessions) {
      const view = createView(16);
      for (const m of r.sent.get(s.conn.id)!) {
        if (m.step >= 7 && view.entities.has(r.removed)) {
          knew++;
          expect(m.leave).toContain(r.removed);
          applySnapshot(view, m);
          break;
        }
        if (m.step >= 7) break;
        applySnapshot(view, m);
      }
    }
    expect(knew).toBeGreaterThan(0);
    // 9 sessions with ids 1..9: exactly 3 per step.
    expect(new Set(r.perStep)).toEqual(new Set([3]));
    // Each view equals the server state at the session's last snapshot: only check the sessions
    // sent at the last step, after which nothing moved.
    const lastStep = 30;
    const fresh = { ...r, sessions: r.sessions.filter((s) => (lastStep + s.conn.id) % 3 === 0) };
    expect(fresh.sessions).toHaveLength(3);
    expectExactViews(fresh);
  });

  it('at 20 Hz (the default step rate) every session gets every step, as before', () => {
    const r = run(20, 12);
    expect(new Set(r.perStep)).toEqual(new Set([9]));
    expectExactViews(r);
  });
});
