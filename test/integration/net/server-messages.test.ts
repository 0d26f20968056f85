/**
 * The game's server → client messages (src/game/server-messages.ts, src/net/game-outbox.ts) over
 * a real server from `startServer` (127.0.0.1, port 0) and real WebSocket clients with the
 * documented client: to one player, to the sessions whose interest area holds a point or an
 * entity (a far client gets nothing), to the whole world; delivered after the step's snapshot, in
 * the order sent; a full step queue drops the newest (counted in /stats and /metrics); an invalid
 * send throws WT_ERR_GAME_MESSAGE_INVALID and sends nothing. The world is paused and stepped by
 * the test: no wall-clock sleep decides anything.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GameMessageMsg, MsgType, type ServerMsg, type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';
import {
  broadcast,
  broadcastNear,
  defineGame,
  defineServerMessage,
  type GameWorld,
  isWorldtickError,
  pauseWorld,
  type RunningServer,
  sendToPlayer,
  startServer,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { planSystem } from '../../helpers/plan-system.js';

const Ws = WebSocket as unknown as WebSocketCtor;
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

const note = defineServerMessage({
  name: 'note',
  schema: Type.Object({ text: Type.String({ maxLength: 40 }), n: Type.Integer() }, { additionalProperties: false }),
  maxBytes: 64,
});
const free = defineServerMessage({ name: 'free', schema: Type.Unknown(), maxBytes: 64 });

/** What the test asks the game to do in the next step (run by the `plan` system in the behavior phase). */
const plan = planSystem();

const game = defineGame({
  name: 'server-messages',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: { interestRadius: 50, maxGameMessagesPerStep: 3 },
  serverMessages: [note, free],
  systems: [plan.system],
});

