/**
 * A world whose stored record cannot be used (a damaged row: its capacity edited to -5, so its checkpoint
 * is refused and no world can be built from it) is declined once by the instance that meets it as an
 * orphan, listed as not started (`record-unusable`, at `failover`), and not tried again while the record
 * stays as it is. Before, every control tick took it over again: a new lease and fencing token, a restore
 * that failed, `cluster: world could not be taken over; lease released`, five times a second. Once the
 * record is mended (written again), the instance takes the world over from its checkpoint.
 * Two in-process runtimes in turn on a real redis-server and a real PostgreSQL (as declined-expiry.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { withPgClient } from '../../helpers/shared-postgres.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster unusable record');

/** Rewrite `worldId`'s stored record with its capacity `capacity`, stamped now (a changed record). */
const setCapacity = (url: string, worldId: string, capacity: number): Promise<void> =>
  withPgClient(url, async (c) => {
    const r = await c.query('SELECT config FROM world_configs WHERE world_id = $1', [worldId]);
    const rec = JSON.parse(r.rows[0].config);
    rec.capacity = capacity;
    await c.query('UPDATE world_configs SET config = $2, updated_at = $3 WHERE world_id = $1', [worldId, JSON.stringify(rec), Date.now()]);
  });

/** The store's fence of `worldId`: the highest token announced to it. */
const fenceOf = (url: string, worldId: string): Promise<number | null> =>
  withPgClient(url, async (c) => {
    const r = await c.query('SELECT token FROM fences WHERE world_id = $1', [worldId]);
    return r.rows.length ? Number(r.rows[0].token) : null;
  });

describe.skipIf(skip !== null)('cluster: a world whose stored record cannot be used', () => {
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

  it('is declined once and listed, not taken again each tick, and taken over once the record is mended', async () => {
    const url = (pg as PgServer).url;
    const a = await startRuntimeInstance('a', [...args, '--lease-ttl', '3']);
    inst.push(a);
    expect((await createWorld(a, { id: 'dw', npcs: 20 }, '?placement=local')).status).toBe(201);
    await a.stop(); // final checkpoint; the leases are released
    const capacity = await withPgClient(
      url,
      async (c) => JSON.parse((await c.query("SELECT config FROM world_configs WHERE world_id = 'dw'")).rows[0].config).capacity,
    );
    await setCapacity(url, 'dw', -5);

    const b = await startRuntimeInstance('b', [...args, '--lease-ttl', '0.6', '--standby-copies', '0']);
    inst.push(b);
    const c = b.runtime.cluster.counters;
    await until('b declined dw', () => b.runtime.cluster.notStarted.has('dw'));
    const token = await fenceOf(url, 'dw');
    expect((await b.api('GET', '/api/v1/worlds')).json.notStarted).toMatchObject([
      { worldId: 'dw', reason: 'record-unusable', at: 'failover', problem: expect.stringContaining('capacity'), owner: null },
    ]);
    expect((await b.api('GET', '/api/v1/worlds/dw')).json).toMatchObject({ code: 'WT_ERR_WORLD_RECORD_UNUSABLE' });
    // Many control ticks later: not tried again, still nobody's, one refusal in the log.
    const renewals = c.leaseRenewals;
    const failovers = c.failovers;
    await until('eight more control ticks on b', () => c.leaseRenewals >= renewals + 8);
    expect(c.failovers).toBe(failovers);
    expect(await b.runtime.cluster.coordinator.getOwner('dw')).toBeNull();
    expect(await fenceOf(url, 'dw')).toBe(token); // no token announced to the store since
    const declined = b.lines.filter(
      (l) =>
        l.msg === 'cluster: world not taken over: its stored record cannot be used (damaged); not tried again until the record changes',
    );
    expect(declined.map((l) => [l.world, l.why])).toEqual([['dw', 'failover']]);
    const released = b.lines.filter((l) => l.msg === 'cluster: world could not be taken over; lease released');
    expect(released.map((l) => l.world)).toEqual(['dw']); // the one decline's lease given back, not one per tick

    // The record mended (an operator's edit): a new stamp, the entry dropped, the world taken over from its checkpoint.
    await setCapacity(url, 'dw', capacity);
    await until('b took dw over', () => b.runtime.cluster.serving().includes('dw'));
    expect(b.lines.find((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.world === 'dw')).toMatchObject({
      why: 'failover',
    });
    expect((await b.api('GET', '/api/v1/worlds')).json.notStarted).toEqual([]);
  }, 60_000);
});
