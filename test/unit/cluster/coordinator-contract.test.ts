/**
 * One contract suite over every Coordinator implementation: LocalCoordinator (in-process) and
 * RedisCoordinator against a real redis-server started here on a free port. Each test gets a
 * fresh backend namespace (a new LocalHub / a new Redis key prefix) and several handles on it,
 * one per simulated instance. RedisCoordinator's own behaviour (malformed messages, a partition):
 * redis-coordinator.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterMessage, Coordinator, InstanceInfo } from '../../../src/cluster/coordinator.js';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { ErrorCode } from '../../../src/errors.js';
import { fileRedis, granted, trackCoordinators, waitFor } from '../../helpers/coordinator-kit.js';

const info = (id: string, sessions = 0): InstanceInfo => ({
  id,
  gameUrl: `ws://127.0.0.1/${id}`,
  adminUrl: `http://127.0.0.1/${id}/api/v1`,
  capacity: 1000,
  load: { sessions, stepCostMs: 1.5, cpu: 0.25 },
});

/** A backend namespace for one test: makes handles that share it. */
interface Backend {
  make(): Coordinator;
}

interface Impl {
  name: string;
  skip: string | null;
  backend(): Backend;
}

const redis = fileRedis('RedisCoordinator contract');
const track = trackCoordinators();
let prefixSeq = 0;

const impls: Impl[] = [
  {
    name: 'LocalCoordinator',
    skip: null,
    backend: () => {
      const hub = new LocalHub();
      return { make: () => track(new LocalCoordinator({ hub })) };
    },
  },
  {
    name: 'RedisCoordinator',
    skip: redis.bin ? null : 'redis-server not installed',
    backend: () => {
      const keyPrefix = `t${++prefixSeq}:`;
      return {
        make: () => track(new RedisCoordinator({ connection: { host: redis.server().host, port: redis.server().port }, keyPrefix })),
      };
    },
  },
];

