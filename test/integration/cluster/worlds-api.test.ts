/**
 * The in-process worlds API in cluster mode (docs/GAME-API.md "Creating and ending worlds"): it runs
 * the admin route with its cluster intercept, so it does what `POST` / `DELETE /api/v1/worlds` do
 * there — a create is placed on the least-loaded instance (or `placement: 'local'`) and answers its
 * `owner`; an id another instance owns is refused `WT_ERR_WORLD_EXISTS` naming the owner; a delete
 * called on an instance that does not own the world is forwarded to its owner; `list` is the
 * cluster's. Two in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import type { WorldtickError } from '../../../src/errors.js';
import { until } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimes } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster worlds API');

describe.skipIf(skip !== null)('cluster: server.worlds goes through the admin route and its cluster intercept', () => {
  const { inst } = twoRuntimes(pg as PgServer);

  it('creates, refuses a taken id with its owner, deletes through the owner, lists the cluster', { timeout: 60_000 }, async () => {
    const [a, b] = inst;
    /** What each instance logged about world `id` (for a failure message). */
    const explain = (id: string): string =>
      JSON.stringify(
        inst.map((i) => ({
          id: i.id,
          lines: i.lines.filter((l) => l.world === id || l.worldId === id || JSON.stringify(l).includes(`"${id}"`)).map((l) => l.msg),
        })),
      );
    if (!a || !b) throw new Error('instances not started');
    // Local placement: created on a, its lease and record taken before the answer.
    const made = await a.runtime.worlds.create({ id: 'cw', capacity: 100 }, { placement: 'local' });
    expect(made).toMatchObject({ id: 'cw', owner: 'a' });
    expect(a.runtime.cluster.fence('cw')).not.toBeNull();
    expect(await a.runtime.store.getWorldConfig('cw')).toBeDefined();
    await until('b sees a owning cw', () => b.runtime.cluster.ownerOf('cw')?.instanceId === 'a');
    // From b: the id is a's (the cluster check of the route's intercept).
    const dup = await b.runtime.worlds.create({ id: 'cw', capacity: 100 }).then(
      () => null,
      (e: WorldtickError) => e,
    );
    expect(dup).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { worldId: 'cw', owner: 'a' } });
    // b's list is the cluster's: cw with its owner.
    expect((await b.runtime.worlds.list()).find((w) => w.id === 'cw')).toMatchObject({ owner: 'a' });
    // Deleted from b: forwarded to a, which deletes it (record gone, durable).
    expect(await b.runtime.worlds.delete('cw')).toEqual({ deleted: 'cw', durable: true });
    expect(await a.runtime.store.getWorldConfig('cw')).toBeUndefined();
    // Nobody holds it: should a lease have lapsed and the world failed over before the delete (a loaded
    // machine), the instance that lost it drops its copy once the lease is given back (deleted-copy.test.ts).
    await until('nobody holds cw', () => inst.every((i) => !i.runtime.runner.has('cw'))).catch((err: Error) => {
      throw new Error(`${err.message}: ${explain('cw')}`);
    });

    // Default placement: the least-loaded instance takes it; `owner` says which, and that one steps it.
    const placed = await b.runtime.worlds.create({ id: 'pw', capacity: 100 });
    const owner = inst.find((i) => i.id === placed.owner);
    expect(owner, JSON.stringify(placed)).toBeDefined();
    expect(owner?.runtime.runner.has('pw')).toBe(true);
    expect(owner?.runtime.cluster.fence('pw')).not.toBeNull();
    // a knows who owns pw from its control ticks (the route's view, for HTTP too): then its delete goes there.
    await until('a sees the owner of pw', () => a.runtime.cluster.ownerOf('pw')?.instanceId === placed.owner);
    expect(await a.runtime.worlds.delete('pw')).toEqual({ deleted: 'pw', durable: true });
    expect(await a.runtime.store.getWorldConfig('pw')).toBeUndefined();
    await until('nobody holds pw', () => inst.every((i) => !i.runtime.runner.has('pw'))).catch((err: Error) => {
      throw new Error(`${err.message}: ${explain('pw')}`);
    });
  });

  it('refuses a bad ?placement= where it is sent, before placing: never forwarded, nothing created', { timeout: 30_000 }, async () => {
    // Sent to both instances: whichever one placement would pick (the same from both views), the other would
    // have forwarded the create there before the check (the 400 then counted on the peer).
    const forwarded = (): number => inst.reduce((n, i) => n + i.runtime.cluster.counters.forwardedAdmin, 0);
    const before = forwarded();
    for (const i of inst) {
      const res = await i.api('POST', '/api/v1/worlds?placement=lcoal', { id: `bad-${i.id}`, capacity: 100 });
      expect(res.status, res.text).toBe(400);
      expect(res.json).toMatchObject({ code: 'WT_ERR_ADMIN_BAD_REQUEST' });
      expect(res.json.message).toContain('placement must be local or least-loaded');
    }
    expect(forwarded()).toBe(before);
    for (const i of inst) for (const j of inst) expect(j.runtime.runner.has(`bad-${i.id}`)).toBe(false);
  });
});
