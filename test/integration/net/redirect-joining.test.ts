/**
 * A migration redirects every session of the moving world, the ones still joining included (a
 * migration holds the world: no step applies their join, so every hello that arrives during the
 * pause is one). A joining client was never told its resume token (the welcome carries it): its
 * ticket must not be bound to it, or the hello it sends the target — with the resume token it sent,
 * here none — is refused BAD_TICKET ("ticket is for another session", src/server/cluster-hello-route.ts).
 * Seen in the cluster soak (bench/soak-cluster.ts): 19 of 20 bots joining during the moves refused.
 */

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signTicket, verifyTicket } from '../../../src/cluster/ticket.js';
import { helloFrame } from '../../../src/net/protocol.js';
import { pack, unpack } from 'msgpackr';
import { startTestServer, type TestServer } from './harness.js';

const SECRET = 'redirect-joining-secret-0123456789';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

/** A raw socket that says hello and keeps every frame it receives (decoded). */
const rawHello = async (url: string): Promise<{ frames: unknown[][]; closed: Promise<number> }> => {
  const ws = new WebSocket(url);
  const frames: unknown[][] = [];
  ws.on('message', (d: Buffer) => frames.push(unpack(d) as unknown[]));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((r) => ws.once('open', () => r()));
  ws.send(pack(helloFrame('w1', 'late', '', null)));
  return { frames, closed };
};

describe('redirect of a moving world', () => {
  it("binds a welcomed session's ticket to its resume token, and a joining session's to none", async () => {
    ts = await startTestServer();
    const joined = await ts.client();
    const w = await joined.join('w1', 'early');
    const redirectOfJoined = joined.waitFor((m) => m.type === 23);
    ts.hold = true; // the world is held, as a migration holds it: no step applies the next join
    const late = await rawHello(ts.url);
    for (let i = 0; i < 200 && ts.server.stats().joining < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ts.server.stats().joining).toBe(1);

    // As the migration's source does (src/server/cluster-migration.ts).
    const moved = ts.server.redirectWorldSessions('w1', 'ws://127.0.0.1:9', (resumeToken) =>
      signTicket({ worldId: 'w1', target: 'b', expiresAt: Date.now() + 10_000, ...(resumeToken ? { resumeToken } : {}) }, SECRET),
    );
    expect(moved).toBe(2);

    const r1 = (await redirectOfJoined) as unknown as { ticket: string };
    expect(verifyTicket(r1.ticket, SECRET).resumeToken).toBe(w.resumeToken);
    // The client library keeps a redirect received after the welcome: reconnects go to the new owner, with its ticket.
    expect(joined.lastRedirect).toMatchObject({ type: 23, url: 'ws://127.0.0.1:9', ticket: r1.ticket });
    expect(joined.url).toBe('ws://127.0.0.1:9');
    expect(await late.closed).toBe(4014);
    const redirect = late.frames.find((f) => f[0] === 23);
    expect(redirect, 'the joining socket got a redirect').toBeDefined();
    expect(
      late.frames.some((f) => f[0] === 16),
      'no welcome before it',
    ).toBe(false);
    // The target's hello check: a bound ticket must carry the resume token the hello sends (none here).
    expect(verifyTicket(redirect?.[3], SECRET).resumeToken).toBeUndefined();
  });
});