for (const impl of impls) {
  describe.skipIf(impl.skip !== null)(`Coordinator contract: ${impl.name}`, () => {
    it('of several instances racing to acquire a world, exactly one wins; the others see it as owner', async () => {
      const be = impl.backend();
      const handles = [be.make(), be.make(), be.make(), be.make(), be.make()];
      const results = await Promise.all(handles.map((c, i) => c.acquire('w1', `i${i}`, 5000)));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const win = granted(winners[0]);
      for (const r of results) {
        if (r.ok) continue;
        expect(r.owner?.instanceId).toBe(win.instanceId);
        expect(r.owner?.fencingToken).toBe(win.fencingToken);
      }
      // Only the winner's handle holds the lease locally.
      handles.forEach((c, i) => {
        expect(c.leaseValidUntil('w1') !== null).toBe(`i${i}` === win.instanceId);
      });
      expect(await handles[0].getOwner('w1')).toMatchObject({ worldId: 'w1', instanceId: win.instanceId, fencingToken: win.fencingToken });
    });

    it('acquire by the current owner extends the lease with the same token; getOwner and listLeases show owners', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const first = granted(await a.acquire('w1', 'A', 5000));
      const again = granted(await a.acquire('w1', 'A', 5000));
      expect(again.fencingToken).toBe(first.fencingToken);
      // A token minted by this call, or a lease already owned extended (as after a handover or a restart with the same id).
      expect([first.minted, again.minted]).toEqual([true, false]);
      expect(granted(await a.renew('w1', 'A', 5000)).minted).toBe(false);
      granted(await b.acquire('w2', 'B', 5000));
      expect(await a.getOwner('nope')).toBeNull();
      const leases = await b.listLeases();
      expect(leases.map((l) => [l.worldId, l.instanceId, l.fencingToken])).toEqual([
        ['w1', 'A', first.fencingToken],
        ['w2', 'B', 1],
      ]);
      for (const l of leases) expect(l.ttlRemainingMs).toBeGreaterThan(0);
    });

    it('leaseValidUntil = send time + ttl - margin of the latest grant, on the monotonic clock', async () => {
      const c = impl.backend().make();
      const before = c.now();
      const g = granted(await c.acquire('w1', 'A', 10_000));
      const after = c.now();
      // margin = 2 ms + 1 % of ttl = 102 ms
      expect(g.validUntil).toBeGreaterThanOrEqual(before + 10_000 - 102);
      expect(g.validUntil).toBeLessThanOrEqual(after + 10_000 - 102);
      expect(c.leaseValidUntil('w1')).toBe(g.validUntil);
      expect(c.heldLease('w1')).toEqual({ worldId: 'w1', instanceId: 'A', fencingToken: g.fencingToken, validUntil: g.validUntil });
      // A renew with a shorter ttl shortens validity: the backend's expiry shrank too.
      const before2 = c.now();
      const r = granted(await c.renew('w1', 'A', 1000));
      const after2 = c.now();
      expect(r.fencingToken).toBe(g.fencingToken);
      expect(c.leaseValidUntil('w1')).toBe(r.validUntil);
      expect(r.validUntil).toBeGreaterThanOrEqual(before2 + 1000 - 12);
      expect(r.validUntil).toBeLessThanOrEqual(after2 + 1000 - 12);
      expect(r.validUntil).toBeLessThan(g.validUntil);
    });

    it('a lease expires without renewal; another instance takes over with a higher fencing token; the old owner is refused', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const ga = granted(await a.acquire('w1', 'A', 150));
      const gb = await waitFor('takeover', async () => {
        const r = await b.acquire('w1', 'B', 5000);
        return r.ok ? r : undefined;
      });
      expect(gb.fencingToken).toBeGreaterThan(ga.fencingToken);
      // B could take over only after A's validity had passed.
      expect(b.now()).toBeGreaterThanOrEqual(ga.validUntil);
      const again = await a.renew('w1', 'A', 5000);
      expect(again).toMatchObject({ ok: false, owner: { instanceId: 'B', fencingToken: gb.fencingToken } });
      expect(a.leaseValidUntil('w1')).toBeNull();
      expect(a.heldLease('w1')).toBeNull();
    });

    it('renew by a non-owner is refused with the owner; renew of a missing lease is refused with null', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const ga = granted(await a.acquire('w1', 'A', 5000));
      expect(await b.renew('w1', 'B', 5000)).toEqual({
        ok: false,
        worldId: 'w1',
        owner: { worldId: 'w1', instanceId: 'A', fencingToken: ga.fencingToken, ttlRemainingMs: expect.any(Number) },
      });
      expect(b.leaseValidUntil('w1')).toBeNull();
      expect(await b.renew('w9', 'B', 5000)).toEqual({ ok: false, worldId: 'w9', owner: null });
      const ra = granted(await a.renew('w1', 'A', 5000));
      expect(ra.fencingToken).toBe(ga.fencingToken);
      expect(ra.validUntil).toBeGreaterThanOrEqual(ga.validUntil);
    });

    it('release: only the owner can; afterwards the next owner gets a larger token', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const ga = granted(await a.acquire('w1', 'A', 5000));
      expect(await b.release('w1', 'B')).toBe(false);
      expect(await a.release('w1', 'A')).toBe(true);
      expect(a.leaseValidUntil('w1')).toBeNull();
      expect(await a.getOwner('w1')).toBeNull();
      expect(await a.listLeases()).toEqual([]);
      const gb = granted(await b.acquire('w1', 'B', 5000));
      expect(gb.fencingToken).toBe(ga.fencingToken + 1);
    });

    it('acquire with minToken: a fresh grant is above it (a lost counter re-seeded); an extension keeps its token', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const g1 = granted(await a.acquire('w1', 'A', 5000));
      expect(granted(await a.acquire('w1', 'A', 5000, 40)).fencingToken).toBe(g1.fencingToken);
      await a.release('w1', 'A');
      expect(granted(await b.acquire('w1', 'B', 5000, 40)).fencingToken).toBe(41);
      await b.release('w1', 'B');
      // A floor below the counter changes nothing: tokens still only grow.
      expect(granted(await a.acquire('w1', 'A', 5000, 3)).fencingToken).toBe(42);
      await expect(a.acquire('w2', 'A', 5000, -1)).rejects.toMatchObject({ code: 'WT_ERR_OPTION_INVALID' });
    });

    it('handover with minToken: the new token is above it (and above the counter when the floor is lower)', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      expect(granted(await a.acquire('w1', 'A', 5000)).fencingToken).toBe(1);
      expect(granted(await a.handover('w1', 'A', 'B', 5000, 30)).fencingToken).toBe(31);
      expect(granted(await b.handover('w1', 'B', 'A', 5000, 2)).fencingToken).toBe(32);
      await expect(a.handover('w1', 'A', 'B', 5000, 1.5)).rejects.toMatchObject({ code: 'WT_ERR_OPTION_INVALID' });
      expect(await b.getOwner('w1')).toMatchObject({ instanceId: 'A', fencingToken: 32 });
    });

    it('handover moves the lease atomically with a new token; the sender stops trusting it; the receiver renews', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const ga = granted(await a.acquire('w1', 'A', 5000));
      expect(await b.handover('w1', 'B', 'C', 5000)).toMatchObject({ ok: false, owner: { instanceId: 'A' } });
      const h = granted(await a.handover('w1', 'A', 'B', 5000));
      expect(h.instanceId).toBe('B');
      expect(h.fencingToken).toBeGreaterThan(ga.fencingToken);
      expect(h.minted).toBe(true);
      expect(a.leaseValidUntil('w1')).toBeNull();
      expect(await b.getOwner('w1')).toMatchObject({ instanceId: 'B', fencingToken: h.fencingToken });
      const rb = granted(await b.renew('w1', 'B', 5000));
      expect(rb.fencingToken).toBe(h.fencingToken);
      // The receiver's acquire of the handed lease extends it: no token minted for it.
      expect(granted(await b.acquire('w1', 'B', 5000))).toMatchObject({ fencingToken: h.fencingToken, minted: false });
      expect(b.heldLease('w1')?.fencingToken).toBe(h.fencingToken);
      expect((await a.renew('w1', 'A', 5000)).ok).toBe(false);
      expect(await a.handover('w1', 'A', 'C', 5000)).toMatchObject({ ok: false, owner: { instanceId: 'B' } });
      expect(await a.handover('w2', 'A', 'C', 5000)).toEqual({ ok: false, worldId: 'w2', owner: null });
    });

    it('a renew still in flight when the lease is released or handed over does not revive it locally', async () => {
      const be = impl.backend();
      const a = be.make();
      granted(await a.acquire('w1', 'A', 5000));
      const [r1, released] = await Promise.all([a.renew('w1', 'A', 5000), a.release('w1', 'A')]);
      expect(r1.ok).toBe(true);
      expect(released).toBe(true);
      expect(a.leaseValidUntil('w1')).toBeNull();
      granted(await a.acquire('w1', 'A', 5000));
      const [r2, h] = await Promise.all([a.renew('w1', 'A', 5000), a.handover('w1', 'A', 'B', 5000)]);
      expect(r2.ok).toBe(true);
      expect(h.ok).toBe(true);
      expect(a.heldLease('w1')).toBeNull();
    });

    it('presence: instances are listed with their load; one that stops heartbeating disappears', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      await a.register(info('A', 3), 5000);
      await b.register(info('B'), 5000);
      const list = await a.listInstances();
      expect(list.map((i) => i.id)).toEqual(['A', 'B']);
      expect(list[0]).toMatchObject({ ...info('A', 3), ttlMs: 5000 });
      expect(list[0].heartbeatAt).toBeGreaterThan(0);
      expect(await a.heartbeat('A', { sessions: 7, stepCostMs: 2.5, cpu: 0.5 })).toBe(true);
      expect((await b.listInstances())[0].load).toEqual({ sessions: 7, stepCostMs: 2.5, cpu: 0.5 });
      // B re-registers with a short TTL and stops heartbeating: it drops out; A (heartbeating) stays.
      await b.register(info('B'), 120);
      await waitFor('B to expire', async () => {
        await a.heartbeat('A', { sessions: 7, stepCostMs: 2.5, cpu: 0.5 });
        const ids = (await a.listInstances()).map((i) => i.id);
        return ids.includes('B') ? undefined : ids;
      }).then((ids) => expect(ids).toEqual(['A']));
      expect(await b.heartbeat('B', { sessions: 0, stepCostMs: 0, cpu: 0 })).toBe(false);
      await b.register(info('B'), 5000);
      expect((await a.listInstances()).map((i) => i.id)).toEqual(['A', 'B']);
      await a.deregister('A');
      expect((await b.listInstances()).map((i) => i.id)).toEqual(['B']);
    });

    it('presence: an instance says whether it drains (register, heartbeat); without the flag it is not draining', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const load = { sessions: 0, stepCostMs: 0, cpu: 0 };
      const drains = async () => (await a.listInstances()).map((i) => [i.id, i.draining]);
      await a.register(info('A'), 5000);
      await b.register({ ...info('B'), capacity: 0, draining: true }, 5000);
      expect(await drains()).toEqual([
        ['A', false],
        ['B', true],
      ]);
      expect(await b.heartbeat('B', load, false)).toBe(true); // the drain ended
      expect(await a.heartbeat('A', load, true)).toBe(true);
      expect(await drains()).toEqual([
        ['A', true],
        ['B', false],
      ]);
      expect(await a.heartbeat('A', load)).toBe(true); // no flag: left as it is
      expect(await drains()).toEqual([
        ['A', true],
        ['B', false],
      ]);
      // Stopping announces capacity 0 without the flag: not draining.
      await b.register({ ...info('B'), capacity: 0, draining: false }, 5000);
      expect((await a.listInstances())[1]).toMatchObject({ id: 'B', capacity: 0, draining: false });
    });

    it('pub/sub: messages reach every subscriber on every instance, in order; unsubscribe stops them', async () => {
      const be = impl.backend();
      const a = be.make();
      const b = be.make();
      const gotB: unknown[] = [];
      const gotA: unknown[] = [];
      const offB = await b.subscribe('ctl', (m, ch) => gotB.push([ch, m]));
      await a.subscribe('ctl', (m) => gotA.push(m));
      await b.subscribe('other', () => gotB.push('wrong channel'));
      await a.publish('ctl', { type: 'migrate', worldId: 'w1', from: 'A', to: 'B' });
      await a.publish('ctl', { type: 'moved', worldId: 'w1', to: 'B', fencingToken: 7 });
      await waitFor('delivery', async () => (gotB.length >= 2 && gotA.length >= 2 ? true : undefined));
      expect(gotB).toEqual([
        ['ctl', { type: 'migrate', worldId: 'w1', from: 'A', to: 'B' }],
        ['ctl', { type: 'moved', worldId: 'w1', to: 'B', fencingToken: 7 }],
      ]);
      expect(gotA).toHaveLength(2);
      await offB();
      await a.publish('ctl', { type: 'moved', worldId: 'w2', to: 'A', fencingToken: 1 });
      await waitFor('delivery to A', async () => (gotA.length >= 3 ? true : undefined));
      expect(gotB).toHaveLength(2);
      // Refused before sending: not an object with a string type.
      const bad: ClusterMessage = JSON.parse('{"worldId":"w1"}');
      await expect(a.publish('ctl', bad)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_MESSAGE_INVALID });
      await expect(a.publish('ctl', { type: 'big', blob: 'x'.repeat(70_000) })).rejects.toMatchObject({
        code: ErrorCode.CLUSTER_MESSAGE_INVALID,
      });
    });

    it('refuses bad arguments with coded errors and changes nothing', async () => {
      const c = impl.backend().make();
      for (const ttl of [0, 5, 1.5, Number.NaN]) {
        await expect(c.acquire('w1', 'A', ttl)).rejects.toMatchObject({ code: ErrorCode.OPTION_INVALID });
      }
      await expect(c.acquire('', 'A', 1000)).rejects.toMatchObject({ code: ErrorCode.OPTION_INVALID });
      await expect(c.register({ ...info('A'), capacity: -1, load: { sessions: -1, stepCostMs: 0, cpu: 0 } }, 1000)).rejects.toMatchObject({
        code: ErrorCode.OPTION_INVALID,
        details: { problems: ['instance.capacity must be an integer >= 0'] },
      });
      await expect(c.register({ ...info('A'), load: { sessions: -1, stepCostMs: 0, cpu: Number.NaN } }, 1000)).rejects.toMatchObject({
        details: { problems: ['instance.load.sessions must be a number >= 0', 'instance.load.cpu must be a number >= 0'] },
      });
      expect(await c.listLeases()).toEqual([]);
      expect(await c.listInstances()).toEqual([]);
      await c.close();
      await expect(c.acquire('w1', 'A', 1000)).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_CLOSED });
    });
  });
}
