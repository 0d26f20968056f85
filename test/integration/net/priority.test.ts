/**
 * Player-experience priority and the per-client quality ladder (issue 12 items 2 and 4), over
 * real sockets: injected overload degrades a spectator before an active player (whose detailed
 * ring and inputs keep their every-step floor), and a client that stops reading walks down
 * the ladder and back up once it reads again.
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMsg, SnapshotMsg } from '../../../src/net/protocol.js';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { OVERLOAD_TEST_NET, startTestServer, settle, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

/** `n` moving NPCs around (500, 500), alternately 20 and 90 units out (inside and beyond the detailed radius). */
const movingRing = (world: TestServer['world'], n: number): number[] => {
  const npcs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = i % 2 ? 20 : 90;
    const e = spawnNpc(world, 500 + r * Math.cos(i), 500 + r * Math.sin(i), 1);
    world.stores.Velocity.x[e] = 1.5;
    world.stores.Velocity.y[e] = i % 3 ? 0.7 : -0.7;
    npcs.push(e);
  }
  return npcs;
};

const isSnap = (m: ServerMsg): m is SnapshotMsg => m.type === 17;

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

describe('idle players under load (issue 12: 10,000 sessions)', () => {
  it('active players keep every step; idle players are deferred down to idlePlayerMinHz, spectators to nonPlayerMinHz; deltas stay exact', async () => {
    ts = await startTestServer({ net: { replicateBudgetMs: 0.000001, interestRadius: 120, detailedRadius: 40 } });
    const { world } = ts;
    const npcs = movingRing(world, 12);
    const active = await ts.client();
    const idle = await ts.client();
    const spectator = await ts.client();
    const wa = await active.join('w1', 'a');
    const wi = await idle.join('w1', 'i');
    const ws = await spectator.join('w1', 's', 'spectator');
    for (const w of [wa, wi, ws]) {
      world.stores.Position.x[w.playerId] = 500;
      world.stores.Position.y[w.playerId] = 500;
    }
    await ts.idle();
    ts.hold = true;
    ts.step(2);
    await spectator.waitForStep(world.clock.step - 1);
    await idle.waitForStep(world.clock.step - 1);
    const n = { a: 0, i: 0, s: 0 };
    active.on((m) => {
      if (isSnap(m)) n.a++;
    });
    idle.on((m) => {
      if (isSnap(m)) n.i++;
    });
    spectator.on((m) => {
      if (isSnap(m)) n.s++;
    });
    world.ctx.budgets.interestQuality = 1; // degraded: pressure 2 (no cooldown for any of them)
    const steps = 40;
    for (let i = 0; i < steps; i++) {
      active.sendInput(0, 0);
      await settle(2);
      ts.step(1);
    }
    await active.waitForStep(world.clock.step - 1);
    await settle(50);
    expect(ts.server.sessionPriority('w1', wi.playerId)).toBe(2);
    // Active: every step. Idle: every 5th step (4 Hz at a 20 Hz step). Spectator: every 20th (1 Hz).
    expect(n.a).toBe(steps);
    expect(n.i).toBe(steps / 5);
    expect(n.s).toBe(steps / 20);
    const st = ts.server.stats();
    expect(st.byClass.player!.deferred).toBe(steps - steps / 5);
    expect(st.byClass.spectator!.deferred).toBe(steps - steps / 20);
    // Exact deltas: the NPCs stop; still under load, the idle player's and the spectator's next
    // snapshots bring their views to the world's (quantized) state, with no inconsistency.
    for (const e of npcs) {
      world.stores.Velocity.x[e] = 0;
      world.stores.Velocity.y[e] = 0;
    }
    for (let i = 0; i < 20; i++) {
      active.sendInput(0, 0);
      await settle(2);
      ts.step(1);
    }
    await active.waitForStep(world.clock.step - 1);
    await settle(50);
    const exact = (c: typeof idle, ids: readonly number[]): void => {
      expect(c.view.inconsistencies).toBe(0);
      for (const e of ids) {
        const v = c.view.entities.get(e);
        expect(v).toBeDefined();
        expect(Math.abs(v!.x - world.stores.Position.x[e])).toBeLessThanOrEqual(1 / 16);
        expect(Math.abs(v!.y - world.stores.Position.y[e])).toBeLessThanOrEqual(1 / 16);
      }
    };
    // Under load the detailed ring is exact; the far ring of a degraded session (the spectator's
    // level 1) may be staler by design (updated every 4th of its sends).
    const near = npcs.filter((_, i) => i % 2 === 1);
    exact(idle, npcs);
    exact(spectator, near);
    // Load gone: every view is exact after one step.
    world.ctx.budgets.interestQuality = 0;
    ts.step(2);
    await spectator.waitForStep(world.clock.step - 1);
    await idle.waitForStep(world.clock.step - 1);
    for (const c of [active, idle, spectator]) exact(c, npcs);
  });

  it('the floors are options: idlePlayerMinHz 10 → every other step; validated', async () => {
    ts = await startTestServer({ net: { replicateBudgetMs: 0.000001, idlePlayerMinHz: 10, nonPlayerMinHz: 50 } });
    const { world } = ts;
    const active = await ts.client();
    const idle = await ts.client();
    const observer = await ts.client();
    await active.join('w1', 'a');
    await idle.join('w1', 'i');
    await observer.join('w1', 'o', 'observer');
    await ts.idle();
    ts.hold = true;
    const n = { a: 0, i: 0, o: 0 };
    active.on((m) => {
      if (isSnap(m)) n.a++;
    });
    idle.on((m) => {
      if (isSnap(m)) n.i++;
    });
    observer.on((m) => {
      if (isSnap(m)) n.o++;
    });
    world.ctx.budgets.interestQuality = 1;
    const steps = 20;
    for (let i = 0; i < steps; i++) {
      active.sendInput(1, 0);
      await settle(2);
      ts.step(1);
    }
    await active.waitForStep(world.clock.step - 1);
    await settle(50);
    expect(n.a).toBe(steps);
    expect(n.i).toBe(steps / 2);
    // nonPlayerMinHz above idlePlayerMinHz acts as idlePlayerMinHz: never more than an idle player.
    expect(n.o).toBe(steps / 2);
  });
});

