/**
 * A client that leaves on purpose (docs/PROTOCOL.md "Leaving"): `leave` `[6]` after `welcome` closes the
 * socket 1000 `left`, and the world's next step removes the player — others' snapshots of that step list
 * it in `leave`, `onPlayerLeft` hears `consented` once — without parking it: its resume token is refused
 * from then on, also by a server restarted on the same durable SQLite store (where a player still
 * connected at the restart resumes: the control). `leave` before `welcome`, or with an element too many,
 * is refused and changes nothing. Real GameServer on 127.0.0.1 over a paused world the test steps, raw
 * sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { entityExists } from 'bitecs';
import { defineGame } from '../../../src/index.js';
import type { GameServer } from '../../../src/net/game-server.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import type { AuthRequest, AuthResult } from '../../../src/net/hello-auth.js';
import { stepWorld } from '../../../src/world/step.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type PausedGameServer, startPausedGameServer } from '../../helpers/paused-game-server.js';
import { startTestServer, type TestServer } from './harness.js';

let server: GameServer | null = null;
let store: Store | null = null;
let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
  await server?.stop();
  server = null;
  await store?.close();
  store = null;
});

const WELCOME = 16;
const SNAPSHOT = 17;
const PONG = 19;
/** docs/PROTOCOL.md `leave` `[6]` (bytes `91 06`). */
const LEAVE = [6];

/** A game whose `onPlayerLeft` writes every call to `log`. */
const leaveGame = (log: string[]) =>
  defineGame({
    name: 'leave-net',
    hooks: {
      onPlayerLeft: (_w, p, { parked, kicked, consented }) =>
        log.push(`left ${p} parked=${parked} kicked=${kicked} consented=${consented}`),
    },
  });

/** Open a socket and join `p`'s world as `token` (the world stepped once for the join). */
const join = async (p: PausedGameServer, token: string, resume: string | null = null) => {
  const ws = await openRaw(p.url);
  const closed = new Promise<[number, string]>((r) => ws.ws.once('close', (code: number, why: Buffer) => r([code, why.toString()])));
  ws.send([1, 1, 'w1', token, token, resume]);
  await p.stepWhen(1);
  const w = await ws.waitFor(WELCOME);
  return { ws, closed, player: w[2] as number, token: w[6] as string, resumed: w[9] as boolean };
};

