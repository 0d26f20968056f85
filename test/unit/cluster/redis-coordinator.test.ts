/**
 * RedisCoordinator's own behaviour, beyond the contract every Coordinator meets
 * (coordinator-contract.test.ts): malformed messages published by someone else are counted and
 * dropped; a partition from Redis (a TCP proxy cut) makes the owner stop trusting its lease before
 * anyone else can take it. Against a real redis-server started here on a free port.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { ErrorCode, isWorldtickError } from '../../../src/errors.js';
import { fileRedis, granted, sleep, trackCoordinators, waitFor } from '../../helpers/coordinator-kit.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

const redis = fileRedis('RedisCoordinator');
const track = trackCoordinators();

describe.skipIf(!redis.bin)('RedisCoordinator only', () => {
  it('counts and drops malformed messages published by someone else', async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'raw:' }));
    const got: unknown[] = [];
    await c.subscribe('ctl', (m) => got.push(m));
    const raw = new Redis(redis.server().url);
    try {
      await raw.publish('raw:msg:ctl', 'not json');
      await raw.publish('raw:msg:ctl', '[1,2]');
      await raw.publish('raw:msg:ctl', '{"type":3}');
      await raw.publish('raw:msg:ctl', '{"type":"ok"}');
      await waitFor('the good message', async () => (got.length > 0 ? true : undefined));
    } finally {
      raw.disconnect();
    }
    expect(got).toEqual([{ type: 'ok' }]);
    expect(c.counters.badMessages).toBe(3);
  });

  it('reads an instance record written by an older build (no draining field) as not draining; its heartbeat keeps it so', async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'old:' }));
    const raw = new Redis(redis.server().url);
    try {
      // What an older build's register wrote: no `draining` field (a rolling upgrade mixes builds).
      const fields = ['id', 'O', 'gameUrl', 'ws://o', 'adminUrl', 'http://o', 'capacity', 0, 'sessions', 0, 'stepCostMs', 0, 'cpu', 0];
      await raw.hset('old:inst:O', ...fields, 'ttlMs', 5000, 'heartbeatAt', Date.now());
      await raw.pexpire('old:inst:O', 5000);
      await raw.sadd('old:insts', 'O');
      expect(await c.listInstances()).toEqual([expect.objectContaining({ id: 'O', capacity: 0, draining: false })]);
      expect(await c.heartbeat('O', { sessions: 1, stepCostMs: 0, cpu: 0 })).toBe(true);
      expect(await c.listInstances()).toEqual([
        expect.objectContaining({ id: 'O', draining: false, load: { sessions: 1, stepCostMs: 0, cpu: 0 } }),
      ]);
    } finally {
      raw.disconnect();
    }
  });

  it('partition: the cut-off owner stops trusting its lease before anyone else can take it, and learns it lost ownership on heal', async () => {
    const proxy = await startTcpProxy(redis.server().port);
    try {
      const keyPrefix = 'part:';
      // A reaches Redis through the proxy; B directly.
      const a = track(
        new RedisCoordinator({
          connection: { host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20, connectTimeout: 500 },
          keyPrefix,
          commandTimeoutMs: 100,
        }),
      );
      const b = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix }));
      const ttl = 400;
      // A long lease first, so the refusal below cannot race an expiry on a slow machine;
      // then a short renew, the lease A holds when the link is cut.
      const ga = granted(await a.acquire('w1', 'A', 30_000));
      expect((await b.acquire('w1', 'B', ttl)).ok).toBe(false);
      granted(await a.renew('w1', 'A', ttl));
      const validUntil = a.leaseValidUntil('w1');
      expect(validUntil).not.toBeNull();

      proxy.sever();
      // A keeps trying to renew; every attempt fails and none extends its validity.
      let failures = 0;
      const renewing = (async () => {
        do {
          await a.renew('w1', 'A', ttl).then(
            () => undefined,
            (err: unknown) => {
              if (isWorldtickError(err, ErrorCode.CLUSTER_UNAVAILABLE)) failures++;
              else throw err;
            },
          );
          await sleep(20);
        } while (a.leaseValidUntil('w1') !== null && a.now() < validUntil! + 200);
      })();
      const gb = await waitFor('B to take over', async () => {
        const r = await b.acquire('w1', 'B', 5000);
        return r.ok ? r : undefined;
      });
      const acquiredAt = b.now();
      await renewing;
      expect(failures).toBeGreaterThan(0);
      expect(a.leaseValidUntil('w1')).toBe(validUntil);
      // The ordering the runtime relies on: B owns the world only after A stopped stepping it.
      expect(acquiredAt).toBeGreaterThanOrEqual(validUntil!);
      expect(gb.fencingToken).toBeGreaterThan(ga.fencingToken);

      proxy.heal();
      const after = await waitFor('A to reach Redis again', async () => a.renew('w1', 'A', ttl).catch(() => undefined));
      expect(after).toMatchObject({ ok: false, owner: { instanceId: 'B', fencingToken: gb.fencingToken } });
      expect(a.leaseValidUntil('w1')).toBeNull();
      expect(a.heldLease('w1')).toBeNull();
      expect(a.counters.backendErrors).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});
