/**
 * Keys in Redis damaged by hand (or by a tool writing into the coordinator's prefix): the scripts
 * read a damaged lease as no lease and a damaged fence counter as lost, so one such key neither fails
 * the listing every instance reads each control tick nor keeps its world unowned for good
 * (docs/CLUSTER.md "A damaged key in Redis"). Against a real redis-server started here on a free port.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { fileRedis, granted, instanceInfo, trackCoordinators } from '../../helpers/coordinator-kit.js';

const redis = fileRedis('damaged Redis keys');
const track = trackCoordinators();

describe.skipIf(!redis.bin)('damaged keys in Redis', () => {
  let raw: Redis;
  beforeEach(async () => {
    raw = new Redis(redis.server().url);
    await raw.flushall();
  });
  afterEach(() => raw.disconnect());

  /** What was written by hand into `d:lease:w`, beside the intact lease of world `x` (C, token 3). */
  const damages: [string, () => Promise<unknown>][] = [
    ['no token separator', () => raw.set('d:lease:w', 'garbage', 'PX', 60_000)],
    ['a token that is no integer', () => raw.set('d:lease:w', 'abc:B', 'PX', 60_000)],
    ['an empty token', () => raw.set('d:lease:w', ':B', 'PX', 60_000)],
    ['no owner', () => raw.set('d:lease:w', '5:', 'PX', 60_000)],
    ['a token above 2^53 - 1', () => raw.set('d:lease:w', '9007199254740992:B', 'PX', 60_000)],
    ['a hash instead of a string', () => raw.hset('d:lease:w', 'token', '5')],
  ];

  it.each(damages)(
    'a lease with %s: the listing skips and counts it, the other worlds still list; renew and release refuse it; acquire replaces it',
    async (_, damage) => {
      const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
      await damage();
      await raw.set('d:lease:x', '3:C', 'PX', 60_000);
      await raw.sadd('d:leases', 'w', 'x');

      // Before: a Lua error ("attempt to perform arithmetic on local 'sep'") failed the whole listing.
      expect((await c.listLeases()).map((l) => [l.worldId, l.instanceId, l.fencingToken])).toEqual([['x', 'C', 3]]);
      expect(c.counters.damagedRecords).toBe(1);
      expect(await c.getOwner('w')).toBeNull();
      // Before: `abc:B` renewed for B with a NaN token (read as null in JSON); now nobody owns a damaged lease.
      expect(await c.renew('w', 'B', 5000)).toEqual({ ok: false, worldId: 'w', owner: null });
      expect(await c.release('w', 'B')).toBe(false);
      expect(c.counters.damagedRecords).toBe(2); // the renewal met it too

      // The store's fence for w (the floor) is 7: the replacing token is above it.
      const g = granted(await c.acquire('w', 'A', 5000, 7));
      expect({ token: g.fencingToken, minted: g.minted }).toEqual({ token: 8, minted: true });
      expect(c.counters.damagedRecords).toBe(3);
      expect(await raw.get('d:lease:w')).toBe('8:A');
      expect((await c.listLeases()).map((l) => [l.worldId, l.instanceId, l.fencingToken])).toEqual([
        ['w', 'A', 8],
        ['x', 'C', 3],
      ]);
      expect(c.counters.damagedRecords).toBe(3);
      // The untouched world keeps its lease and its owner can renew it.
      expect(granted(await c.renew('x', 'C', 5000)).fencingToken).toBe(3);
    },
  );

  it('tokens up to 2^53 - 1 are written and read as digits (Lua wrote 10^14 and above as `1e+14`)', async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
    for (const floor of [1e14 - 1, 2 ** 53 - 2]) {
      const w = `big${floor}`;
      const g = granted(await c.acquire(w, 'A', 5000, floor));
      expect(g.fencingToken).toBe(floor + 1);
      expect(await raw.get(`d:lease:${w}`)).toBe(`${floor + 1}:A`);
      expect(granted(await c.renew(w, 'A', 5000)).fencingToken).toBe(floor + 1);
      expect((await c.listLeases()).find((l) => l.worldId === w)?.fencingToken).toBe(floor + 1);
    }
    expect(c.counters.damagedRecords).toBe(0);
  });

  it("another instance's lease with no expiry is listed by nobody and replaced above its token; its owner's own renewal gives it an expiry again", async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
    await raw.set('d:lease:w', '9:B'); // SET without PX: no script writes a lease so
    await raw.sadd('d:leases', 'w');
    expect(await c.listLeases()).toEqual([]);
    expect(await c.getOwner('w')).toBeNull(); // as the listing reads it (before: B, with 0 ms left, for good)
    expect(c.counters.damagedRecords).toBe(1);
    // Its owner renewing it (it may well be alive): PEXPIRE gives it an expiry, nothing else changes.
    expect(granted(await c.renew('w', 'B', 5000)).fencingToken).toBe(9);
    expect(await raw.pttl('d:lease:w')).toBeGreaterThan(0);
    expect((await c.listLeases()).map((l) => [l.instanceId, l.fencingToken])).toEqual([['B', 9]]);

    await raw.persist('d:lease:w');
    // The owner died with it so: before, the world stayed B's for good (every acquire refused, ttl 0).
    // The fence counter is gone too (lost with Redis data): the new token is still above the lease's.
    const g = granted(await c.acquire('w', 'A', 5000));
    expect(g.fencingToken).toBe(10);
    expect(c.counters.damagedRecords).toBe(2); // the first listing, this acquire (a missing counter is no damage)
  });

  it('an instance record of another type, or one with no expiry, is skipped and counted; the other instances still list', async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
    await c.register(instanceInfo('A', 1), 5000);
    await raw.set('d:inst:Z', 'junk', 'PX', 60_000); // before: WRONGTYPE failed the whole listing
    await raw.hset('d:inst:Y', 'id', 'Y', 'capacity', '10'); // no expiry: it would be listed for good
    await raw.sadd('d:insts', 'Z', 'Y', 'gone');
    expect((await c.listInstances()).map((i) => i.id)).toEqual(['A']);
    expect(c.counters.damagedRecords).toBe(2);
    expect(await raw.smembers('d:insts')).not.toContain('gone'); // a member whose record is gone is still dropped
  });

  it.each([
    ['of another type', () => raw.set('d:inst:A', 'junk')],
    ['with a ttlMs that is no integer', () => raw.hset('d:inst:A', 'ttlMs', 'soon')],
  ])("an instance's own record %s: its heartbeat answers expired, and registering again rewrites it", async (_, damage) => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
    const info = instanceInfo('A', 1);
    await c.register(info, 5000);
    await damage();
    // Before: WRONGTYPE, or PEXPIRE's "value is not an integer": every heartbeat failed ("coordinator unreachable").
    expect(await c.heartbeat('A', info.load)).toBe(false);
    await c.register(info, 5000);
    expect(await c.heartbeat('A', { sessions: 2, stepCostMs: 0, cpu: 0 })).toBe(true);
    expect((await c.listInstances()).map((i) => [i.id, i.load.sessions, i.ttlMs])).toEqual([['A', 2, 5000]]);
  });

  it.each([['d:'], ['g*?[a]\\:']])(
    'a damaged index set (prefix %s) is rebuilt from the keys it indexes; writers go on meanwhile',
    async (prefix) => {
      const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: prefix }));
      await c.register(instanceInfo('A'), 5000);
      granted(await c.acquire('w1', 'A', 5000));
      // Another prefix the glob characters, unescaped, would match (and, unescaped, the prefix's own keys would not be).
      await raw.set('gxxa:lease:other', '1:Z', 'PX', 60_000);
      await raw.hset('gxxa:inst:Q', 'id', 'Q', 'ttlMs', '60000');
      await raw.pexpire('gxxa:inst:Q', 60_000);
      await raw.set(`${prefix}leases`, 'junk');
      await raw.set(`${prefix}insts`, 'junk');
      // Before: WRONGTYPE in every acquire, register and listing, for every world and instance, until someone deleted the key.
      granted(await c.acquire('w2', 'A', 5000));
      await c.register(instanceInfo('B'), 5000);
      expect((await c.listLeases()).map((l) => l.worldId)).toEqual(['w1', 'w2']);
      expect((await c.listInstances()).map((i) => i.id)).toEqual(['A', 'B']);
      expect(c.counters.damagedRecords).toBe(2);
      expect(await raw.type(`${prefix}leases`)).toBe('set');
      expect((await c.listLeases()).map((l) => l.worldId)).toEqual(['w1', 'w2']);
      expect(c.counters.damagedRecords).toBe(2);
    },
  );

  it.each([
    ['text', 'xyz'],
    ['a fraction', '5.5'],
    ['a negative', '-3'],
  ])(
    'a fence counter holding %s is read as lost: raised to the floor before the next token, in acquire and in handover',
    async (_, value) => {
      const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'd:' }));
      await raw.set('d:fence:w', value);
      // Before: with no floor (no store), INCR failed ("value is not an integer") and the world could not be acquired at all.
      expect(granted(await c.acquire('w', 'A', 5000)).fencingToken).toBe(1);
      await raw.set('d:fence:v', value);
      expect(granted(await c.acquire('v', 'A', 5000, 40)).fencingToken).toBe(41);
      // A handover mints above the lease's own token.
      await raw.set('d:fence:w', value);
      const h = granted(await c.handover('w', 'A', 'B', 5000));
      expect({ owner: h.instanceId, token: h.fencingToken }).toEqual({ owner: 'B', token: 2 });
      expect(await raw.get('d:fence:w')).toBe('2');
      expect(c.counters.damagedRecords).toBe(3);
    },
  );

  it('a damaged fence and a lease rewritten to a lower token: a handover mints above the floor its caller gives', async () => {
    // Fuzz seed 80310: B was granted token 1, then the fence was made '1.5:A:B' and the lease '0:A' (believed: well formed).
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'h:' }));
    expect(granted(await c.acquire('w', 'B', 5000)).fencingToken).toBe(1);
    await raw.set('h:fence:w', '1.5:A:B');
    await raw.set('h:lease:w', '0:A', 'PX', 5000);
    // Without a floor the lease's own token is all the script knows: token 1 again.
    const again = granted(await c.handover('w', 'A', 'C', 5000));
    expect(again.fencingToken).toBe(1);
    await raw.set('h:fence:w', '1.5:A:B');
    await raw.set('h:lease:w', '0:A', 'PX', 5000);
    const h = granted(await c.handover('w', 'A', 'C', 5000, 1));
    expect({ owner: h.instanceId, token: h.fencingToken }).toEqual({ owner: 'C', token: 2 });
    expect(await raw.get('h:fence:w')).toBe('2');
  });
});
