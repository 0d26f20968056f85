/**
 * Broadcasts are fair between their senders (src/net/game-outbox.ts, game-outbox-flush.ts): a
 * broadcast sent from a client message's handler is attributed to that message's player; at most
 * `net.maxGameBroadcastsPerSender` of one player wait (its newest dropped, counted `capped`), and
 * when the step's delivery budget is short it is shared round-robin between senders. Four players
 * spamming a `say` whose handler broadcasts on every message cannot delay a normal player's
 * broadcast by more than one round of senders, nor make it dropped. Real server from `startServer`,
 * raw `ws` clients; the world is paused and stepped by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcast,
  defineGame,
  defineMessage,
  defineServerMessage,
  type GameWorld,
  pauseWorld,
  type RunningServer,
  sendToPlayer,
  startServer,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const chat = defineServerMessage({ name: 'chat', schema: Type.Object({ from: Type.Integer(), n: Type.Integer() }), maxBytes: 64 });
const say = defineMessage({
  name: 'say',
  schema: Type.Object({ n: Type.Integer() }),
  apply: (w, player, p) => broadcast(w, chat, { from: player, n: p.n }),
});
// A marker to every player each step (player messages go before broadcasts): a chat after tick k went in step k.
const tick = defineServerMessage({ name: 'tick', schema: Type.Object({ step: Type.Integer() }), maxBytes: 64 });
const players: number[] = [];
let lastTick = -1;
const ticker = {
  name: 'ticker',
  phase: 'behavior' as const,
  run: (w: GameWorld): void => {
    lastTick = w.clock.step;
    for (const p of players) sendToPlayer(w, p, tick, { step: lastTick });
  },
};
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

const SENDERS = 5; // 4 spammers + 1 normal player
const CAP = 3;
// 5 sessions: one broadcast is 5 frames; a budget of 5 delivers one broadcast per step.
const game = defineGame({
  name: 'server-message-fairness',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: {
    maxGameMessageDeliveriesPerStep: SENDERS,
    maxGameMessagesPerStep: 64,
    maxGameBroadcastsPerSender: CAP,
    messageRatePerSecond: 100_000,
    messageBurst: 100_000,
  },
  serverMessages: [chat, tick],
  messages: [say],
  systems: [ticker],
});

interface Client {
  c: RawWs;
  player: number;
}

/** Chats a client got: sender, number, the step that sent it, the step whose delivery carried it. */
const chatsOf = (c: RawWs): Array<{ from: number; n: number; step: number; after: number }> => {
  let after = -1;
  const out: Array<{ from: number; n: number; step: number; after: number }> = [];
  for (const m of c.msgs) {
    if (m[0] === 25 && m[2] === 'tick') after = (m[3] as { step: number }).step;
    if (m[0] === 25 && m[2] === 'chat') {
      const p = m[3] as { from: number; n: number };
      out.push({ from: p.from, n: p.n, step: m[1] as number, after });
    }
  }
  return out;
};

describe('broadcasts are fair between senders', () => {
  let server: RunningServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-fair-') });
    pauseWorld(server.world);
    for (let i = 0; i < SENDERS; i++) {
      const c = await openRaw(`ws://127.0.0.1:${server.port}`);
      c.send([1, 1, '1', `p${i}`, `p${i}`, null]);
      for (let k = 0; k < 2000 && !c.msgs.some((m) => m[0] === 16); k++) {
        stepWorld(server.world, 1);
        await macrotask();
      }
      clients.push({ c, player: (await c.waitFor(16))[2] as number });
      players.push((clients[i] as Client).player);
    }
  });
  afterAll(async () => {
    for (const { c } of clients) c.ws.close();
    await server?.stop();
  });

  it("4 spammers are capped and counted; the normal player's broadcasts go within one round of senders and none is dropped", async () => {
    const spammers = clients.slice(0, 4);
    const normal = clients[4] as Client;
    const st = server.world.game!.outbox.stats;
    const counters = server.world.game!.counters;
    const before = { ...st };
    const rounds = 16;
    let n = 0;
    const normalSent: Array<{ n: number }> = [];
    for (let r = 0; r < rounds; r++) {
      const accepted = counters.accepted;
      let expected = 0;
      // Spammers first in the buffer each round: FIFO would put the normal player's broadcast behind all of theirs.
      for (const s of spammers)
        for (let k = 0; k < 10; k++) {
          s.c.send([5, 'say', { n: ++n }]);
          expected++;
        }
      // One every 5 steps: its fair share (one broadcast a step, 5 senders); the spammers send 10 each a step.
      if (r % SENDERS === 0) {
        await macrotask();
        normal.c.send([5, 'say', { n: ++n }]);
        normalSent.push({ n });
        expected++;
      }
      for (let k = 0; k < 2000 && counters.accepted < accepted + expected; k++) await macrotask();
      expect(counters.accepted).toBe(accepted + expected);
      stepWorld(server.world, 1);
    }
    // Drain: nothing new is sent; 4 spammers × CAP at most wait.
    for (let k = 0; k < 4 * CAP + 2; k++) stepWorld(server.world, 1);
    for (const { c } of clients) await c.waitFor(25, (m) => m[2] === 'tick' && (m[3] as { step: number }).step === lastTick);

    const got = chatsOf(normal.c);
    const mine = got.filter((x) => x.from === normal.player);
    // Every broadcast of the normal player arrived, each at most SENDERS - 1 steps after the step that sent it
    // (one broadcast a step, round-robin between 5 senders; FIFO behind 4 × 3 waiting would be 12).
    expect(mine.map((x) => x.n)).toEqual(normalSent.map((x) => x.n));
    for (const x of mine) expect(x.after - x.step).toBeLessThanOrEqual(SENDERS - 1);
    // The spammers' extra broadcasts were dropped at the sender cap, counted as theirs (capped), none by a full lane.
    const spamDelivered = got.filter((x) => x.from !== normal.player).length;
    expect(spamDelivered).toBeGreaterThan(0);
    expect(st.capped - before.capped).toBe(rounds * 4 * 10 - spamDelivered);
    expect(st.overflow - before.overflow).toBe(0);
    // Per recipient: broadcasts of one sender arrive in the order sent; every recipient got the same ones.
    for (const { c } of clients) {
      const list = chatsOf(c);
      for (const s of clients) {
        const ns = list.filter((x) => x.from === s.player).map((x) => x.n);
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
      }
      expect(list.map((x) => `${x.from}:${x.n}`)).toEqual(got.map((x) => `${x.from}:${x.n}`));
    }
    expect(server.world.game!.outbox.items).toHaveLength(0);
    expect(server.world.game!.outbox.bySender.size).toBe(0);
    expect(st.undelivered - before.undelivered).toBe(0);
  });
});
