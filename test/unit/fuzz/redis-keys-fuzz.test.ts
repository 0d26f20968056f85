/**
 * Fuzz: the Redis coordinator over keys damaged by hand (docs/CLUSTER.md "A damaged key in Redis"). Each
 * round builds a healthy cluster state (two instances, three leased worlds), overwrites one to three of
 * the coordinator's keys with a random value of a random type (text, digits, a `<token>:<owner>` lookalike,
 * a hash, a set, a list, no expiry), then runs every coordinator operation in random order. No operation
 * may fail (before the scripts read each key defensively, a Lua error or WRONGTYPE failed it, and with it
 * every instance's control tick: `coordinator unreachable`); every listed lease has an integer token and an
 * owner; a token minted after the damage (acquire, handover) is above the floor given (the store's fence:
 * the highest token granted so far), so tokens never repeat; and no world is left that nobody can acquire (a refusal names an
 * owner whose lease expires). Against a real redis-server started here on a free port.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { LeaseResult } from '../../../src/cluster/coordinator.js';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { fileRedis, instanceInfo, trackCoordinators } from '../../helpers/coordinator-kit.js';
import { fuzzScale, fuzzSeed, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const redis = fileRedis('Redis keys fuzz');
const track = trackCoordinators();
const ROUNDS = Math.round(120 * fuzzScale());
const WORLDS = ['w1', 'w2', 'w3', 'w4'];
const IDS = ['A', 'B', 'C'];
const P = 'z:';

/** A value of a random type written over `key` (the coordinator never writes most of these). */
const damage = async (raw: Redis, rng: Rng, key: string): Promise<string> => {
  const ttl = rng.chance(0.5) ? ['PX', String(rng.int(1000, 60_000))] : [];
  const text = rng.pick([
    () => rng.str(rng.int(0, 12)),
    () => String(rng.int(0, 1e6)),
    () => `${rng.int(0, 99)}:${rng.pick(IDS)}`,
    () => `${rng.pick(['', 'x', '-1', '1.5', '9'.repeat(16), '007'])}:${rng.pick(['', ...IDS, 'A:B'])}`,
    () => rng.pick(['-3', '5.5', '1e3', ' 7', 'nan', '9'.repeat(20)]),
  ])();
  await raw.del(key);
  switch (rng.int(0, 5)) {
    case 0:
    case 1:
    case 2:
      await raw.set(key, text, ...(ttl as ['PX', string]));
      return `${key} = ${JSON.stringify(text)}${ttl.length ? '' : ' (no expiry)'}`;
    case 3:
      await raw.hset(key, rng.pick(['ttlMs', 'id', 'x']), text);
      return `${key} = hash`;
    case 4:
      await raw.sadd(key, rng.pick([...WORLDS, ...IDS]));
      return `${key} = set`;
    default:
      await raw.rpush(key, text || 'x');
      return `${key} = list`;
  }
};

describe.skipIf(!redis.bin)('fuzz: coordinator keys damaged in Redis', () => {
  it('every operation answers; tokens stay integers above the floor; no world is left unacquirable', {
    timeout: fuzzTimeout(60_000),
  }, async () => {
    const raw = new Redis(redis.server().url);
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: P }));
    const info = (id: string) => instanceInfo(id, 1);
    try {
      await withSeed('redis-keys', fuzzSeed(0x4ed15), async (rng, ctx) => {
        for (let round = 0; round < ROUNDS; round++) {
          await raw.flushall();
          const floor = new Map<string, number>(); // per world: the highest token granted so far (the store's fence)
          const seen = (w: string, r: LeaseResult): void => {
            if (r.ok) floor.set(w, Math.max(floor.get(w) ?? 0, r.fencingToken));
          };
          await c.register(info('A'), 60_000);
          await c.register(info('B'), 60_000);
          for (const [w, id] of [
            ['w1', 'A'],
            ['w2', 'A'],
            ['w3', 'B'],
          ] as const)
            seen(w, await c.acquire(w, id, 60_000));
          const keys = [...WORLDS.flatMap((w) => [`lease:${w}`, `fence:${w}`]), 'leases', 'insts', 'inst:A', 'inst:B'];
          const done: string[] = [];
          for (let k = rng.int(1, 3); k > 0; k--) done.push(await damage(raw, rng, P + rng.pick(keys)));
          ctx.at = `round ${round}: ${done.join(', ')}`;

          for (let op = 0; op < 12; op++) {
            const w = rng.pick(WORLDS);
            const id = rng.pick(IDS);
            const what = rng.int(0, 8);
            ctx.at = `round ${round}: ${done.join(', ')}; op ${op} (${what} ${w} ${id})`;
            if (what === 0) {
              for (const l of await c.listLeases()) {
                expect(Number.isSafeInteger(l.fencingToken) && l.fencingToken >= 0, JSON.stringify(l)).toBe(true);
                expect(l.instanceId.length).toBeGreaterThan(0);
              }
            } else if (what === 1) await c.listInstances();
            else if (what === 2) {
              const o = await c.getOwner(w);
              if (o) expect(Number.isSafeInteger(o.fencingToken), JSON.stringify(o)).toBe(true);
            } else if (what === 3) {
              const f = floor.get(w) ?? 0;
              const r = await c.acquire(w, id, 60_000, f);
              if (r.ok && r.minted) expect(r.fencingToken, `minted above the floor ${f}`).toBeGreaterThan(f);
              if (r.ok) expect(Number.isSafeInteger(r.fencingToken)).toBe(true);
              seen(w, r);
            } else if (what === 4) {
              const r = await c.renew(w, id, 60_000);
              if (r.ok) expect(Number.isSafeInteger(r.fencingToken)).toBe(true);
            } else if (what === 5) await c.release(w, id);
            else if (what === 6) {
              const before = floor.get(w) ?? 0;
              const r = await c.handover(w, id, rng.pick(IDS), 60_000, before);
              if (r.ok) expect(r.fencingToken, 'a handover mints above the floor').toBeGreaterThan(before);
              seen(w, r);
            } else if (what === 7) {
              if (!(await c.heartbeat(id, { sessions: 2, stepCostMs: 1, cpu: 0.5 }))) await c.register(info(id), 60_000);
            } else await c.register(info(id), 60_000);
          }
          // No world nobody can take: acquire either grants or names an owner whose lease expires.
          for (const w of WORLDS) {
            ctx.at = `round ${round}: ${done.join(', ')}; final acquire of ${w}`;
            const f = floor.get(w) ?? 0;
            const r = await c.acquire(w, 'Z', 60_000, f);
            if (r.ok) expect(r.fencingToken).toBeGreaterThan(f);
            else expect(r.owner !== null && r.owner.ttlRemainingMs > 0, JSON.stringify(r.owner)).toBe(true);
          }
        }
      });
    } finally {
      raw.disconnect();
    }
  });
});
