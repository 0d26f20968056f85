/**
 * The per-class session gauges and the ladder's sessions-per-level gauge describe the sessions
 * open now: once the last session of a world has closed they read 0, not the counts of the last
 * step that still had sessions (`/stats` and `/metrics` `worldtick_net_class_sessions` showed 290
 * sessions on a server with none).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { settle, startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('class and ladder gauges of a world whose sessions all closed', () => {
  it('read zero sessions per class and per level', async () => {
    ts = await startTestServer({ net: { resumeGraceSeconds: 0 } });
    const player = await ts.client();
    const spectator = await ts.client();
    await player.join('w1', 'p', 'alice');
    await spectator.join('w1', 's', 'spectator:x');
    ts.step(2);
    await settle(30);
    const open = ts.server.stats();
    expect(open.byClass.player?.sessions).toBe(1);
    expect(open.byClass.spectator?.sessions).toBe(1);
    expect(open.ladderLevels.reduce((a, b) => a + b, 0)).toBe(2);

    player.close();
    spectator.close();
    while (ts.server.stats().sessions > 0) await settle(5);
    await ts.idle();
    ts.step(3);
    const after = ts.server.stats();
    expect(after.sessions).toBe(0);
    expect(after.byClass.player?.sessions).toBe(0);
    expect(after.byClass.spectator?.sessions).toBe(0);
    expect(after.ladderLevels).toEqual([0, 0, 0, 0, 0]);
    expect(after.worlds.w1?.byClass.map((c) => c.sessions)).toEqual([0, 0, 0, 0]);
    expect(after.worlds.w1?.ladder.levels).toEqual([0, 0, 0, 0, 0]);
  });
});
