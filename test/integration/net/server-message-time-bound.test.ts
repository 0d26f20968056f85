/**
 * `net.maxGameMessageDeliveryMsPerStep` bounds the wall time a step spends handing game server
 * messages to sockets (src/net/game-outbox-flush.ts): the clock is read every
 * `DELIVERY_CLOCK_FRAMES` frames, and once it is past the bound nothing more goes that step — a
 * broadcast cut part way continues, next step, to the sessions it had not reached. With a bound of
 * 0.001 ms the clock is past it at its first reading and less than one broadcast fits: each step
 * sends one clock period of frames of one broadcast, and the next the 6 sessions it had not
 * reached; every session gets each broadcast exactly once and in order. Real server from `startServer`, raw `ws` clients; the world
 * is paused and stepped by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcast,
  defineGame,
  defineServerMessage,
  pauseWorld,
  type RunningServer,
  startServer,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { DELIVERY_CLOCK_FRAMES } from '../../../src/net/game-outbox-flush.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { planSystem } from '../../helpers/plan-system.js';

const chat = defineServerMessage({ name: 'chat', schema: Type.Object({ n: Type.Integer() }), maxBytes: 64 });
const plan = planSystem();
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const SESSIONS = DELIVERY_CLOCK_FRAMES + 6;

const game = defineGame({
  name: 'server-message-time-bound',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: { maxGameMessageDeliveriesPerStep: 0, maxGameMessageDeliveryMsPerStep: 0.001, maxConnectionsPerAddress: 0 },
  serverMessages: [chat],
  systems: [plan.system],
});

describe('the delivery time bound', () => {
  let server: RunningServer;
  const clients: RawWs[] = [];
  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-msg-time-') });
    pauseWorld(server.world);
    for (let i = 0; i < SESSIONS; i++) clients.push(await openRaw(`ws://127.0.0.1:${server.port}`));
    for (const [i, c] of clients.entries()) c.send([1, 1, '1', `p${i}`, `p${i}`, null]);
    for (let k = 0; k < 4000 && !clients.every((c) => c.msgs.some((m) => m[0] === 16)); k++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    for (const c of clients) await c.waitFor(16);
  });
  afterAll(async () => {
    for (const c of clients) c.ws.close();
    await server?.stop();
  });

  it('sends one clock period of frames a step, cuts a broadcast part way and finishes it next step, in order', async () => {
    const st = server.world.game!.outbox.stats;
    const sentPerStep: number[] = [];
    plan.next((w) => {
      for (let n = 1; n <= 3; n++) broadcast(w, chat, { n });
    });
    const before = { ...st };
    for (let i = 0; i < 7; i++) {
      const sent = st.sent;
      stepWorld(server.world, 1);
      sentPerStep.push(st.sent - sent);
    }
    // The time left fits less than one broadcast (at the measured cost per frame): one a step, the first
    // cut after one clock period, its last 6 sessions served first thing next step, and so on.
    const rest = SESSIONS - DELIVERY_CLOCK_FRAMES;
    expect(sentPerStep).toEqual([DELIVERY_CLOCK_FRAMES, rest, DELIVERY_CLOCK_FRAMES, rest, DELIVERY_CLOCK_FRAMES, rest, 0]);
    expect(st.timeLimited - before.timeLimited).toBe(3);
    expect(st.deferred - before.deferred).toBeGreaterThan(0);
    expect(server.world.game!.outbox.items).toHaveLength(0);
    for (const c of clients) {
      for (let k = 0; k < 2000 && c.msgs.filter((m) => m[0] === 25).length < 3; k++) await macrotask();
      expect(c.msgs.filter((m) => m[0] === 25).map((m) => (m[3] as { n: number }).n)).toEqual([1, 2, 3]);
    }
    expect(st.undelivered - before.undelivered).toBe(0);
  });
});
