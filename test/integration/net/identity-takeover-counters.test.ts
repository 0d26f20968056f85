/**
 * Takeovers are counted, and a hello waiting for its identity's join in flight is bounded
 * (docs/PROTOCOL.md "Sessions"). A hello that claims a player held in memory is counted in
 * `GameServer.stats().takeovers` and `/metrics` `worldtick_net_takeovers_total{by, from}` by how it
 * was claimed (its resume token, or its identity without one) and what it claimed (a live player,
 * whose socket is closed 4011, or a parked one). A hello of an identity whose join is in flight
 * waits at most `net.helloTimeoutMs`, then is answered UNAVAILABLE and closed 1013 (counted
 * `identityWaitTimeouts`); a socket that closes while waiting leaves nothing in the identity
 * tables (`identityWaiting`). Real server from `startServer` (SQLite store, admin), raw `ws`
 * clients; the world is paused and stepped by the test, so a join stays in flight until it steps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame, pauseWorld, type RunningServer, startServer, stepWorld } from '../../../src/index.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const WELCOME = 16;
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

let server: RunningServer | null = null;
const open: RawWs[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.ws.close();
  await server?.stop();
  server = null;
});

const start = async (helloTimeoutMs = 5000): Promise<RunningServer> => {
  const game = defineGame({ name: 'takeover-counters', world: { size: 1000, npcs: 0, physics: 'off' }, net: { helloTimeoutMs } });
  const s = await startServer(game, { options: testServerOptions('wt-takeover-') });
  pauseWorld(s.world);
  server = s;
  return s;
};

const stats = () => {
  if (!server) throw new Error('no server');
  return server.runtime.gameServer.stats();
};

/** Open a socket and send a hello (token `token`, resume token `resume`) for world 1. */
const send = async (s: RunningServer, token: string, resume: string | null = null): Promise<RawWs> => {
  const c = await openRaw(`ws://127.0.0.1:${s.port}`);
  open.push(c);
  c.send([1, 1, '1', 'p', token, resume]);
  return c;
};

/** Step the paused world until `c` is welcomed: its welcome. */
const welcomed = async (s: RunningServer, c: RawWs): Promise<unknown[]> => {
  for (let i = 0; i < 2000 && !c.msgs.some((m) => m[0] === WELCOME) && c.code() === 0; i++) {
    stepWorld(s.world, 1);
    await macrotask();
  }
  return c.waitFor(WELCOME);
};

/** Close `c` and wait until the server parked its player. */
const drop = async (s: RunningServer, c: RawWs): Promise<void> => {
  const parked = stats().parked;
  c.ws.close();
  await c.closed;
  for (let i = 0; i < 2000 && stats().parked === parked; i++) await macrotask();
  stepWorld(s.world, 1);
  expect(stats().parked).toBe(parked + 1);
};

const none = { resumeLive: 0, resumeParked: 0, identityLive: 0, identityParked: 0 };

