/**
 * The last stage of the degradation order (docs/NET-SCALE.md "Active-player spread"), over real
 * sockets: under injected sustained overload, with a budget the active players' sends always
 * exceed (`overloadActiveShare` ≈ 0), idle players and spectators sit at their overload floors and
 * active players — crowded or not — are spread to every 2nd step (10 Hz, the default floor),
 * staggered, views exact; without overload (degraded) nothing of theirs is spread; when they stop
 * being active, overload and the spread end. Which active players go first (priority 3 before
 * crowded ones) is the decision function's, tested in test/unit/net/active-spread.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMsg, SnapshotMsg } from '../../../src/net/protocol.js';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { OVERLOAD_TEST_NET, settle, startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const isSnap = (m: ServerMsg): m is SnapshotMsg => m.type === 17;

describe('active-player spread under injected overload', () => {
  it('active players are spread to their floor only under overload, after idle players and spectators are at theirs', async () => {
    ts = await startTestServer({
      net: { ...OVERLOAD_TEST_NET, overloadActiveShare: 0.000001, activeInputMs: 300, crowdPlayers: 2 },
    });
    const { world } = ts;
    const npcs: number[] = [];
    for (const [cx, cy] of [
      [500, 500],
      [200, 200],
    ])
      for (let i = 0; i < 6; i++) {
        const e = spawnNpc(world, cx + 20 * Math.cos(i), cy + 20 * Math.sin(i), 1);
        world.stores.Velocity.x[e] = 1.5;
        npcs.push(e);
      }
    // a, b: active players in a crowd (each sees the other and the idle player); c: active, alone.
    const a = await ts.client();
    const b = await ts.client();
    const c = await ts.client();
    const idle = await ts.client();
    const spec = await ts.client();
    const wa = await a.join('w1', 'a');
    const wb = await b.join('w1', 'b');
    const wc = await c.join('w1', 'c');
    const wi = await idle.join('w1', 'i');
    const wsp = await spec.join('w1', 's', 'spectator');
    const place = (id: number, x: number, y: number): void => {
      world.stores.Position.x[id] = x;
      world.stores.Position.y[id] = y;
    };
    for (const w of [wa, wb, wi]) place(w.playerId, 500, 500);
    place(wc.playerId, 200, 200);
    place(wsp.playerId, 900, 900);
    await ts.idle();
    ts.hold = true;
    ts.step(2);
    await idle.waitForStep(world.clock.step - 1);
    const got = { a: [] as number[], b: [] as number[], c: [] as number[], i: [] as number[], s: [] as number[] };
    for (const [k, cl] of [
      ['a', a],
      ['b', b],
      ['c', c],
      ['i', idle],
      ['s', spec],
    ] as const)
      cl.on((m) => {
        if (isSnap(m)) got[k].push(m.step);
      });
    const clear = (): void => {
      for (const k of Object.keys(got) as (keyof typeof got)[]) got[k].length = 0;
    };
    const active = [a, b, c];
    const steps = async (k: number, input = true): Promise<void> => {
      for (let i = 0; i < k; i++) {
        if (input) for (const cl of active) cl.sendInput(0, 0);
        await settle(2);
        ts!.step(1);
      }
      // Nobody is sent every step under overload: wait for the sockets to drain instead.
      await settle(100);
    };
    const ladder = () => ts!.server.stats().worlds.w1!.ladder;
    // Degraded, no overload: everyone every step (the budget is never spent), nothing spread
    // although the active players' sends are over their (near-zero) share.
    world.ctx.budgets.interestQuality = 1;
    await settle(50);
    clear();
    await steps(20);
    expect(ladder().overload).toBe(0);
    expect(ladder().activeSpread).toBe(1);
    expect(ladder().activeUsPerSnapshot).toBeGreaterThan(0);
    expect([wa, wb, wc].map((w) => ts!.server.sessionPriority('w1', w.playerId))).toEqual([4, 4, 3]);
    expect(got.a.length).toBe(20);
    expect(got.c.length).toBe(20);
    // Sustained emergency: after 3 runs overload is on — idle players and spectators at their
    // overload floors (1 Hz, 0.25 Hz) and, once the process is CPU-bound, active players spread to 10 Hz.
    // The process is not CPU-bound (manual stepping never samples the CPU meter: set what it would
    // read): overload floors, but no spread (net overloadSpreadMinCpu 0.8).
    world.controller.cpuShare = 0.5;
    world.ctx.budgets.interestQuality = 3;
    await steps(3);
    expect(ladder().overload).toBe(1);
    expect([ladder().activeSpread, ladder().crowdSpread]).toEqual([1, 1]);
    // Not CPU-bound enough to start a spread: 0.75 of a core is under 0.8.
    world.controller.cpuShare = 0.75;
    await steps(2);
    expect([ladder().activeSpread, ladder().crowdSpread]).toEqual([1, 1]);
    // CPU-bound: spread at the next run.
    world.controller.cpuShare = 0.95;
    await steps(1);
    expect([ladder().activeSpread, ladder().crowdSpread]).toEqual([2, 2]);
    // Once spread, a window with a neighbour on the core (0.75, above 0.8 × 0.8) keeps it: hysteresis.
    world.controller.cpuShare = 0.75;
    await steps(2);
    expect([ladder().activeSpread, ladder().crowdSpread]).toEqual([2, 2]);
    world.controller.cpuShare = 0.95;
    clear();
    const spread0 = ts.server.stats().byClass.player!.spread;
    await steps(40);
    expect(got.i.length).toBe(2);
    expect(got.s.length).toBeLessThanOrEqual(1);
    for (const k of ['a', 'b', 'c'] as const) {
      expect(got[k].length).toBe(20);
      // Every 2nd step, at the session's own slot.
      // (Seen once at load ≈ 15 in fresh-clone CI: a gap of 3; the message says what the server saw then.)
      const seen = (): string => JSON.stringify({ k, steps: got[k], ladder: ladder(), player: ts!.server.stats().byClass.player });
      for (let j = 1; j < got[k].length; j++) expect(got[k][j] - got[k][j - 1], seen()).toBe(2);
    }
    // Staggered: a and b (consecutive connection ids) on alternate steps.
    expect((got.a[0] - got.b[0]) % 2).not.toBe(0);
    expect(ts.server.stats().byClass.player!.spread - spread0).toBe(3 * 20);
    expect(ladder().spreadRaised).toBe(1);
    // Views stay exact deltas: the NPCs stop, the next sends bring each near ring to the world's state.
    for (const e of npcs) world.stores.Velocity.x[e] = 0;
    await steps(4);
    for (const [cl, ring] of [
      [a, npcs.slice(0, 6)],
      [c, npcs.slice(6)],
    ] as const) {
      expect(cl.view.inconsistencies).toBe(0);
      for (const e of ring) {
        const v = cl.view.entities.get(e);
        expect(v).toBeDefined();
        expect(Math.abs(v!.x - world.stores.Position.x[e])).toBeLessThanOrEqual(1 / 16);
      }
    }
    // They stop playing: once idle (activeInputMs), the spread is no longer needed; out of
    // emergency, overload ends after 5 calm runs and the spread with it.
    await new Promise((r) => setTimeout(r, 350));
    world.ctx.budgets.interestQuality = 1;
    await steps(8, false);
    expect(ladder().overload).toBe(0);
    expect([ladder().activeSpread, ladder().crowdSpread]).toEqual([1, 1]);
    // Playing again, degraded: every step.
    clear();
    await steps(10);
    expect(got.a.length).toBe(10);
    expect(got.c.length).toBe(10);
  });
});
