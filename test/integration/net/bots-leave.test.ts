/**
 * Load-test bots leave instead of dropping (docs/BOTS.md): at the end of a run every bot sends `leave`,
 * so the server removes their players at once and parks none (`leaveAtEnd: false`, `--no-leave-at-end`,
 * keeps the old drop: all parked); a bot whose join a stop cancels once it was welcomed leaves too (full
 * client and light bot), while one not welcomed yet is dropped and leaves nothing. Real GameServer on
 * 127.0.0.1 (resume grace 60 s), the fleet and the bots in this process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runFleet } from '../../../src/bots/bot-fleet.js';
import { cancelClientJoin, cancelLightJoin } from '../../../src/bots/join-cancel.js';
import { LightBot } from '../../../src/bots/light-bot.js';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import type { LoopRunner } from '../../../src/loop/loop-runner.js';
import { until } from '../../helpers/cluster-instances.js';
import { runWorld, startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
let runner: LoopRunner | null = null;
afterEach(async () => {
  runner?.stop();
  runner = null;
  await ts?.stop();
  ts = null;
});

const sink = { update: () => {}, ack: () => {} };

describe('bots leave', () => {
  it('at the end of a run every bot leaves: nothing parked; leaveAtEnd false parks them all', async () => {
    ts = await startTestServer({ net: { resumeGraceSeconds: 60 } });
    runner = runWorld(ts.world);
    const server = ts.server;
    const run = { url: ts.url, worldId: 'w1', clients: 4, fullDecodeEvery: 2, durationSeconds: 0.2, warmupSeconds: 0, inputHz: 5 };
    expect(await runFleet(run)).toMatchObject({ connected: 4, joinFailures: 0, disconnects: 0 });
    await until('the bots ended their sessions', () => server.stats().sessions === 0, 10_000, 20);
    expect(server.stats().parked).toBe(0); // a dropped socket's player is parked at once (counted), before its step
    await until('their players removed', () => ts?.world.net?.stats.leaves === 4, 10_000, 20);
    expect(await runFleet({ ...run, leaveAtEnd: false })).toMatchObject({ connected: 4, joinFailures: 0 });
    await until('the bots ended their sessions', () => server.stats().sessions === 0, 10_000, 20);
    await until('their players parked', () => server.stats().parked === 4, 10_000, 20);
    expect(server.stats().worlds.w1?.leaves).toBe(4);
  });

  it('a join cancelled once welcomed leaves (full client, light bot); one not welcomed is dropped: nothing parked', async () => {
    ts = await startTestServer({ net: { resumeGraceSeconds: 60 } });
    const server = ts.server;
    const full = new WorldtickClient({ url: ts.url, WebSocket: WebSocket as unknown as WebSocketCtor });
    await full.connect();
    await full.join('w1', 'bot0');
    const light = new LightBot(ts.url, sink);
    await light.join('w1', 'bot1');
    expect(server.stats().sessions).toBe(2);
    cancelClientJoin(full);
    cancelLightJoin(light);
    await until('both sessions ended', () => server.stats().sessions === 0, 10_000, 20);
    await ts.idle(); // their leave facts applied
    expect(server.stats()).toMatchObject({ parked: 0, worlds: { w1: { leaves: 2 } } });
    await full.closed();
    expect([full.closeCode, full.closeReason]).toEqual([1000, 'left']);

    // Not welcomed yet (the world is not stepped): the socket is dropped, the join applies to nothing.
    ts.hold = true;
    const late = new LightBot(ts.url, sink);
    const joined = late.join('w1', 'bot2');
    await until('its hello is waiting for the step', () => server.stats().joining === 1, 10_000, 5);
    cancelLightJoin(late);
    await expect(joined).rejects.toThrow(/closed/);
    ts.hold = false;
    await ts.idle();
    expect(server.stats()).toMatchObject({ sessions: 0, parked: 0, joining: 0, worlds: { w1: { leaves: 2 } } });
  });
});
