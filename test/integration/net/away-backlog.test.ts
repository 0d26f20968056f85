/**
 * Server messages to a player who is away (src/net/game-backlog.ts): a real server from
 * `startServer` (127.0.0.1, port 0) and raw `ws` clients. A client drops; the game sends to its
 * parked player; the client resumes with its token and receives the kept messages in order right
 * after its `welcome`, before its first snapshot, then live ones. The backlog's bound drops the
 * oldest (counted `backlogOverflow`); a player that does not resume loses them (counted
 * `backlogExpired`); broadcasts are never kept. The world is paused and stepped by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcast,
  defineGame,
  defineServerMessage,
  pauseWorld,
  type RunningServer,
  sendToPlayer,
  startServer,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { createGameOutbox, encodeGameMessage } from '../../../src/net/game-outbox.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { planSystem } from '../../helpers/plan-system.js';

const note = defineServerMessage({ name: 'note', schema: Type.Object({ n: Type.Integer() }), maxBytes: 64 });
const plan = planSystem();
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** The `n` of every game message a raw socket received, in order. */
const notes = (c: RawWs): number[] => c.msgs.filter((m) => m[0] === 25).map((m) => (m[3] as { n: number }).n);

const startGame = async (name: string, net: Record<string, unknown>): Promise<RunningServer> => {
  const game = defineGame({ name, world: { size: 1000, npcs: 0, physics: 'off' }, net, serverMessages: [note], systems: [plan.system] });
  const server = await startServer(game, { options: testServerOptions(`wt-${name}-`) });
  pauseWorld(server.world);
  return server;
};

/** Open a socket and send `hello` (token `token`, resume token `resume`), stepping the paused world until the welcome. */
const join = async (server: RunningServer, token: string, resume: string | null = null): Promise<{ c: RawWs; welcome: unknown[] }> => {
  const c = await openRaw(`ws://127.0.0.1:${server.port}`);
  c.send([1, 1, '1', token, token, resume]);
  for (let i = 0; i < 2000 && !c.msgs.some((m) => m[0] === 16); i++) {
    stepWorld(server.world, 1);
    await macrotask();
  }
  return { c, welcome: await c.waitFor(16) };
};

/** Close a client's socket and wait until the server parked its player. */
const drop = async (server: RunningServer, c: RawWs): Promise<void> => {
  const parked = server.runtime.gameServer.stats().parked;
  c.ws.close();
  await c.closed;
  for (let i = 0; i < 2000 && server.runtime.gameServer.stats().parked === parked; i++) await macrotask();
  stepWorld(server.world, 1); // the park fact
};

describe('server messages to a parked player are kept and delivered after its resume', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startGame('away-backlog', { parkedBacklogMessages: 3, parkedBacklogBytes: 4096 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('drop, the game sends 5, resume: welcome, then the newest 3 in order, then snapshots; the 2 oldest counted dropped', async () => {
    const st = server.world.game!.outbox.stats;
    const before = { ...st };
    const a = await join(server, 'alice');
    const player = a.welcome[2] as number;
    const token = a.welcome[6] as string;
    const other = await join(server, 'bob');
    await drop(server, a.c);
    plan.next((w) => {
      for (let n = 1; n <= 5; n++) sendToPlayer(w, player, note, { n });
      broadcast(w, note, { n: 100 }); // never kept for the parked player
    });
    stepWorld(server.world, 1);
    await other.c.waitFor(25, (m) => (m[3] as { n: number }).n === 100);
    expect(st.backlogged - before.backlogged).toBe(5);
    expect(st.backlogOverflow - before.backlogOverflow).toBe(2);
    expect(notes(other.c)).toEqual([100]); // bob got the broadcast, none of alice's messages

    const back = await join(server, 'alice', token);
    expect(back.welcome[2]).toBe(player);
    expect(back.welcome[9]).toBe(true); // resumed
    plan.next((w) => sendToPlayer(w, player, note, { n: 6 })); // live again: after the backlog
    stepWorld(server.world, 1);
    await back.c.waitFor(25, (m) => (m[3] as { n: number }).n === 6);
    const types = back.c.msgs.map((m) => (m[0] === 25 ? `m${(m[3] as { n: number }).n}` : String(m[0])));
    const w = types.indexOf('16');
    expect(types.slice(w, w + 4)).toEqual(['16', 'm3', 'm4', 'm5']);
    expect(types[w + 4]).toBe('17'); // the first snapshot follows the backlog
    expect(notes(back.c)).toEqual([3, 4, 5, 6]);
    expect(st.backlogDelivered - before.backlogDelivered).toBe(3);
    expect(st.backlogExpired - before.backlogExpired).toBe(0);
    back.c.ws.close();
    other.c.ws.close();
  });

  it('a resume whose socket closes before its join applied keeps the backlog for the next resume', async () => {
    const st = server.world.game!.outbox.stats;
    const a = await join(server, 'carol');
    const player = a.welcome[2] as number;
    const token = a.welcome[6] as string;
    await drop(server, a.c);
    plan.next((w) => sendToPlayer(w, player, note, { n: 7 }));
    stepWorld(server.world, 1);
    // Resume, but close the socket before any step applies the join.
    const early = await openRaw(`ws://127.0.0.1:${server.port}`);
    early.send([1, 1, '1', 'carol', 'carol', token]);
    for (let i = 0; i < 200 && server.runtime.gameServer.stats().joining === 0; i++) await macrotask();
    plan.next((w) => sendToPlayer(w, player, note, { n: 8 })); // sent while the resume waits for its step
    early.ws.close();
    await early.closed;
    await macrotask();
    stepWorld(server.world, 1);
    stepWorld(server.world, 1);
    expect(notes(early)).toEqual([]);
    const delivered = st.backlogDelivered;
    const back = await join(server, 'carol', token);
    expect(back.welcome[2]).toBe(player);
    await back.c.waitFor(25, (m) => (m[3] as { n: number }).n === 8);
    expect(notes(back.c)).toEqual([7, 8]);
    expect(st.backlogDelivered - delivered).toBe(2);
    back.c.ws.close();
  });
});

describe('a takeover (the token of an open session) keeps messages sent before its join applied', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startGame('away-backlog-takeover', {});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sent outside a step between the takeover hello and its join: delivered to the new socket after its welcome', async () => {
    const a = await join(server, 'fred');
    const player = a.welcome[2] as number;
    const token = a.welcome[6] as string;
    const b = await openRaw(`ws://127.0.0.1:${server.port}`);
    b.send([1, 1, '1', 'fred', 'fred', token]);
    expect(await a.c.closed).toBe(4011); // taken over at the hello; the join waits for the next step
    sendToPlayer(server.world, player, note, { n: 1 }); // outside any step (the world is paused)
    for (let i = 0; i < 2000 && !b.msgs.some((m) => m[0] === 16); i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    const welcome = await b.waitFor(16);
    expect(welcome[2]).toBe(player);
    await b.waitFor(25);
    expect(notes(b)).toEqual([1]);
    expect(notes(a.c)).toEqual([]);
    b.ws.close();
  });
});