describe('leave: a consented leave', () => {
  it('removes the player at the next step, not parked; its resume token is refused, also after a restart (SQLite)', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-leave-').dir });
    const log: string[] = [];
    // A world of 40 × 40 units: every player is in every other's view (interest radius 80).
    const first = await startPausedGameServer(leaveGame(log), { store, size: 40 });
    server = first.server;
    const { world } = first;
    const a = await join(first, 'ann');
    const b = await join(first, 'bob');
    const c = await join(first, 'cat');
    const d = await join(first, 'dan');
    await b.ws.waitFor(SNAPSHOT, (m) => (m[5] as number[][]).some((e) => e[0] === a.player));
    const parkedBefore = server.stats().parked;

    a.ws.send(LEAVE);
    expect(await a.closed).toEqual([1000, 'left']);
    expect(entityExists(world, a.player)).toBe(true); // until the world's next step
    expect(log).toEqual([]);
    const step = world.clock.step;
    await first.stepWhen(1); // its leave fact
    expect(log).toEqual([`left ${a.player} parked=false kicked=false consented=true`]);
    expect(entityExists(world, a.player)).toBe(false);
    const snap = await b.ws.waitFor(SNAPSHOT, (m) => m[1] === step);
    expect(snap[7]).toContain(a.player);
    expect(server.stats().parked).toBe(parkedBefore);
    expect(server.stats().worlds.w1?.leaves).toBe(1);
    stepWorld(world, 3);
    expect(log.length).toBe(1); // once

    // Its resume token, well within the grace: refused, a fresh player of the same identity.
    const a2 = await join(first, 'ann', a.token);
    expect(a2.resumed).toBe(false);
    expect(a2.token).not.toBe(a.token);
    expect(a2.ws.errors()).toContain('RESUME_REFUSED');

    // cat leaves, dan stays connected; the server restarts on the same store.
    c.ws.send(LEAVE);
    expect(await c.closed).toEqual([1000, 'left']);
    await first.stepWhen(1);
    expect(log.at(-1)).toBe(`left ${c.player} parked=false kicked=false consented=true`);
    expect(server.stats()).toMatchObject({ parked: 0, worlds: { w1: { leaves: 2 } } });
    await server.stop();
    server = null;
    const second = await startPausedGameServer(leaveGame(log), { store, size: 40 });
    server = second.server;
    const d2 = await join(second, 'dan', d.token);
    expect(d2.resumed).toBe(true); // the control: a session live at the restart resumes
    const c2 = await join(second, 'cat', c.token);
    expect(c2.resumed).toBe(false);
    expect(c2.token).not.toBe(c.token);
    expect(c2.ws.errors()).toContain('RESUME_REFUSED');
  });

  it('before welcome (no hello, join not applied yet) is NOT_JOINED, with an element too many BAD_FIELD: nothing changes', async () => {
    const log: string[] = [];
    const p = await startPausedGameServer(leaveGame(log), { size: 40 });
    server = p.server;
    const other = await join(p, 'bob');
    const x = await openRaw(p.url);
    x.send(LEAVE); // no hello yet
    x.send([3, 1]);
    await x.waitFor(PONG, (m) => m[1] === 1); // answered in order, still open
    x.send([1, 1, 'w1', 'eve', 'eve', null]);
    await p.waitPending(1);
    x.send(LEAVE); // the join waits for the world's next step: not welcomed yet
    x.send([3, 2]);
    await x.waitFor(PONG, (m) => m[1] === 2);
    expect(x.errors()).toEqual(['NOT_JOINED', 'NOT_JOINED']);
    stepWorld(p.world, 1);
    const player = (await x.waitFor(WELCOME))[2] as number;
    x.send([6, 'bye']); // welcomed, one element too many
    x.send([3, 3]);
    await x.waitFor(PONG, (m) => m[1] === 3);
    expect(x.errors()).toEqual(['NOT_JOINED', 'NOT_JOINED', 'BAD_FIELD']);
    stepWorld(p.world, 2);
    expect(entityExists(p.world, player)).toBe(true);
    expect(x.code()).toBe(0);
    expect(log).toEqual([]);
    expect(server.stats()).toMatchObject({ sessions: 2, parked: 0, strikes: 3, errorsByCode: { NOT_JOINED: 2, BAD_FIELD: 1 } });
    expect(server.stats().worlds.w1?.leaves).toBe(0);
    expect(other.ws.code()).toBe(0);
  });

  it('while the hello is still being resolved (authenticate pending): NOT_JOINED at once, not held; the join goes on', async () => {
    let open = (): void => {};
    const gate = new Promise<void>((r) => (open = r));
    const authenticate = async (req: AuthRequest): Promise<AuthResult> => {
      await gate;
      return { ok: true, identity: req.name };
    };
    ts = await startTestServer({ size: 40, hooks: { authenticate } });
    const x = await openRaw(ts.url);
    x.send([1, 1, 'w1', 'eve', 'eve-token', null]);
    for (let i = 0; i < 500 && ts.server.stats().auth.pending < 1; i++) await new Promise((r) => setTimeout(r, 5));
    x.send(LEAVE);
    x.send([3, 1]);
    await x.waitFor(PONG, (m) => m[1] === 1);
    expect(x.errors()).toEqual(['NOT_JOINED']); // answered while the hello is held, not after it
    expect(ts.server.stats().auth.pending).toBe(1);
    open();
    const player = (await x.waitFor(WELCOME))[2] as number;
    await ts.idle();
    expect(entityExists(ts.world, player)).toBe(true);
    expect(ts.server.stats()).toMatchObject({ sessions: 1, parked: 0, worlds: { w1: { leaves: 0 } } });
    expect(x.code()).toBe(0);
  });
});
