/**
 * The game's `sessionClass` hook is game code fed by the client's hello: what it answers is checked
 * against the four class names. A hook that returns a client-controlled string ("the token's prefix
 * is the class") made a hello with token `constructor:1` a session of class `Object` (a prototype
 * key of the class table), and the next replicate phase faulted the world for everyone. Now an
 * unknown answer, and a throw, join the session as a player, with a warning naming the hook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { settle, startTestServer, type TestServer } from './harness.js';
import type { SessionClassName } from '../../../src/net/session-priority.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('a sessionClass hook answering something else than a class', () => {
  it('joins the session as a player; the world keeps stepping for everyone', async () => {
    ts = await startTestServer({
      hooks: {
        sessionClass: (hello) => {
          if (hello.token === 'boom') throw new Error('hook bug');
          return hello.token.split(':')[0] as SessionClassName; // client-controlled
        },
      },
    });
    const other = await ts.client();
    const wo = await other.join('w1', 'o', 'spectator:1');
    const tokens = ['constructor:1', 'toString', '__proto__', 'admin', 'boom'];
    const joined: Array<{ c: Awaited<ReturnType<TestServer['client']>>; id: number }> = [];
    for (const t of tokens) {
      const c = await ts.client();
      joined.push({ c, id: (await c.join('w1', 'x', t)).playerId });
    }
    ts.step(3);
    await settle(30);
    expect(ts.world.fault).toBeNull();
    const st = ts.server.stats();
    expect(st.byClass.player?.sessions).toBe(tokens.length);
    expect(st.byClass.spectator?.sessions).toBe(1);
    // Every session, the guarded ones too, got the last step's snapshot with its own player in it.
    for (const { c, id } of [{ c: other, id: wo.playerId }, ...joined]) {
      await c.waitForStep(ts.world.clock.step - 1, 2000);
      expect(c.view.entities.has(id)).toBe(true);
    }
  });
});
