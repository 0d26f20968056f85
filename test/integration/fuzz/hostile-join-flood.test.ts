/**
 * Hostile probe: a flood of hellos against a world that is not stepping (paused: joins wait for
 * its next step). Each hello queues a join fact in the world's critical `session` ingest buffer;
 * before the fix, past its hard bound every further hello was answered `INTERNAL` (a "server bug",
 * logged at error), the park fact of a player whose socket closed was lost (the player stayed owned
 * by a dead socket forever), and the sweeper's expiry of a parked player threw out of its timer:
 * an uncaught exception that ends the process.
 *
 * Asserted: past the buffer's capacity a hello is refused with `WORLD_FULL` (4009, counted), no
 * internal error; the players' park and expiry facts are still accepted and applied at the next
 * step; the world accepts joins again once it steps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { startTestServer, settle, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('hostile: hello flood on a paused world', () => {
  it('refuses with WORLD_FULL past the join buffer, keeps room for parks and expiries, never throws', async () => {
    // Alice's grace must outlast the flood's first 11 hellos: her expiry is a session fact too, and one
    // pushed before the buffer fills takes a join's room (10 joins, 50 refused: seen under load with 0.4 s).
    ts = await startTestServer({ capacity: 10, net: { resumeGraceSeconds: 1.5 } });
    const { Player } = ts.world.stores;
    const alice = await openRaw(ts.url);
    alice.send([1, 1, 'w1', 'alice', '', null]);
    const aliceId = (await alice.waitFor(16))[2] as number;
    const bob = await openRaw(ts.url);
    bob.send([1, 1, 'w1', 'bob', '', null]);
    const bobId = (await bob.waitFor(16))[2] as number;
    alice.ws.close();
    await alice.closed;
    await ts.idle(); // alice parked, her grace running

    ts.hold = true; // the world is paused and nobody steps it
    const before = ts.server.stats();
    const closes: number[] = [];
    let refused = 0;
    let parkedAtFirstRefusal = -1;
    for (let i = 0; i < 60; i++) {
      const c = await openRaw(ts.url);
      c.send([1, 1, 'w1', `flood${i}`, '', null]);
      c.send([3, i]);
      // Either the pong (join queued) or WORLD_FULL and a 4009 close.
      for (;;) {
        if (c.msgs.some((m) => m[0] === 19) || c.code() !== 0) break;
        await settle(2);
      }
      if (c.errors().includes('WORLD_FULL')) {
        if (refused === 0) parkedAtFirstRefusal = ts.server.stats().parked;
        refused++;
        closes.push(await c.closed);
      } else {
        expect(c.errors()).toEqual([]);
        c.ws.close();
        await c.closed;
      }
    }
    // Session buffer capacity = world capacity + 1 = 11 facts, all joins: alice's expiry had not come yet.
    expect(parkedAtFirstRefusal, "alice still parked when the buffer filled (else her expiry took a join's room)").toBe(1);
    expect(refused).toBe(60 - 11);
    expect(new Set(closes)).toEqual(new Set([4009]));
    const mid = ts.server.stats();
    expect(mid.internalErrors).toBe(0);
    expect((mid.errorsByCode.WORLD_FULL ?? 0) - (before.errorsByCode.WORLD_FULL ?? 0)).toBe(refused);
    expect(mid.errorsByCode.INTERNAL ?? 0).toBe(0);

    // Alice's grace ends while the buffer is full of joins: the sweeper's expiry must be accepted
    // (and must not throw out of its timer). Then bob leaves: his park fact must be accepted too.
    while (ts.server.stats().parked > 0) await settle(20);
    bob.ws.close();
    await bob.closed;
    await settle(30);
    expect(ts.server.stats().internalErrors).toBe(0);
    expect(ts.server.stats().parked).toBe(1);

    ts.hold = false;
    ts.step(1);
    const row = (eid: number): number => Player.eid.indexOf(eid);
    expect(row(aliceId), 'alice expired and was removed').toBe(-1);
    expect(Player.session[row(bobId)], 'bob parked').toBe(-1);

    // The world takes joins again.
    const late = await openRaw(ts.url);
    late.send([1, 1, 'w1', 'late', '', null]);
    expect((await late.waitFor(16))[9]).toBe(false);
    expect(late.errors()).toEqual([]);
  });
});