describe('overload floors (issue 12: 10,000 sessions on one core)', () => {
  it('sustained emergency sends idle players at their overload floor (1 Hz) only, the ladder cuts their radius; active players keep every step; it recovers', async () => {
    ts = await startTestServer({ net: OVERLOAD_TEST_NET });
    const { world } = ts;
    const npcs = movingRing(world, 8);
    const active = await ts.client();
    const idle = await ts.client();
    const wa = await active.join('w1', 'a');
    const wi = await idle.join('w1', 'i');
    for (const w of [wa, wi]) {
      world.stores.Position.x[w.playerId] = 500;
      world.stores.Position.y[w.playerId] = 500;
    }
    await ts.idle();
    ts.hold = true;
    ts.step(2);
    await idle.waitForStep(world.clock.step - 1);
    const n = { a: 0, i: 0 };
    active.on((m) => {
      if (isSnap(m)) n.a++;
    });
    idle.on((m) => {
      if (isSnap(m)) n.i++;
    });
    const steps = async (k: number): Promise<void> => {
      for (let i = 0; i < k; i++) {
        active.sendInput(0, 0);
        await settle(2);
        ts!.step(1);
      }
      await active.waitForStep(world.clock.step - 1);
      await settle(50);
    };
    const ladder = () => ts!.server.stats().worlds.w1!.ladder;
    // Degraded (pressure 2): never overload; the budget is not spent, so the idle player gets every step.
    world.ctx.budgets.interestQuality = 1;
    await steps(40);
    expect(ladder().overload).toBe(0);
    expect(n).toEqual({ a: 40, i: 40 });
    // Emergency: overload after 3 runs; from then on the idle player is sent every 20th step.
    world.ctx.budgets.interestQuality = 3;
    await steps(3);
    expect(ladder().overload).toBe(1);
    expect(ladder().overloadEntered).toBe(1);
    n.a = 0;
    n.i = 0;
    await steps(40);
    expect(n).toEqual({ a: 40, i: 2 });
    // Rate, then radius: the idle player sits at ladder level 2 (smaller radius), the active one at 1 (staler far ring).
    expect(ts.server.stats().ladderLevels).toEqual([0, 1, 1, 0, 0]);
    expect(ts.server.sessionPriority('w1', wi.playerId)).toBe(2);
    // The view stays an exact delta: NPCs stop, the next floor sends bring the idle view to the world's state.
    for (const e of npcs) {
      world.stores.Velocity.x[e] = 0;
      world.stores.Velocity.y[e] = 0;
    }
    await steps(40);
    expect(idle.view.inconsistencies).toBe(0);
    for (const e of npcs.filter((_, i) => i % 2 === 1)) {
      const v = idle.view.entities.get(e);
      expect(v).toBeDefined();
      expect(Math.abs(v!.x - world.stores.Position.x[e])).toBeLessThanOrEqual(1 / 16);
      expect(Math.abs(v!.y - world.stores.Position.y[e])).toBeLessThanOrEqual(1 / 16);
    }
    // Emergency over (degraded): 5 calm runs → out of overload, the budget again (every step).
    world.ctx.budgets.interestQuality = 1;
    await steps(5);
    expect(ladder().overload).toBe(0);
    n.a = 0;
    n.i = 0;
    await steps(40);
    expect(n).toEqual({ a: 40, i: 40 });
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
