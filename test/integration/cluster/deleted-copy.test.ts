/**
 * A copy of a deleted world on another instance is dropped (docs/CLUSTER.md "Deleting a world"):
 * `a` owns admin world `gone`; `b`, started after it was stored, restores it as a standby copy
 * (`--standby-copies -1`, the default). The world is deleted on `a`, which gives its lease back
 * once the record is gone. `b` must then neither take the free lease and step its copy ("no stored
 * record; continuing from the local copy") nor keep the copy for good: at its next control tick it
 * drops it — gone from its runner, `/api/v1/worlds`, `/api/v1/cluster` and `/metrics`, never
 * stepped there. Two in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster deleted copy');

describe.skipIf(skip !== null)('cluster: a standby copy of a world deleted elsewhere', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  afterAll(async () => {
    for (const i of inst.slice().reverse()) await i.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);

  it('is dropped once the record is gone, never stepped', { timeout: 40_000 }, async () => {
    const args = ['--redis', (redis as RedisTestServer).url, '--store', (pg as PgServer).url, '--lease-ttl', '1', '--npcs', '0'];
    const a = await startRuntimeInstance('a', args);
    inst.push(a);
    await a.runtime.worlds.create({ id: 'gone', capacity: 100 }, { placement: 'local' });
    const b = await startRuntimeInstance('b', args);
    inst.push(b);
    // b restored it at start as a standby copy: hosted, owned by a, not stepped.
    expect(b.runtime.runner.has('gone')).toBe(true);
    await until('b sees a owning gone', () => b.runtime.cluster.ownerOf('gone')?.instanceId === 'a');
    expect(b.runtime.cluster.serving()).not.toContain('gone');

    expect(await a.runtime.worlds.delete('gone')).toEqual({ deleted: 'gone', durable: true });
    expect(await a.runtime.store.getWorldConfig('gone')).toBeUndefined();
    await until('b dropped its copy of gone', () => !b.runtime.runner.has('gone'), 10_000).catch((err: Error) => {
      const lines = b.lines.filter((l) => JSON.stringify(l).includes('"gone"')).map((l) => l.msg);
      throw new Error(`${err.message}: b stepping it: ${b.runtime.cluster.serving().includes('gone')}; b's lines: ${JSON.stringify(lines)}`);
    });
    // Never stepped on b, nobody holds its lease, no record came back; gone from b's admin views.
    expect(b.runtime.cluster.stepRanges().filter((r) => r.worldId === 'gone')).toEqual([]);
    expect(b.runtime.cluster.serving()).not.toContain('gone');
    expect(b.runtime.cluster.coordinator.heldLease('gone')).toBeNull();
    expect(await b.runtime.store.getWorldConfig('gone')).toBeUndefined();
    const list = await b.api('GET', '/api/v1/worlds');
    expect(JSON.stringify(list.json)).not.toContain('"gone"');
    const view = await b.api('GET', '/api/v1/cluster');
    expect(JSON.stringify(view.json)).not.toContain('"gone"');
    const metrics = await b.api('GET', '/metrics');
    expect(metrics.text).not.toContain('world="gone"');
    expect(b.lines.some((l) => l.msg === 'cluster: copy of a world whose stored record is gone dropped' && l.world === 'gone')).toBe(true);
  });
});