describe('a parked player that does not resume in time loses its backlog (counted)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startGame('away-backlog-expiry', { resumeGraceSeconds: 0.2, parkedBacklogMessages: 8, parkedBacklogBytes: 64 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the byte bound drops the oldest; at the end of the grace the rest are counted expired and the token resumes nothing', async () => {
    const st = server.world.game!.outbox.stats;
    const a = await join(server, 'dave');
    const player = a.welcome[2] as number;
    const token = a.welcome[6] as string;
    await drop(server, a.c);
    // 64 bytes hold ⌊64 / frame⌋ of the 7 frames ([25, step, "note", {n}], encoded as the server does): the rest, oldest first, are dropped.
    const frame = encodeGameMessage(createGameOutbox().packr, server.world.clock.step, 'note', { n: 1 }).length;
    const fit = Math.floor(64 / frame);
    expect(fit).toBeLessThan(7);
    plan.next((w) => {
      for (let n = 1; n <= 7; n++) sendToPlayer(w, player, note, { n });
    });
    stepWorld(server.world, 1);
    expect(st.backlogged).toBe(7);
    expect(st.backlogOverflow).toBe(7 - fit);
    for (let i = 0; i < 400 && server.runtime.gameServer.stats().parked > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.runtime.gameServer.stats().parked).toBe(0);
    expect(st.backlogExpired).toBe(fit);
    plan.next((w) => sendToPlayer(w, player, note, { n: 9 })); // the player is gone: undelivered
    const undelivered = st.undelivered;
    stepWorld(server.world, 1);
    expect(st.undelivered - undelivered).toBe(1);
    const back = await join(server, 'dave', token);
    expect(back.welcome[9]).toBe(false); // a fresh player
    stepWorld(server.world, 1);
    await back.c.waitFor(17);
    expect(notes(back.c)).toEqual([]);
    back.c.ws.close();
  });
});

describe('messages still waiting for the delivery budget when the socket drops are kept for the resume', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startGame('away-backlog-deferred', { maxGameMessageDeliveriesPerStep: 1 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('1 frame per step: the first of 4 arrives live, the 3 still queued when the client drops arrive after its resume, in order', async () => {
    const a = await join(server, 'erin');
    const player = a.welcome[2] as number;
    const token = a.welcome[6] as string;
    plan.next((w) => {
      for (let n = 1; n <= 4; n++) sendToPlayer(w, player, note, { n });
    });
    stepWorld(server.world, 1);
    await a.c.waitFor(25);
    expect(notes(a.c)).toEqual([1]);
    await drop(server, a.c);
    for (let i = 0; i < 4; i++) stepWorld(server.world, 1);
    expect(server.world.game!.outbox.items).toHaveLength(0);
    const back = await join(server, 'erin', token);
    expect(back.welcome[9]).toBe(true);
    await back.c.waitFor(25, (m) => (m[3] as { n: number }).n === 4);
    expect(notes(back.c)).toEqual([2, 3, 4]);
    back.c.ws.close();
  });
});
