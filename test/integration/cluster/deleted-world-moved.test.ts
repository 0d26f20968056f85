/**
 * A request forwarded to an instance that no longer owns the world (docs/CLUSTER.md "Deleting a world"):
 * an instance forwards a world's admin request to the owner its view names, and a view is up to one
 * control tick old — the world may have moved since (a failover, a migration, an orphan taken over
 * while the sender's view still names the old owner). The instance it lands on may host a copy of the
 * world that does not step (a standby copy, an old owner's copy). A write applied to that copy changes
 * the copy, not the world; a delete applied to it removed the copy and the world's stored record and
 * answered `{deleted, durable: true}` while the owner kept stepping the world and wrote its record again:
 * the deleted world came back (seen once in test/integration/leaks/deleted-world-heap-cluster.test.ts
 * run in two lanes: a world deleted through `a`, forwarded to `b` that had lost it to `a`, was
 * stepping again on `b` after a failover). Such a request is refused (503, retry) instead, as a write
 * to a world the instance cannot prove to own is when sent to it directly.
 *
 * `a` owns admin world `moved`; `b`, started after it was stored, restores it as a standby copy. A
 * DELETE marked as forwarded by `a` (what `a` sends with a view naming `b` the owner) reaches `b`.
 *
 * The same world moved on while a delete past that check waits (a write of the record in flight, a slow
 * store, the owner's process stalled past its lease TTL): another instance took the world over and
 * announced a higher fencing token, and writes the record under it. The delete, made under the deleting
 * owner's token, is refused by the store: answered `durable: false`, the record stays (it answered
 * `durable: true` and deleted the record the new owner then wrote again). The takeover is stood for by its
 * announce (`store.fence` with the next token) while `a`'s record delete is held at the store.
 *
 * Two in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TOKEN, until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster request forwarded to a copy');

describe.skipIf(skip !== null)('cluster: a world request forwarded to an instance holding only a copy', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    for (const i of inst.slice().reverse()) await i.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it("is refused there: the copy, the stored record and the owner's world stay", { timeout: 30_000 }, async () => {
    const args = ['--redis', (redis as RedisTestServer).url, '--store', (pg as PgServer).url, '--lease-ttl', '3', '--npcs', '0'];
    const a = await startRuntimeInstance('a', args);
    inst.push(a);
    await a.runtime.worlds.create({ id: 'moved', capacity: 100 }, { placement: 'local' });
    const b = await startRuntimeInstance('b', args);
    inst.push(b);
    expect(b.runtime.runner.has('moved')).toBe(true);
    await until('b sees a owning moved', () => b.runtime.cluster.ownerOf('moved')?.instanceId === 'a');

    const forwarded = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${b.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, 'content-type': 'application/json', 'x-worldtick-forwarded-by': 'a' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const del = await forwarded('DELETE', '/api/v1/worlds/moved');
    const text = await del.text();
    expect({ status: del.status, text }).toMatchObject({ status: 503 });
    expect(JSON.parse(text)).toMatchObject({ code: 'WT_ERR_CLUSTER_UNAVAILABLE' });
    // Nothing changed: b keeps its copy (not stepped), the record is there, a owns and steps the world.
    expect(b.runtime.runner.has('moved')).toBe(true);
    expect(b.runtime.cluster.serving()).not.toContain('moved');
    expect(await b.runtime.store.getWorldConfig('moved')).toBeDefined();
    expect(a.runtime.cluster.serving()).toContain('moved');
    expect(b.lines.some((l) => l.msg === 'world deleted' && l.world === 'moved')).toBe(false);
    // Other writes forwarded to the copy are refused too; reads are answered from it.
    expect((await forwarded('POST', '/api/v1/worlds/moved/scheduler/pause', {})).status).toBe(503);
    expect((await forwarded('GET', '/api/v1/worlds/moved')).status).toBe(200);
    expect((await b.api('GET', '/metrics')).text).toMatch(/^worldtick_cluster_admin_forwarded_refused_total 2$/m);
    expect(b.lines.filter((l) => l.msg === 'cluster: forwarded admin write refused: this instance does not own the world')).toHaveLength(2);

    // Deleted on its owner, it is gone everywhere (the copy dropped as docs/CLUSTER.md says).
    expect(await a.runtime.worlds.delete('moved')).toEqual({ deleted: 'moved', durable: true });
    await until('b dropped its copy of moved', () => !b.runtime.runner.has('moved'), 10_000);
    expect(await a.runtime.store.getWorldConfig('moved')).toBeUndefined();
  });

  it('a delete waiting while another instance takes the world over is refused by the store', { timeout: 30_000 }, async () => {
    const [a] = inst;
    if (!a) throw new Error('a not started');
    await a.runtime.worlds.create({ id: 'lapsed', capacity: 100 }, { placement: 'local' });
    const token = a.runtime.cluster.fence('lapsed')?.token;
    if (token === undefined) throw new Error('a holds no lease of lapsed');
    await until('a wrote the record of lapsed', async () => (await a.runtime.store.getWorldConfig('lapsed')) !== undefined);
    // a's record delete waits (held here) while the world is taken over elsewhere (its announce: the next token).
    const store = a.runtime.store;
    const original = store.deleteWorldConfig.bind(store);
    let reached!: () => void;
    const atDelete = new Promise<void>((r) => (reached = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    store.deleteWorldConfig = async (...args) => {
      if (args[0] === 'lapsed') {
        reached();
        await gate;
      }
      return original(...args);
    };
    try {
      const deleted = a.runtime.worlds.delete('lapsed');
      await atDelete;
      expect(await store.fence({ worldId: 'lapsed', token: token + 1 })).toBe(token + 1);
      await store.putWorldConfig('lapsed', { incarnation: 'taken-over' }, { fence: { worldId: 'lapsed', token: token + 1 } });
      open();
      expect(await deleted).toEqual({ deleted: 'lapsed', durable: false });
      await until('a gave up deleting the record of lapsed', () =>
        a.lines.some(
          (l) => l.msg === 'world record not deleted: another instance took the world over; it runs there' && l.world === 'lapsed',
        ),
      );
      expect((await store.getWorldConfig('lapsed'))?.config).toEqual({ incarnation: 'taken-over' });
    } finally {
      store.deleteWorldConfig = original;
    }
  });
});
