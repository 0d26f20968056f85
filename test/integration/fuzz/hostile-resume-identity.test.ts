/**
 * Hostile probe: a resume token presented with another identity's hello `token` (a stolen or
 * replayed token). docs/PROTOCOL.md: `RESUME_REFUSED` "of another player (`token` mismatch)" —
 * the client joins as a new player, never as someone else's. The durable store refused this
 * already; the in-memory path (parked and live sessions of this process) handed the player over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const WELCOME = 16;

describe('hostile: resume tokens across identities', () => {
  it('a parked player is not resumed by another token; its owner still resumes it', async () => {
    ts = await startTestServer();
    const alice = await openRaw(ts.url);
    alice.send([1, 1, 'w1', 'alice', 'alice-secret', null]);
    const w = await alice.waitFor(WELCOME);
    alice.ws.close();
    await alice.closed;
    await ts.idle();
    const refusedBefore = ts.server.stats().errorsByCode.RESUME_REFUSED ?? 0;

    const mallory = await openRaw(ts.url);
    mallory.send([1, 1, 'w1', 'mallory', 'mallory-secret', w[6]]);
    const mw = await mallory.waitFor(WELCOME);
    expect(mallory.errors()).toEqual(['RESUME_REFUSED']);
    expect(mw[9], 'not resumed').toBe(false);
    expect(mw[2], 'a new player').not.toBe(w[2]);
    expect(mw[6], 'a new resume token').not.toBe(w[6]);
    expect((ts.server.stats().errorsByCode.RESUME_REFUSED ?? 0) - refusedBefore).toBe(1);
    expect(ts.server.stats().parked, 'alice is still parked').toBe(1);

    const back = await openRaw(ts.url);
    back.send([1, 1, 'w1', 'alice', 'alice-secret', w[6]]);
    const bw = await back.waitFor(WELCOME);
    expect(back.errors()).toEqual([]);
    expect(bw[9]).toBe(true);
    expect(bw[2]).toBe(w[2]);
  });

  it('a live session is not taken over by another token (no 4011); its owner still can', async () => {
    ts = await startTestServer();
    const alice = await openRaw(ts.url);
    alice.send([1, 1, 'w1', 'alice', 'alice-secret', null]);
    const w = await alice.waitFor(WELCOME);
    const mallory = await openRaw(ts.url);
    mallory.send([1, 1, 'w1', 'mallory', 'mallory-secret', w[6]]);
    const mw = await mallory.waitFor(WELCOME);
    expect(mallory.errors()).toEqual(['RESUME_REFUSED']);
    expect(mw[9]).toBe(false);
    expect(mw[2]).not.toBe(w[2]);
    // Alice keeps her socket and her player: she still gets snapshots and answers.
    alice.send([3, 7]);
    await alice.waitFor(19, (m) => m[1] === 7);
    expect(alice.code()).toBe(0);
    expect(alice.errors()).toEqual([]);
    // The real owner (same token) takes over as documented: 4011 on the old socket.
    const again = await openRaw(ts.url);
    again.send([1, 1, 'w1', 'alice', 'alice-secret', w[6]]);
    const aw = await again.waitFor(WELCOME);
    expect(aw[9]).toBe(true);
    expect(aw[2]).toBe(w[2]);
    expect(await alice.closed).toBe(4011);
  });

  it('an empty hello token may still resume (guests; as the durable store allows)', async () => {
    ts = await startTestServer();
    const g = await openRaw(ts.url);
    g.send([1, 1, 'w1', 'guest', '', null]);
    const w = await g.waitFor(WELCOME);
    g.ws.close();
    await g.closed;
    await ts.idle();
    const thief = await openRaw(ts.url);
    thief.send([1, 1, 'w1', 'thief', 'some-token', w[6]]);
    expect((await thief.waitFor(WELCOME))[9]).toBe(false);
    expect(thief.errors()).toEqual(['RESUME_REFUSED']);
    const back = await openRaw(ts.url);
    back.send([1, 1, 'w1', 'guest', '', w[6]]);
    const bw = await back.waitFor(WELCOME);
    expect(bw[9]).toBe(true);
    expect(bw[2]).toBe(w[2]);
  });
});
