/**
 * A chatty game system's broadcasts must not starve messages to one player under the per-step
 * delivery budget (`net.maxGameMessageDeliveriesPerStep`) nor push them out of the queue
 * (`net.maxGameMessagesPerStep`): player messages are served first from the budget and bounded in
 * a lane of their own (src/net/game-outbox-flush.ts). Real server from `startServer`, raw `ws`
 * clients; the world is paused and stepped by the test.
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
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { planSystem } from '../../helpers/plan-system.js';

const chat = defineServerMessage({ name: 'chat', schema: Type.Object({ n: Type.Integer() }), maxBytes: 64 });
const dm = defineServerMessage({ name: 'dm', schema: Type.Object({ n: Type.Integer() }), maxBytes: 64 });
const plan = planSystem();
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

// 3 sessions: one broadcast is 3 frames; a budget of 4 sends one broadcast per step.
const game = defineGame({
  name: 'server-message-lanes',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: { maxGameMessageDeliveriesPerStep: 4, maxGameMessagesPerStep: 8 },
  serverMessages: [chat, dm],
  systems: [plan.system],
});

describe('player messages are not starved by broadcasts', () => {
  let server: RunningServer;
  const clients: Array<{ c: RawWs; player: number }> = [];
  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-lanes-') });
    pauseWorld(server.world);
    for (const name of ['p', 'q', 'r']) {
      const c = await openRaw(`ws://127.0.0.1:${server.port}`);
      c.send([1, 1, '1', name, name, null]);
      for (let i = 0; i < 2000 && !c.msgs.some((m) => m[0] === 16); i++) {
        stepWorld(server.world, 1);
        await macrotask();
      }
      clients.push({ c, player: (await c.waitFor(16))[2] as number });
    }
  });
  afterAll(async () => {
    for (const { c } of clients) c.ws.close();
    await server?.stop();
  });

  it('5 broadcasts a step (15 frames) against a budget of 4: each step still delivers its 2 messages to p, in order, in that step', async () => {
    const [p, q] = clients as [{ c: RawWs; player: number }, { c: RawWs; player: number }];
    const st = server.world.game!.outbox.stats;
    const before = { ...st };
    const first = server.world.clock.step;
    const steps = 12;
    let b = 0,
      d = 0;
    for (let i = 0; i < steps; i++) {
      plan.next((w) => {
        for (let k = 0; k < 5; k++) broadcast(w, chat, { n: ++b });
        sendToPlayer(w, p.player, dm, { n: ++d });
        sendToPlayer(w, p.player, dm, { n: ++d });
      });
      stepWorld(server.world, 1);
    }
    stepWorld(server.world, 1);
    const last = first + steps;
    await p.c.waitFor(17, (m) => m[1] === last);
    await q.c.waitFor(17, (m) => m[1] === last);
    // The last step's broadcast follows its snapshot: wait until each socket has every chat sent so far
    // (a fresh-clone CI run once compared p's chats to q's while p's last one was still on its way).
    const sent = 5 * steps - (st.overflow - before.overflow) - server.world.game!.outbox.lanes.broadcasts;
    const chatsTo = (c: RawWs): number => c.msgs.filter((m) => m[0] === 25 && m[2] === 'chat').length;
    for (const end = Date.now() + 5_000; Date.now() < end && (chatsTo(p.c) < sent || chatsTo(q.c) < sent); ) await macrotask();
    // Every dm arrived in the step that sent it: right after that step's snapshot, before the next one.
    let step = -1;
    const dms: Array<{ n: number; step: number; snapshot: number }> = [];
    const chats: number[] = [];
    for (const m of p.c.msgs) {
      if (m[0] === 17) step = m[1] as number;
      if (m[0] === 25 && m[2] === 'dm') dms.push({ n: (m[3] as { n: number }).n, step: m[1] as number, snapshot: step });
      if (m[0] === 25 && m[2] === 'chat') chats.push((m[3] as { n: number }).n);
    }
    expect(dms.map((x) => x.n)).toEqual(Array.from({ length: 2 * steps }, (_, i) => i + 1));
    for (const x of dms) expect(x.snapshot).toBe(x.step);
    // Broadcasts: a backlog, in order, bounded by their own lane (the newest dropped, counted overflow).
    expect(chats.length).toBeGreaterThan(0);
    expect(chats).toEqual([...chats].sort((x, y) => x - y));
    expect(q.c.msgs.filter((m) => m[0] === 25 && m[2] === 'chat').map((m) => (m[3] as { n: number }).n)).toEqual(chats);
    expect(q.c.msgs.some((m) => m[0] === 25 && m[2] === 'dm')).toBe(false);
    expect(st.overflow - before.overflow).toBeGreaterThan(0);
    expect(st.overflow - before.overflow + chats.length + server.world.game!.outbox.lanes.broadcasts).toBe(5 * steps);
    expect(server.world.game!.outbox.lanes.players).toBe(0);
    expect(st.undelivered - before.undelivered).toBe(0);
  });
});
