/**
 * A world an instance declined because a newer build wrote its checkpoint is not declined for ever
 * (docs/CLUSTER.md "Migration", src/server/not-started.ts): while the world's stored record stays as it
 * was, the instance does not try it again (one refusal, however many control ticks); once the record
 * changes — another build ran the world and wrote it, here: the checkpoint put back as a build that
 * reads it leaves it, and the record touched — the memory is dropped and the instance takes the world
 * over from the store. Two in-process runtimes in turn on a real redis-server and a real PostgreSQL,
 * `b`'s lease TTL 0.6 s (a control tick every 200 ms); `b` keeps no standby copy, so it meets the world as an orphan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { newerSchema } from '../../helpers/forge-checkpoint.js';
import { forgePgCheckpoint, restorePgCheckpoint } from '../../helpers/forge-pg-checkpoint.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster declined expiry');

describe.skipIf(skip !== null)('cluster: a world declined as written by a newer build', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  let args: string[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    args = ['--redis', redis.url, '--store', (pg as PgServer).url];
  }, 30_000);
  afterAll(async () => {
    for (const i of inst) await i.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('is not tried again while its record is unchanged, and is taken over once the record changed', async () => {
    const url = (pg as PgServer).url;
    // a runs alone before b (never beside it) and waits no lease out: 3 s, so that it keeps its lease and writes
    // xw's checkpoints. With 0.6 s a three-copy cluster run at load 25-31 left no checkpoint of xw: the lease lapsed
    // and was re-acquired (a busy-wait of 1 s before the stop reproduces the lapse: world 1's final checkpoint was
    // not written, xw kept only its creation checkpoint).
    const a = await startRuntimeInstance('a', [...args, '--lease-ttl', '3']);
    inst.push(a);
    expect((await createWorld(a, { id: 'xw', npcs: 20 }, '?placement=local')).status).toBe(201);
    await a.stop(); // final checkpoint; the leases are released
    const saved = await forgePgCheckpoint(url, 'xw', newerSchema, { schema: WORLD_SNAPSHOT_SCHEMA + 1 });

    const b = await startRuntimeInstance('b', [...args, '--lease-ttl', '0.6', '--standby-copies', '0']);
    inst.push(b);
    const c = b.runtime.cluster.counters;
    await until('b declined xw', () => c.checkpointTooNew === 1);
    const listed = (await b.api('GET', '/api/v1/worlds')).json;
    expect(listed.notStarted).toMatchObject([{ worldId: 'xw', reason: 'checkpoint-too-new', at: 'failover', owner: null }]);
    expect((await b.api('GET', '/api/v1/cluster')).json.notStarted).toMatchObject([{ worldId: 'xw', at: 'failover' }]);
    expect((await b.api('GET', '/metrics')).text).toMatch(/^worldtick_world_not_started\{world="xw",reason="checkpoint-too-new"\} 1$/m);
    // Many control ticks later (the default world's lease renewed each tick): not tried again, still nobody's.
    const renewals = c.leaseRenewals;
    await until('five more control ticks on b', () => c.leaseRenewals >= renewals + 5);
    expect(c.checkpointTooNew).toBe(1);
    expect(await b.runtime.cluster.coordinator.getOwner('xw')).toBeNull();

    // Another build ran the world: its checkpoint is one this build reads, its record was written.
    await restorePgCheckpoint(url, 'xw', saved);
    await until('b took xw over', () => b.runtime.cluster.serving().includes('xw'));
    expect(c.checkpointTooNew).toBe(1);
    expect(b.lines.find((l) => typeof l.msg === 'string' && l.msg.includes('has a new stored record'))).toMatchObject({ world: 'xw' });
    expect(b.lines.find((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.world === 'xw')).toMatchObject({
      why: 'failover',
    });
    expect((await b.api('GET', '/api/v1/worlds')).json.notStarted).toEqual([]);
    expect((await b.api('GET', '/metrics')).text).not.toMatch(/^worldtick_world_not_started\{/m);
  }, 60_000);
});