describe('takeovers are counted by how the player was claimed', () => {
  it('each path increments exactly its own counter, in /stats and /metrics', async () => {
    const s = await start();
    const a = await send(s, 'alice-secret');
    const wa = await welcomed(s, a);
    expect(wa[9]).toBe(false);
    expect(stats().takeovers, 'a fresh join is no takeover').toEqual(none);

    // Identity, live: a hello of the same token without a resume token; the first socket closed 4011.
    const b = await send(s, 'alice-secret');
    const wb = await welcomed(s, b);
    expect(wb[2]).toBe(wa[2]);
    expect(await a.closed).toBe(4011);
    expect(stats().takeovers).toEqual({ ...none, identityLive: 1 });

    // Identity, parked.
    await drop(s, b);
    const c = await send(s, 'alice-secret');
    expect((await welcomed(s, c))[2]).toBe(wa[2]);
    expect(stats().takeovers).toEqual({ ...none, identityLive: 1, identityParked: 1 });

    // Resume token, live.
    const token = wa[6] as string;
    const d = await send(s, 'alice-secret', token);
    expect((await welcomed(s, d))[9]).toBe(true);
    expect(await c.closed).toBe(4011);
    expect(stats().takeovers).toEqual({ resumeLive: 1, resumeParked: 0, identityLive: 1, identityParked: 1 });

    // Resume token, parked.
    await drop(s, d);
    const e = await send(s, 'alice-secret', token);
    expect((await welcomed(s, e))[2]).toBe(wa[2]);
    expect(e.errors()).toEqual([]);
    const t = stats().takeovers;
    expect(t).toEqual({ resumeLive: 1, resumeParked: 1, identityLive: 1, identityParked: 1 });

    // Another identity is a fresh player: nothing counted.
    const f = await send(s, 'bob-secret');
    expect((await welcomed(s, f))[9]).toBe(false);
    expect(stats().takeovers).toEqual(t);

    const metrics = await (await fetch(`http://127.0.0.1:${s.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
    expect(metrics).toContain('worldtick_net_takeovers_total{by="resume-token",from="live"} 1');
    expect(metrics).toContain('worldtick_net_takeovers_total{by="resume-token",from="parked"} 1');
    expect(metrics).toContain('worldtick_net_takeovers_total{by="identity",from="live"} 1');
    expect(metrics).toContain('worldtick_net_takeovers_total{by="identity",from="parked"} 1');
    expect(metrics).toContain('worldtick_net_identity_wait_timeouts_total 0');
  });
});

describe("a hello waiting for its identity's join in flight", () => {
  it('is answered UNAVAILABLE and closed 1013 after net.helloTimeoutMs; counted; the join goes on', async () => {
    const s = await start(200);
    const a = await send(s, 'erin-secret');
    for (let i = 0; i < 2000 && stats().joining === 0; i++) await macrotask();
    const b = await send(s, 'erin-secret');
    for (let i = 0; i < 2000 && stats().identityWaiting !== 1; i++) await macrotask();
    expect(stats().identityWaiting).toBe(1);
    // The world does not step: the first join stays in flight, and the waiting hello gives up.
    const code = await Promise.race([b.closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
    expect(code).toBe(1013);
    expect(b.errors()).toEqual(['UNAVAILABLE']);
    expect(b.msgs.some((m) => m[0] === WELCOME)).toBe(false);
    expect(stats().identityWaitTimeouts).toBe(1);
    expect(stats().identityWaiting).toBe(0);
    const wa = await welcomed(s, a);
    expect(wa[9]).toBe(false);
    expect(a.code()).toBe(0);
    expect(stats().takeovers).toEqual(none);
    const metrics = await (await fetch(`http://127.0.0.1:${s.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
    expect(metrics).toContain('worldtick_net_identity_wait_timeouts_total 1');
  });

  it('sockets that close while waiting leave nothing behind in the identity tables', async () => {
    const s = await start();
    const a = await send(s, 'gil-secret');
    for (let i = 0; i < 2000 && stats().joining === 0; i++) await macrotask();
    const waiting: RawWs[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) waiting.push(await send(s, 'gil-secret'));
      for (let i = 0; i < 2000 && stats().identityWaiting !== 20; i++) await macrotask();
      expect(stats().identityWaiting, `round ${round}`).toBe(20);
      for (const c of waiting.splice(0)) c.ws.close();
      for (let i = 0; i < 2000 && stats().connections > 1; i++) await macrotask();
      expect(stats().connections).toBe(1);
      expect(stats().identityWaiting, 'the closed sockets left the waiting list').toBe(0);
    }
    const wa = await welcomed(s, a);
    expect(wa[9]).toBe(false);
    a.send([3, 7]);
    await a.waitFor(19, (m) => m[1] === 7);
    expect(a.code()).toBe(0);
    expect(stats().takeovers).toEqual(none);
    expect(stats().identityWaitTimeouts).toBe(0);
  });
});
