/**
 * Player-experience priority and the per-client quality ladder (issue 12 items 2 and 4), over
 * real sockets: injected overload degrades a spectator before an active player (whose detailed
 * ring and inputs keep their every-step floor), and a client that stops reading walks down
 * the ladder and back up once it reads again. (Snapshot rate floors under load: load-floors.test.ts.)
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotMsg } from '../../../src/net/protocol.js';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { isSnap, startTestServer, settle, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('session priority under injected overload', () => {
  it('a spectator degrades before an active player; the detailed ring and inputs keep their floor', async () => {
    ts = await startTestServer({ net: { interestRadius: 120, detailedRadius: 40 } });
    const { world } = ts;
    const near: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Moving NPCs: half within the detailed radius of (500, 500), half beyond it (far ring).
      const r = i % 2 ? 20 : 90;
      const e = spawnNpc(world, 500 + r * Math.cos(i), 500 + r * Math.sin(i), 1);
      world.stores.Velocity.x[e] = 2;
      if (r === 20) near.push(e);
    }
    const player = await ts.client();
    const spectator = await ts.client();
    const wp = await player.join('w1', 'p', 'player-token');
    const wsp = await spectator.join('w1', 's', 'spectator:x');
    for (const w of [wp, wsp]) {
      world.stores.Position.x[w.playerId] = 500;
      world.stores.Position.y[w.playerId] = 500;
    }
    await ts.idle();
    ts.hold = true;
    const snaps = { p: [] as SnapshotMsg[], s: [] as SnapshotMsg[] };
    player.on((m) => {
      if (isSnap(m)) snaps.p.push(m);
    });
    spectator.on((m) => {
      if (isSnap(m)) snaps.s.push(m);
    });
    ts.step(2);
    await player.waitForStep(world.clock.step - 1);
    await spectator.waitForStep(world.clock.step - 1);
    // Injected overload: the controller's emergency knob (pressure 4).
    world.ctx.budgets.interestQuality = 3;
    snaps.p.length = 0;
    snaps.s.length = 0;
    const steps = 40;
    let lastSeq = 0;
    for (let i = 0; i < steps; i++) {
      lastSeq = player.sendInput(0, 0); // an active player: an input every step
      await settle(2);
      ts.step(1);
    }
    await settle(20);
    ts.step(1); // applies the last input
    await player.waitForStep(world.clock.step - 1);
    await settle(50);
    // The active player: a snapshot every step, every near NPC updated in every one of them.
    expect(snaps.p.length).toBe(steps + 1);
    for (const sn of snaps.p) {
      const updated = new Set(sn.update.map((u) => u[0]));
      for (const e of near) expect(updated.has(e)).toBe(true);
    }
    // Inputs keep their floor: every input acknowledged by the step after it.
    expect(snaps.p.at(-1)!.ack).toBe(lastSeq);
    // Work on a session's behalf inherits its priority (e.g. job priority).
    expect(ts.server.sessionPriority('w1', wp.playerId)).toBe(3);
    expect(ts.server.sessionPriority('w1', wsp.playerId)).toBe(1);
    expect(ts.server.sessionPriority('w1', 99_999)).toBe(0);
    // The spectator is degraded first: fewer snapshots (cooldown).
    expect(snaps.s.length).toBeLessThan(steps / 2 + 2);
    expect(snaps.s.length).toBeGreaterThan(0);
    const st = ts.server.stats();
    expect(st.byClass.spectator!.degraded).toBe(1);
    expect(st.byClass.spectator!.cooldownSkips).toBeGreaterThan(0);
    expect(st.byClass.player!.cooldownSkips).toBe(0);
    // Load gone: the spectator is back to every step.
    world.ctx.budgets.interestQuality = 0;
    snaps.s.length = 0;
    ts.step(10);
    await spectator.waitForStep(world.clock.step - 1);
    expect(snaps.s.length).toBe(10);
    expect(ts.server.stats().byClass.spectator!.degraded).toBe(0);
  });
});

describe('replicate budget under load', () => {
  it('active players go first and are never deferred; lower priorities are deferred, at most 19 steps in a row', async () => {
    ts = await startTestServer({ net: { replicateBudgetMs: 0.000001 } });
    const { world } = ts;
    const player = await ts.client();
    const spectator = await ts.client();
    await player.join('w1', 'p');
    await spectator.join('w1', 's', 'observer');
    await ts.idle();
    ts.hold = true;
    let ps = 0,
      ss = 0;
    player.on((m) => {
      if (isSnap(m)) ps++;
    });
    spectator.on((m) => {
      if (isSnap(m)) ss++;
    });
    world.ctx.budgets.interestQuality = 1; // degraded: pressure 2 (no cooldown for either)
    const steps = 40;
    for (let i = 0; i < steps; i++) {
      player.sendInput(1, 0);
      await settle(2);
      ts.step(1);
    }
    await player.waitForStep(world.clock.step - 1);
    await settle(50);
    expect(ps).toBe(steps);
    // Over the (tiny) budget after the first session every step: sent once per 20 steps.
    expect(ss).toBe(2);
    const st = ts.server.stats();
    expect(st.byClass.observer!.deferred).toBe(steps - 2);
    expect(st.byClass.player!.deferred).toBe(0);
  });
});

describe('quality ladder', () => {
  it('a client that stops reading walks down the ladder, then back up when it resumes', async () => {
    ts = await startTestServer({
      capacity: 4000,
      size: 1000,
      net: {
        interestRadius: 250,
        detailedRadius: 250,
        maxEntitiesPerSession: 4000,
        maxBackpressure: 64 * 1024 * 1024,
        skipBufferedBytes: 32 * 1024 * 1024,
        maxSkippedSteps: 1000,
        ladderDownBytes: 1,
        ladderHoldSteps: 2,
        ladderUpSteps: 5,
      },
    });
    const { world } = ts;
    // A dense crowd of fast movers: every entity changes every step (~35 KB per snapshot).
    for (let i = 0; i < 3000; i++) {
      const e = spawnNpc(world, (i % 55) * 5 + 10, Math.floor(i / 55) * 5 + 10, 1);
      world.stores.Velocity.x[e] = i % 2 ? 30 : -30;
      world.stores.Velocity.y[e] = i % 3 ? 30 : -30;
    }
    const slow = await ts.client();
    const w = await slow.join('w1', 'slow');
    world.stores.Position.x[w.playerId] = 150;
    world.stores.Position.y[w.playerId] = 150;
    await ts.idle();
    ts.hold = true;
    const sock = slow.socket as unknown as WebSocket;
    sock.pause();
    let steps = 0;
    const level = (): number => ts!.server.stats().ladderLevels.findLastIndex((n) => n > 0);
    while (steps < 2000 && level() < 4) {
      ts.step(1);
      steps++;
      if (steps % 5 === 0) await settle(0);
    }
    expect(level()).toBe(4);
    const st = ts.server.stats();
    // Net four steps down. While the kernel's socket buffers still absorb the paused client's
    // backlog, uWS can report nothing buffered for ladderUpSteps steps, and the ladder then climbs
    // once before the next step down: count the net walk, not every step.
    const { down, up } = st.worlds.w1!.ladder;
    expect(down - up).toBe(4);
    expect(st.byClass.player!.degraded).toBe(1);
    expect(st.byClass.player!.cooldownSkips).toBeGreaterThan(0);
    expect(st.closesByCode['4008']).toBeUndefined();
    // It reads again: the backlog drains and it climbs back to the desired level.
    sock.resume();
    let more = 0;
    while (more < 2000 && level() > 0) {
      await settle(5);
      ts.step(1);
      more++;
    }
    expect(level()).toBe(0);
    const after = ts.server.stats().worlds.w1!.ladder;
    expect(after.up - up).toBeGreaterThanOrEqual(4);
    expect(after.up).toBe(after.down);
    expect(slow.open).toBe(true);
  });
});
