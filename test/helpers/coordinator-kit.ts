/**
 * Small tools of the Coordinator tests (test/unit/cluster/coordinator-contract.test.ts,
 * redis-coordinator.test.ts): a sleep, a poll with a cap, a lease result that must be a grant, the
 * file's throwaway Redis and the coordinators a test opened.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Coordinator, InstanceInfo, LeaseGranted, LeaseResult } from '../../src/cluster/coordinator.js';
import { type RedisTestServer, redisServerFor, startRedisServer } from './redis-server.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a non-undefined value (5 s cap, then the test fails). */
export const waitFor = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

/** `r` as a grant; throws (failing the test) on a refusal. */
export const granted = (r: LeaseResult): LeaseGranted => {
  if (!r.ok) throw new Error(`expected a grant, got refusal (owner ${JSON.stringify(r.owner)})`);
  return r;
};

/**
 * A throwaway redis-server for the calling test file: started in its `beforeAll`, stopped in its
 * `afterAll`. `bin` is null (and a SKIP line printed naming `what`) where redis-server is not
 * installed; `server()` is the running server (call it inside a test).
 */
export const fileRedis = (what: string): { bin: string | null; server: () => RedisTestServer } => {
  const bin = redisServerFor(what);
  let redis: RedisTestServer | null = null;
  beforeAll(async () => {
    if (bin) redis = await startRedisServer(bin);
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    bin,
    server: () => {
      if (!redis) throw new Error('redis-server is not running (the file skips its Redis tests without one)');
      return redis;
    },
  };
};

/** Coordinators a test opens, closed after each test of the calling file: `track(c)` returns `c`. */
export const trackCoordinators = (): (<C extends Coordinator>(c: C) => C) => {
  const open: Coordinator[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
  });
  return (c) => {
    open.push(c);
    return c;
  };
};

/** An instance announcement for coordinator tests: `ws://<id>`, `http://<id>`, capacity 10, `sessions` sessions. */
export const instanceInfo = (id: string, sessions = 0): InstanceInfo => ({
  id,
  gameUrl: `ws://${id}`,
  adminUrl: `http://${id}`,
  capacity: 10,
  load: { sessions, stepCostMs: 0, cpu: 0 },
});
