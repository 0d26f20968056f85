/**
 * Nothing a deleted world leaves behind in memory, in a cluster (docs/CLUSTER.md "Deleting a world"):
 * two real instances (`src/cli/main.ts`) on a real redis-server and a real PostgreSQL. Worlds with
 * distinctive ids are created on either instance (a player joins each, `/metrics` is scraped on both
 * while they run, the other instance holds a standby copy), some migrated from `a` to `b`, one lost by
 * `a` to a failover (SIGSTOP past its lease), and all deleted, on their owner or through the other
 * instance. Once both instances list none of them, a V8 heap snapshot of each
 * (test/helpers/heap-strings.ts) must hold no string containing one of those ids, except the
 * instance's last 256 moves (`GET /api/v1/cluster/moves`, a bounded ring, documented), which name
 * the migrated and failed-over worlds: those ids are checked to be held by that ring alone.
 *
 * The same pair of instances first checks that the world a server started with is not kept once
 * another copy replaced it as the default world (found by the churn soak's heap snapshots,
 * docs/CLUSTER.md "Heap snapshots of the churn soak"). A migration or takeover of world `1` installs
 * its restored copy as the default; the server's main function (src/game/server.ts) read
 * `runtime.defaultWorld` into a local for its `server ready` line and then awaited the stop signal, so
 * its suspended frame kept the first default world — a whole world, ledger and all — for the life of
 * the process. World `1` is migrated to the other instance and back, then a heap snapshot of its
 * owner must hold one world `1`. That case runs first, on instances nothing else has touched (the
 * deleted-worlds case stops `a` past its lease, which may move world `1` too); one pair of instances
 * for both cases saves a second pair's start (two child processes, a redis-server, a database).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { createRetrying, ownersFrom, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { heapSnapshotEnv, retainedStrings, worldObjects, type HeldString } from '../../helpers/heap-strings.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('deleted world heap (cluster)');

const PREFIX = 'gone-7f3a-';

describe.skipIf(skip !== null)('a replaced or deleted world leaves nothing in memory (cluster)', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'wt-heap-a-')), mkdtempSync(join(tmpdir(), 'wt-heap-b-'))];
  const inst: TestInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = [...sharedStoreArgs(redis, pg as PgServer), '--lease-ttl', '2', '--npcs', '0'];
    // Started side by side: nothing here needs one to own the default world before the other joins.
    const started = await Promise.allSettled(['a', 'b'].map((id, k) => startInstance(id, args, { env: heapSnapshotEnv(dirs[k] ?? '') })));
    for (const r of started) if (r.status === 'fulfilled') inst.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    await until('both instances see each other', async () => {
      for (const i of inst) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return true;
    });
  }, 60_000);
  afterAll(async () => {
    for (const i of inst) i.child.kill('SIGCONT');
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await pg?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 30_000);

  it('the first default world is not kept after world 1 moved away and back', { timeout: 60_000 }, async () => {
    const [a, b] = inst;
    if (!a || !b) throw new Error('instances not started');
    const owner = (await ownersFrom(a))['1'] === 'b' ? b : a;
    const other = owner === a ? b : a;
    const move = async (from: TestInstance, to: TestInstance): Promise<void> => {
      // A loaded instance may answer 503 (its lease not renewed in time for the checkpoint: nothing moved,
      // docs/CLUSTER.md "Migration" step 3): sent again, as an operator would, twice at most.
      let m = await from.api('POST', '/api/v1/worlds/1/migrate', { to: to.id });
      for (let n = 0; n < 2 && m.status === 503; n++) {
        await new Promise((r) => setTimeout(r, 1000));
        m = await from.api('POST', '/api/v1/worlds/1/migrate', { to: to.id });
      }
      expect(m.status, m.text).toBe(200);
      await until(`${to.id} owns 1`, async () => (await ownersFrom(from))['1'] === to.id && (await ownersFrom(to))['1'] === to.id);
    };
    await move(owner, other);
    await move(other, owner);
    // One world `1`: the owner's. A second copy still referenced by something in flight (seen once in a stress run,
    // load ~25, not reproduced in 12 runs at load 19) is released within a few seconds; the leak this guards kept
    // it for the life of the process. So, as below: what three more snapshots, a second apart, all hold is kept.
    const dir = dirs[inst.indexOf(owner)] ?? '';
    let worlds = await worldObjects(owner.child, dir, '1');
    for (let n = 0; n < 3 && worlds.length !== 1; n++) {
      await new Promise((r) => setTimeout(r, 1000));
      worlds = await worldObjects(owner.child, dir, '1');
    }
    expect(worlds.length, JSON.stringify(worlds, null, 1)).toBe(1);
  });

  it('create, join, scrape, migrate, fail over, delete: no string of a deleted world id is retained', { timeout: 90_000 }, async () => {
    const [a, b] = inst;
    if (!a || !b) throw new Error('instances not started');
    const explain =
      (id: string) =>
      (err: Error): never => {
        const about = (i: TestInstance): unknown[] => i.lines.filter((l) => l.world === id || l.worldId === id).map((l) => l.msg);
        throw new Error(`${err.message}: a: ${JSON.stringify(about(a))}; b: ${JSON.stringify(about(b))}`);
      };
    const create = async (on: TestInstance, id: string): Promise<void> => {
      // A loaded instance may answer 503 (not durable in time; nothing kept): sent again, as a client would.
      const made = await createRetrying(on, '/api/v1/worlds?placement=local', { id, capacity: 10, npcs: 0 });
      expect(made.status, JSON.stringify(made)).toBe(201);
      const other = on === a ? b : a;
      await until(`${other.id} sees ${on.id} owning ${id}`, async () => (await ownersFrom(other))[id] === on.id).catch(explain(id));
    };
    const visit = async (on: TestInstance, id: string): Promise<WorldtickClient> => {
      const c = new WorldtickClient({ url: on.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      await c.join(id, `p-${id}`);
      for (const i of inst) expect((await i.api('GET', '/metrics')).status).toBe(200);
      return c;
    };
    const remove = async (via: TestInstance, id: string, c: WorldtickClient): Promise<void> => {
      const del = await via.api('DELETE', `/api/v1/worlds/${id}`);
      expect(del.json, del.text).toMatchObject({ deleted: id, durable: true });
      await c.closed();
    };

    // Created and deleted on its owner, or deleted through the other instance (forwarded).
    for (let n = 0; n < 4; n++) {
      const id = `${PREFIX}c${n}`;
      const owner = n % 2 === 0 ? a : b;
      await create(owner, id);
      const c = await visit(owner, id);
      await remove(n % 3 === 0 ? owner : n % 2 === 0 ? b : a, id, c);
    }
    // Migrated a → b, then deleted on b.
    for (let n = 0; n < 2; n++) {
      const id = `${PREFIX}m${n}`;
      await create(a, id);
      const c = await visit(a, id);
      // Operator state moves with the world (docs/CLUSTER.md "Operator state"): none of it stays on a.
      expect((await a.api('PUT', `/api/v1/worlds/${id}/maintenance`, { on: true, reason: 'leak test' })).status).toBe(200);
      expect((await a.api('PUT', `/api/v1/worlds/${id}/controller/override`, { mode: 'degraded', seconds: 3600 })).status).toBe(200);
      expect(
        (await a.api('POST', `/api/v1/worlds/${id}/periodic`, { name: 'nightly', intervalSeconds: 86_400, clock: 'wall' })).status,
      ).toBe(201);
      const m = await a.api('POST', `/api/v1/worlds/${id}/migrate`, { to: 'b' });
      expect(m.status, m.text).toBe(200);
      await remove(b, id, c);
    }
    // Lost by a to a failover: a stalls past its lease, b takes the world over; deleted on b.
    const f = `${PREFIX}f0`;
    await create(a, f);
    const c = await visit(a, f);
    a.child.kill('SIGSTOP');
    await until('b took f0 over', () =>
      b.lines.some((l) => l.msg === 'cluster: orphan world acquired; restoring it from the store' && l.world === f),
    )
      .finally(() => a.child.kill('SIGCONT'))
      .catch(explain(f));
    await until('both see b owning f0', async () => (await ownersFrom(a))[f] === 'b' && (await ownersFrom(b))[f] === 'b').catch(explain(f));
    await remove(b, f, c);

    // Every copy dropped, every lease gone: neither instance lists one of them any more.
    for (const i of inst) {
      let listed = '';
      await until(`${i.id} lists no deleted world`, async () => {
        const view = (await i.api('GET', '/api/v1/cluster')).json;
        listed = (await i.api('GET', '/api/v1/worlds')).text + JSON.stringify([view.leases, view.held, view.instances]);
        return !listed.includes(PREFIX);
      }).catch((err: Error) => {
        throw new Error(`${err.message}: ${listed}`);
      });
      expect((await i.api('GET', '/metrics')).text).not.toContain(PREFIX);
    }
    // The last holder of a world's lease is remembered 2 lease TTLs after the lease is gone (takeover lines
    // name it: ClusterView.previousOwner), then forgotten: waited out before the snapshots (TTL 2 s).
    await new Promise((r) => setTimeout(r, 2 * 2000 + 1500));
    // A world that moved stays named, for a while, in the instances' bounded records of moves and step
    // ranges (docs/CLUSTER.md): kept by those alone.
    const moved = new Set([`${PREFIX}m0`, `${PREFIX}m1`, f]);
    const bounded = (path: string): boolean => /WorldMover\.history|StepRangeLog\.#ranges/.test(path);
    // Node's global fetch() timings (URLs included: an admin request forwarded to the owner) are not
    // kept in cluster mode (cluster-setup.ts): no exception for them.
    const leakedIn = (held: HeldString[]): HeldString[] => held.filter((s) => !moved.has(s.value) || !s.paths.every(bounded));
    const snapshots = await Promise.all(inst.map((i, k) => retainedStrings(i.child, dirs[k] ?? '', PREFIX)));
    for (const [k, i] of inst.entries()) {
      let leaked = leakedIn(snapshots[k] ?? []);
      // A store query in flight at the snapshot may hold rows of a world listed before its delete (seen on a
      // loaded machine: a pool connect pending): what three more snapshots, a second apart, all still hold is
      // kept, not in flight. (A pg-pool query's promise holding its Result in all four was a leak for the
      // life of a pooled connection: test/integration/leaks/pg-read-results.test.ts, docs/DURABILITY.md.)
      for (let n = 0; n < 3 && leaked.length; n++) {
        await new Promise((r) => setTimeout(r, 1000));
        const again = new Set(leakedIn(await retainedStrings(i.child, dirs[k] ?? '', PREFIX)).map((s) => s.value));
        leaked = leaked.filter((s) => again.has(s.value));
      }
      expect({ instance: i.id, leaked }).toEqual({ instance: i.id, leaked: [] });
    }
  });
});
