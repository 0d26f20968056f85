/**
 * The royale example (examples/royale) played over real WebSockets with the documented client, on
 * a real server from `startServer` (127.0.0.1, port 0, SQLite store in a temp dir), the world paused
 * and stepped by the test (world time decides, no wall-clock sleeps): two fighters start a
 * countdown, play starts with loot crates, alice loots one, carol joins mid-round and is a camera,
 * the zone eliminates bob (he becomes a camera, every session hears `eliminated`), alice wins
 * (`round-result`), each is paid once for its place in the ledger, and the next lobby takes all
 * three back as bodies. Across a crash: royale-restart.test.ts.
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ViewEntity, type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';
import { isSpectator, pauseWorld, type RunningServer, startServer, stepWorld } from '../../../src/index.js';
import {
  BOARD_KIND,
  COUNTDOWN,
  CRATE_KIND,
  createRoyale,
  ELIMINATED,
  type EliminatedPayload,
  LOBBY,
  PLAY,
  placeCoins,
  RESULT,
  ROUND_RESULT,
  type RoundResultPayload,
  WIN_COINS,
  WORLD_SIZE,
} from '../../../examples/royale/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Ws = WebSocket as unknown as WebSocketCtor;
const pidOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const boardOf = (c: WorldtickClient): Record<string, number> | null => {
  for (const e of c.view.entities.values()) if (e.kind === BOARD_KIND && e.fields) return e.fields;
  return null;
};
const cratesOf = (c: WorldtickClient): ViewEntity[] => [...c.view.entities.values()].filter((e) => e.kind === CRATE_KIND);

describe('royale example over real WebSockets', () => {
  const dir = tempDataDir('wt-royale-');
  let server: RunningServer;
  const clients: WorldtickClient[] = [];
  const heard: Array<{ who: string; name: string; payload: unknown }> = [];
  /** Clients that send an input (standing still) once a world second: not idle. */
  const keepAlive: WorldtickClient[] = [];

  const step = async (): Promise<void> => {
    if (keepAlive.length > 0 && server.world.clock.step % 20 === 0) {
      // Once a world second: a socket may send 60 messages per wall second, and the test steps fast.
      for (const c of keepAlive) c.sendInput(0, 0);
      await macrotask();
    }
    stepWorld(server.world, 1);
    const s = server.world.clock.step - 1;
    // A client kicked in this step gets its snapshot and then the close: a wait on it may end so.
    const wait = (c: WorldtickClient): Promise<unknown> =>
      c.waitForStep(s).catch((err: unknown) => (c.kicked ? null : Promise.reject(err)));
    await Promise.all(clients.filter((c) => c.welcome && c.closeCode === 0).map(wait));
  };
  const stepUntil = async (done: () => boolean, max: number, what: string): Promise<void> => {
    for (let i = 0; i < max && !done(); i++) await step();
    if (!done()) throw new Error(`${what}: not reached in ${max} steps`);
  };
  /** A client joins the paused world: joins wait for a step, so step until its welcome arrives. */
  const join = async (name: string, resumeToken: string | null = null): Promise<WorldtickClient> => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: Ws });
    await c.connect();
    c.onMessage<EliminatedPayload>(ELIMINATED, (payload) => heard.push({ who: name, name: ELIMINATED, payload }));
    c.onMessage<RoundResultPayload>(ROUND_RESULT, (payload) => heard.push({ who: name, name: ROUND_RESULT, payload }));
    let joined = false;
    const p = c.join('1', name, name, resumeToken).then(() => void (joined = true));
    for (let i = 0; i < 2000 && !joined; i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    await p;
    await c.waitForStep(c.welcome?.step ?? 0);
    clients.push(c);
    return c;
  };
  const ledger = async (token: string): Promise<Array<{ key: string; coinsDelta: number }>> => {
    const res = await fetch(`http://127.0.0.1:${server.adminPort}/api/v1/worlds/1/ledger/players/${pidOf(token)}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    const body = (await res.json()) as { entries: Array<{ key: string; coinsDelta: number }> };
    return body.entries.filter((e) => e.key.startsWith('game:royale-'));
  };

  beforeAll(async () => {
    // Controller off: `step` waits for every client's snapshot of each step (see ctf.test.ts).
    server = await startServer(createRoyale({ countdownSeconds: 1, playSeconds: 20, resultSeconds: 1, idleSeconds: 12 }), {
      options: {
        dataDir: dir.dir,
        port: 0,
        adminPort: 0,
        adminToken: 'royale-test-admin-token',
        logLevel: 'silent',
        statsIntervalSeconds: 0,
        scheduler: { controller: { enabled: false } },
      },
    });
    pauseWorld(server.world);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
    dir.remove();
  });

  it('plays a round: countdown, crates, a mid-round camera, an elimination, a winner, one reward each, the next lobby', async () => {
    const alice = await join('alice');
    expect(boardOf(alice)).toMatchObject({ phase: LOBBY, round: 1 });
    const bob = await join('bob');
    await stepUntil(() => boardOf(alice)?.phase === COUNTDOWN, 5, 'countdown');
    await stepUntil(() => boardOf(alice)?.phase === PLAY, 40, 'play');
    expect(boardOf(alice)).toMatchObject({ fighters: 2, alive: 2 });
    expect(cratesOf(alice)).toHaveLength(4);
    const aliceId = alice.welcome?.playerId ?? 0,
      bobId = bob.welcome?.playerId ?? 0;
    expect(alice.view.entities.get(aliceId)?.fields?.hp).toBe(100);

    // Mid-round join: a camera until the next lobby.
    const carol = await join('carol');
    const carolId = carol.welcome?.playerId ?? 0;
    expect(isSpectator(server.world, carolId)).toBe(true);
    expect(isSpectator(server.world, aliceId)).toBe(false);

    // Alice walks to the crate nearest to her and loots it, then to the centre.
    const me = (): ViewEntity | undefined => alice.view.entities.get(aliceId);
    const start = me();
    const crate = cratesOf(alice).sort(
      (x, y) => Math.hypot(x.x - (start?.x ?? 0), x.y - (start?.y ?? 0)) - Math.hypot(y.x - (start?.x ?? 0), y.y - (start?.y ?? 0)),
    )[0];
    // Steering sends an input only when the heading (to 1/20) changes; the velocity holds until the next
    // one (docs/PROTOCOL.md). An input every step was ~1,400 messages per wall second on a fast machine,
    // where a socket may send 60 (the burst spent, RATE_LIMITED replies, then closed 4002 after the strikes).
    let heading = '';
    const steer = (mx: number, my: number): void => {
      const h = `${Math.round(mx * 20)},${Math.round(my * 20)}`;
      if (h === heading) return;
      heading = h;
      alice.sendInput(mx, my);
    };
    const walkTo = async (x: number, y: number, until: () => boolean, what: string): Promise<void> => {
      await stepUntil(
        () => {
          const m = me();
          if (!m || until()) {
            steer(0, 0);
            return true;
          }
          const dx = x - m.x,
            dy = y - m.y,
            d = Math.hypot(dx, dy);
          steer(dx / d, dy / d);
          return false;
        },
        400,
        what,
      );
    };
    await walkTo(crate?.x ?? 0, crate?.y ?? 0, () => !alice.view.entities.has(crate?.id ?? -1), 'loot');
    expect(cratesOf(alice)).toHaveLength(3);
    const c = WORLD_SIZE / 2;
    await walkTo(c, c, () => Math.hypot((me()?.x ?? 0) - c, (me()?.y ?? 0) - c) < 2, 'centre');

    // The zone catches bob (farther out) first: eliminated, a camera, heard by every session.
    await stepUntil(() => boardOf(alice)?.phase === RESULT, 600, 'result');
    const out = heard.filter((h) => h.name === ELIMINATED);
    expect(out.map((h) => h.who).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(out[0]?.payload).toEqual({ round: 1, player: bobId, place: 2, fighters: 2, coins: placeCoins(2, 2) });
    expect(isSpectator(server.world, bobId)).toBe(true);
    const dave = await join('dave'); // in the result phase: a camera until the next lobby
    const daveId = dave.welcome?.playerId ?? 0;
    const results = heard.filter((h) => h.name === ROUND_RESULT);
    expect(results).toHaveLength(3);
    expect(results[0]?.payload).toEqual({ round: 1, winner: aliceId, fighters: 2 });
    expect(boardOf(alice)).toMatchObject({ phase: RESULT, winner: aliceId, alive: 0 });

    // Bob's connection drops; he resumes into the same entity — still a camera (a resume clears the
    // tag setSpectator set, so the game sets it again in onPlayerJoined).
    const token = bob.welcome?.resumeToken ?? null;
    bob.close();
    clients.splice(clients.indexOf(bob), 1);
    const bob2 = await join('bob', token);
    expect(bob2.welcome?.playerId).toBe(bobId);
    expect(isSpectator(server.world, bobId)).toBe(true);

    // Paid once each, for its place.
    let paid: Array<Array<{ key: string; coinsDelta: number }>> = [];
    for (let i = 0; i < 200; i++) {
      paid = await Promise.all([ledger('alice'), ledger('bob'), ledger('carol')]);
      if (paid[0]?.length && paid[1]?.length) break;
      await step();
    }
    expect(paid[0]?.map((e) => e.coinsDelta)).toEqual([WIN_COINS]);
    expect(paid[1]?.map((e) => e.coinsDelta)).toEqual([placeCoins(2, 2)]);
    expect(paid[2]).toEqual([]);

    // The next lobby: round 2, everyone a body again; four bodies start a countdown at once.
    await stepUntil(() => boardOf(alice)?.round === 2, 40, 'next round');
    await stepUntil(() => boardOf(alice)?.phase === COUNTDOWN, 5, 'second countdown');
    for (const id of [aliceId, bobId, carolId, daveId]) expect(isSpectator(server.world, id)).toBe(false);
    expect(cratesOf(alice)).toHaveLength(0);

    // Round 2, four fighters on the spiral by entity id from the centre out (alice, bob, then carol
    // and dave in the order of their recycled ids): radii 18, 36, 54, 72. The outermost keeps sending
    // input and the zone takes it first; the third does not: out for idling at 12 s and kicked (4020,
    // reason "idle"); bob's socket drops as play starts: parked, idle too, but not kicked (kickPlayer
    // refuses a parked player: the idle rule leaves it to the zone, which takes it at 17 s).
    const [third, outer] = [carol, dave].sort((x, y) => (x.welcome?.playerId ?? 0) - (y.welcome?.playerId ?? 0));
    const thirdId = third?.welcome?.playerId ?? 0,
      outerId = outer?.welcome?.playerId ?? 0;
    expect(Math.max(aliceId, bobId)).toBeLessThan(thirdId);
    heard.length = 0;
    keepAlive.push(alice, outer as WorldtickClient);
    await stepUntil(() => boardOf(alice)?.phase === PLAY, 40, 'second play');
    expect(boardOf(alice)).toMatchObject({ round: 2, fighters: 4, alive: 4 });
    bob2.close();
    clients.splice(clients.indexOf(bob2), 1);
    await stepUntil(() => boardOf(alice)?.phase === RESULT, 600, 'second result');
    const out2 = heard.filter((h) => h.name === ELIMINATED && h.who === 'alice').map((h) => h.payload as EliminatedPayload);
    expect(out2.map((p) => [p.player, p.place])).toEqual([
      [outerId, 4],
      [thirdId, 3],
      [bobId, 2],
    ]);
    await stepUntil(() => third?.closeCode !== 0, 20, 'idle fighter kicked');
    expect([third?.closeCode, third?.closeReason, third?.kicked]).toEqual([4020, 'idle', true]);
    expect(outer?.closeCode).toBe(0);
    expect(boardOf(alice)).toMatchObject({ round: 2, winner: aliceId });
  }, 60_000);
});
