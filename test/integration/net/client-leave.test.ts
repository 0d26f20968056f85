/**
 * The client library's `leave()` (docs/GAME-API.md "Reference: worldtick/client"): it sends `leave` and
 * resolves once the server closed the socket 1000 `left`; the player is removed at the world's next step
 * (another client's view loses it), never parked, its resume token refused; the close advises no
 * reconnect. A client not welcomed just closes. Real GameServer on 127.0.0.1 (the harness steps the
 * world for joins and leaves), real client library over `ws`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { reconnectAdvice } from '../../../src/client/reconnect.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('WorldtickClient.leave()', () => {
  it('resolves when the server closed 1000 left; others see the player leave at the next step; nothing parked', async () => {
    ts = await startTestServer({ size: 40, net: { resumeGraceSeconds: 60 } });
    const a = await ts.client();
    const wa = await a.join('w1', 'ann', 'ann');
    const b = await ts.client();
    const wb = await b.join('w1', 'bob', 'bob');
    await b.waitForStep(wb.step); // the snapshot of bob's join step (the world steps only for joins and leaves)
    expect(b.view.entities.has(wa.playerId)).toBe(true);
    const gone = b.waitFor((m) => m.type === 17 && m.leave.includes(wa.playerId));
    await a.leave();
    expect([a.closeCode, a.closeReason, a.open]).toEqual([1000, 'left', false]);
    expect(reconnectAdvice(a.closeCode)).toBe('stop');
    await gone;
    expect(b.view.entities.has(wa.playerId)).toBe(false);
    expect(ts.server.stats()).toMatchObject({ sessions: 1, parked: 0, worlds: { w1: { leaves: 1 } } });

    // A client not welcomed (no hello): leave() closes it itself.
    const c = await ts.client();
    await c.leave();
    expect([c.closeCode, c.closeReason]).toEqual([1000, 'left']);

    // The token of the session that left: refused, a fresh player.
    const a2 = await ts.client();
    const w2 = await a2.join('w1', 'ann', 'ann', wa.resumeToken);
    expect(w2.resumed).toBe(false);
    expect(a2.errors.map((e) => e.code)).toContain('RESUME_REFUSED');
    expect(ts.server.stats()).toMatchObject({ sessions: 2, parked: 0 });
  });
});