describe('server messages of the game over real WebSockets', () => {
  let server: RunningServer;
  const clients: WorldtickClient[] = [];
  let a: WorldtickClient, b: WorldtickClient, far: WorldtickClient;
  /** Every frame type each client received, in order (with the step of snapshots and messages). */
  const frames = new Map<WorldtickClient, Array<{ type: number; step: number }>>();

  const pid = (c: WorldtickClient): number => c.welcome?.playerId ?? -1;
  /** Run one step (with `p` as its plan) and wait until every client has that step's snapshot, then one more. */
  const step = async (p: ((w: GameWorld) => void) | null = null): Promise<number> => {
    if (p) plan.next(p);
    const s = server.world.clock.step;
    stepWorld(server.world, 1);
    // The messages of step s follow its snapshot on the same socket: after snapshot s + 1 they are all in.
    stepWorld(server.world, 1);
    await Promise.all(clients.map((c) => c.waitForStep(s + 1)));
    return s;
  };
  const got = (c: WorldtickClient, from: number): GameMessageMsg[] => c.messages.slice(from);
  const admin = async (path: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${server.adminPort}${path}`, { headers: { authorization: 'Bearer tok' } });

  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-srvmsg-') });
    pauseWorld(server.world);
    for (const name of ['a', 'b', 'far']) {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: Ws });
      await c.connect();
      const log: Array<{ type: number; step: number }> = [];
      frames.set(c, log);
      c.on((m: ServerMsg) => {
        if (m.type === MsgType.SNAPSHOT || m.type === MsgType.MESSAGE) log.push({ type: m.type, step: m.step });
      });
      let joined = false;
      const p = c.join('1', name, name).then(() => void (joined = true));
      for (let i = 0; i < 2000 && !joined; i++) {
        stepWorld(server.world, 1);
        await macrotask();
      }
      await p;
      clients.push(c);
    }
    [a, b, far] = clients as [WorldtickClient, WorldtickClient, WorldtickClient];
    // a and b 20 units apart near (100, 100); far at (800, 800). Inputs never move them (none sent).
    const P = server.world.stores.Position;
    for (const [c, x, y] of [
      [a, 100, 100],
      [b, 120, 100],
      [far, 800, 800],
    ] as const) {
      P.x[pid(c)] = x;
      P.y[pid(c)] = y;
    }
    await step();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('to one player: only its session gets it, after the snapshot of the step that sent it', async () => {
    const from = clients.map((c) => c.messages.length);
    const s = await step((w) => sendToPlayer(w, pid(a), note, { text: 'hello a', n: 1 }));
    expect(got(a, from[0] ?? 0)).toEqual([{ type: MsgType.MESSAGE, step: s, name: 'note', payload: { text: 'hello a', n: 1 } }]);
    expect(got(b, from[1] ?? 0)).toEqual([]);
    expect(got(far, from[2] ?? 0)).toEqual([]);
    const log = frames.get(a) ?? [];
    const at = log.findIndex((f) => f.type === MsgType.MESSAGE && f.step === s);
    expect(log[at - 1]).toEqual({ type: MsgType.SNAPSHOT, step: s }); // the state of the step first
    expect(log[at + 1]).toEqual({ type: MsgType.SNAPSHOT, step: s + 1 });
  });

  it('to an area (a point or an entity): the sessions whose interest radius holds it; the far client gets nothing', async () => {
    const from = clients.map((c) => c.messages.length);
    await step((w) => {
      broadcastNear(w, { x: 110, y: 100 }, note, { text: 'point', n: 2 });
      broadcastNear(w, pid(b), note, { text: 'entity', n: 3 });
      broadcastNear(w, { x: 160, y: 100 }, note, { text: 'edge', n: 4 }); // 60 from a, 40 from b (radius 50)
    });
    const texts = (c: WorldtickClient, i: number) => got(c, from[i] ?? 0).map((m) => (m.payload as { text: string }).text);
    expect(texts(a, 0)).toEqual(['point', 'entity']);
    expect(texts(b, 1)).toEqual(['point', 'entity', 'edge']);
    expect(texts(far, 2)).toEqual([]);
  });

  it('to the world: every session, in the order sent; the client hands typed payloads to onMessage', async () => {
    const seen: Array<{ n: number; step: number }> = [];
    const off = far.onMessage<{ text: string; n: number }>('note', (p, m) => seen.push({ n: p.n, step: m.step }));
    const from = clients.map((c) => c.messages.length);
    const s = await step((w) => {
      broadcast(w, note, { text: 'one', n: 5 });
      broadcast(w, 'free', [1, 'two']);
      broadcast(w, note, { text: 'three', n: 6 });
    });
    off();
    for (const [i, c] of clients.entries())
      expect(got(c, from[i] ?? 0).map((m) => m.payload)).toEqual([{ text: 'one', n: 5 }, [1, 'two'], { text: 'three', n: 6 }]);
    expect(seen).toEqual([
      { n: 5, step: s },
      { n: 6, step: s },
    ]);
  });

  it('a full step queue keeps the oldest and drops the newest, counted in /stats and /metrics', async () => {
    const before = { ...server.world.game!.outbox.stats };
    const from = a.messages.length;
    await step((w) => {
      for (let n = 1; n <= 5; n++) sendToPlayer(w, pid(a), note, { text: 'burst', n });
    });
    expect(got(a, from).map((m) => (m.payload as { n: number }).n)).toEqual([1, 2, 3]);
    const st = server.world.game!.outbox.stats;
    expect(st.overflow - before.overflow).toBe(2);
    expect(st.queued - before.queued).toBe(3);
    const stats = (await (await admin('/api/v1/worlds/1/stats')).json()) as { gameMessages: Record<string, number> };
    expect(stats.gameMessages).toMatchObject({ overflow: st.overflow, queued: st.queued, sent: st.sent });
    const metrics = await (await admin('/metrics')).text();
    expect(metrics).toContain(`worldtick_game_server_messages_total{world="1",outcome="overflow"} ${st.overflow}`);
    expect(metrics).toContain(`worldtick_game_server_message_deliveries_total{world="1",outcome="sent"} ${st.sent}`);
    expect(metrics).toContain(`worldtick_game_server_messages_total{world="1",outcome="capped"} ${st.capped}`);
    expect(metrics).toContain(`worldtick_game_server_message_time_limited_steps_total{world="1"} ${st.timeLimited}`);
  });

  it('an invalid send throws WT_ERR_GAME_MESSAGE_INVALID and sends nothing', async () => {
    const refusedBefore = server.world.game!.outbox.stats.refused;
    const from = clients.map((c) => c.messages.length);
    const codes: string[] = [];
    const attempt = (fn: () => void): void => {
      try {
        fn();
        codes.push('sent');
      } catch (err) {
        codes.push(isWorldtickError(err) ? `${err.code} ${err.message}` : String(err));
      }
    };
    await step((w) => {
      attempt(() => sendToPlayer(w, pid(a), note, { text: 5, n: 1 } as unknown as { text: string; n: number })); // off the schema
      attempt(() => broadcast(w, 'free', 'x'.repeat(100))); // over maxBytes 64
      attempt(() => broadcast(w, 'free', new Map([[1, 2]]))); // not plain values
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      attempt(() => broadcast(w, 'free', cyclic)); // stopped by the value budget, no hang
      attempt(() => broadcast(w, 'nope', {})); // not defined
      attempt(() => broadcastNear(w, { x: Number.NaN, y: 0 }, note, { text: 'x', n: 1 }));
      attempt(() => broadcastNear(w, 999_999, note, { text: 'x', n: 1 }));
    });
    expect(codes).toHaveLength(7);
    for (const c of codes) expect(c).toMatch(/^WT_ERR_GAME_MESSAGE_INVALID server message "/);
    expect(codes[0]).toMatch(/"note": \/text Expected string/);
    expect(codes[1]).toMatch(/more than its maxBytes 64/);
    for (const [i, c] of clients.entries()) expect(got(c, from[i] ?? 0)).toEqual([]);
    expect(server.world.game!.outbox.stats.refused - refusedBefore).toBe(7);
    expect(server.world.fault).toBeNull();
    expect(clients.every((c) => c.errors.length === 0)).toBe(true);
  });
});

describe('server messages under the per-step delivery budget', () => {
  const budgetGame = defineGame({
    name: 'server-messages-budget',
    world: { size: 1000, npcs: 0, physics: 'off' },
    // 3 sessions: one world broadcast (3 frames) fits a step of 4, a second does not.
    net: { interestRadius: 50, maxGameMessageDeliveriesPerStep: 4 },
    serverMessages: [note],
    systems: [plan.system],
  });
  let server: RunningServer;
  const clients: WorldtickClient[] = [];
  const logs = new Map<WorldtickClient, string[]>();

  beforeAll(async () => {
    server = await startServer(budgetGame, { options: testServerOptions('wt-srvmsg-budget-') });
    pauseWorld(server.world);
    for (const name of ['p', 'q', 'r']) {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: Ws });
      await c.connect();
      const log: string[] = [];
      logs.set(c, log);
      c.on((m: ServerMsg) => {
        if (m.type === MsgType.SNAPSHOT) log.push(`snapshot ${m.step}`);
        if (m.type === MsgType.MESSAGE) log.push(`${(m.payload as { text: string }).text} of ${m.step}`);
      });
      let joined = false;
      const p = c.join('1', name, name).then(() => void (joined = true));
      for (let i = 0; i < 2000 && !joined; i++) {
        stepWorld(server.world, 1);
        await macrotask();
      }
      await p;
      clients.push(c);
    }
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('messages past the budget wait for the next steps, in order, with the step that sent them; counted deferred', async () => {
    const before = server.world.game!.outbox.stats.deferred;
    plan.next((w) => {
      broadcast(w, note, { text: 'm1', n: 1 });
      broadcast(w, note, { text: 'm2', n: 2 });
      broadcast(w, note, { text: 'm3', n: 3 });
    });
    const s = server.world.clock.step;
    for (let i = 0; i < 4; i++) stepWorld(server.world, 1);
    await Promise.all(clients.map((c) => c.waitForStep(s + 3)));
    for (const c of clients) {
      const log = logs.get(c) ?? [];
      const from = log.indexOf(`snapshot ${s}`);
      expect(log.slice(from, from + 6)).toEqual([
        `snapshot ${s}`,
        `m1 of ${s}`,
        `snapshot ${s + 1}`,
        `m2 of ${s}`,
        `snapshot ${s + 2}`,
        `m3 of ${s}`,
      ]);
    }
    // 2 messages waited after step s, 1 after step s + 1.
    expect(server.world.game!.outbox.stats.deferred - before).toBe(3);
    expect(server.world.game!.outbox.items).toHaveLength(0);
  });
});
