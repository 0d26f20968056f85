/**
 * A live player beats a ghost (src/net/session-parking.ts `evictParkedForJoin`): a join that finds
 * its world full of entities while the world holds parked players evicts the oldest parked player
 * of that world (removed as at the end of its grace, counted `parkedEvicted.worldFull`) and takes
 * its room, so parked players — from however many addresses — cannot keep live players out. A
 * world full of live players still answers `WORLD_FULL` (4009). Many addresses through a trusted
 * proxy (`X-Forwarded-For` from 127.0.0.1). Real GameServer on 127.0.0.1,
 * raw `ws` clients; the harness steps the paused world for joins and leaves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { entityCount } from '../../../src/core/world-core.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

/** Join world w1 as `name` (resuming `resume` if given): the socket and its welcome, or the socket refused. */
const join = async (
  url: string,
  name: string,
  resume: string | null = null,
  addr: string | null = null,
): Promise<{ c: RawWs; welcome: unknown[] | null }> => {
  const c = await openRaw(url, addr === null ? undefined : { 'x-forwarded-for': addr });
  c.send([1, 1, 'w1', name, '', resume]);
  for (;;) {
    const w = c.msgs.find((m) => m[0] === 16);
    if (w) return { c, welcome: w };
    if (c.code() !== 0) return { c, welcome: null };
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('parked players and a full world', () => {
  it('a live join evicts the oldest parked player of the full world; the next parked one still resumes; live players only → WORLD_FULL', async () => {
    ts = await startTestServer({ capacity: 3, net: { resumeGraceSeconds: 60 } });
    const { Player } = ts.world.stores;
    const a = await join(ts.url, 'a');
    const b = await join(ts.url, 'b');
    const c = await join(ts.url, 'c');
    expect(c.welcome).not.toBeNull();
    const [aId, aTok] = [a.welcome?.[2] as number, a.welcome?.[6] as string];
    const [bId, bTok] = [b.welcome?.[2] as number, b.welcome?.[6] as string];
    a.c.ws.close();
    await a.c.closed;
    await ts.idle();
    b.c.ws.close();
    await b.c.closed;
    await ts.idle();
    expect(ts.server.stats().parked).toBe(2);
    const before = ts.server.stats().parkedEvicted;
    expect(before).toEqual({ server: 0, address: 0, worldFull: 0 });

    // The world (capacity 3) is full: a, b parked, c live. d gets a's room.
    const d = await join(ts.url, 'd');
    expect(d.welcome, `d refused: ${JSON.stringify(d.c.msgs)}`).not.toBeNull();
    expect(d.c.errors()).toEqual([]);
    const dId = d.welcome?.[2] as number;
    let st = ts.server.stats();
    expect(st.parkedEvicted).toEqual({ server: 0, address: 0, worldFull: 1 });
    expect(st.parked).toBe(1);
    expect(st.worlds.w1?.parked).toBe(1);
    // a's entity was removed (its id may be d's now); the world holds b (parked), c and d.
    expect(entityCount(ts.world)).toBe(3);
    expect(Player.session[Player.eid.indexOf(bId)]).toBe(-1);
    expect(Player.session[Player.eid.indexOf(dId)]).toBeGreaterThanOrEqual(0);
    if (dId !== aId) expect(Player.eid.indexOf(aId)).toBe(-1);

    // b, parked after a, was not touched: its resume gets its own player back.
    const b2 = await join(ts.url, 'b', bTok);
    expect(b2.welcome?.[2]).toBe(bId);
    expect(b2.welcome?.[9]).toBe(true);
    expect(b2.c.errors()).toEqual([]);

    // a's token resumes nothing now; with b, c, d live and nobody parked, the world is full: WORLD_FULL, 4009.
    const a2 = await join(ts.url, 'a', aTok);
    expect(a2.welcome).toBeNull();
    expect(a2.c.errors()).toEqual(['RESUME_REFUSED', 'WORLD_FULL']);
    expect(await a2.c.closed).toBe(4009);
    st = ts.server.stats();
    expect(st.parkedEvicted.worldFull).toBe(1);
    expect(st.parked).toBe(0);
    expect(st.internalErrors).toBe(0);
  });

  it('a world filled with parked players from many addresses takes every live join; then WORLD_FULL', async () => {
    ts = await startTestServer({
      capacity: 10,
      net: { resumeGraceSeconds: 60, trustedProxies: ['127.0.0.1'], maxParkedPerAddress: 1, maxConnectionsPerAddress: 0 },
    });
    // 10 addresses each join and drop: 10 parked players (1 per address, under the per-address cap) fill the world.
    for (let i = 0; i < 10; i++) {
      const g = await join(ts.url, `ghost${i}`, null, `203.0.113.${i + 1}`);
      expect(g.welcome).not.toBeNull();
      g.c.ws.close();
      await g.c.closed;
      await ts.idle();
    }
    expect(ts.server.stats().parked).toBe(10);
    expect(entityCount(ts.world)).toBe(10);
    // 10 live players from other addresses: each takes a ghost's room.
    const live: RawWs[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await join(ts.url, `live${i}`, null, `198.51.100.${i + 1}`);
      expect(p.welcome, `live${i}: ${JSON.stringify(p.c.msgs)}`).not.toBeNull();
      live.push(p.c);
    }
    let st = ts.server.stats();
    expect(st.parkedEvicted).toEqual({ server: 0, address: 0, worldFull: 10 });
    expect(st.parked).toBe(0);
    expect(entityCount(ts.world)).toBe(10);
    // Full of live players: the next one is refused.
    const late = await join(ts.url, 'late', null, '198.51.100.200');
    expect(late.welcome).toBeNull();
    expect(late.c.errors()).toEqual(['WORLD_FULL']);
    expect(await late.c.closed).toBe(4009);
    st = ts.server.stats();
    expect(st.parkedEvicted.worldFull).toBe(10);
    expect(st.internalErrors).toBe(0);
    for (const c of live) c.ws.close();
  });
});
