/**
 * A drain while one of the other instances runs with another admin token (a token rotation half
 * done, docs/ADMIN.md "Rotating the admin token"). That target fails the check before the handover
 * (src/server/peer-check.ts: nothing moved), and the drain asks the next instance placement picks, as
 * after a refusal; `tried` names it with reason `token-mismatch`. Before, the world was handed to it,
 * its adopt refused 401, and the world failed over. `a`'s view is kept stale (a lease TTL of 600 s: a
 * control tick every 200 s) so placement's order is known, as in drain-retry.test.ts. Three in-process
 * runtimes on a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeWorld } from '../../../src/cluster/placement.js';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster drain with a target of another token');

describe.skipIf(skip !== null)('cluster: a drain skips a target that runs with another admin token', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = ['--redis', redis.url, '--store', (pg as PgServer).url, '--lease-ttl', '600'];
    // b (another token) and c first: a's view, taken at its start, lists both.
    inst.push(await startRuntimeInstance('b', [...args, '--admin-token', 'rotated-admin-token-0123456789abcdef']));
    inst.push(await startRuntimeInstance('c', args));
    inst.push(await startRuntimeInstance('a', args));
    expect((await createWorld(inst[2], { id: 'dw', npcs: 30 }, '?placement=local')).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    for (const i of inst.slice().reverse()) await i.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('asks the next instance; the world never fails over', async () => {
    const [b, c, a] = inst as [RuntimeInstance, RuntimeInstance, RuntimeInstance];
    await until('a steps dw', () => a.runtime.cluster.serving().includes('dw'));
    const others = a.runtime.cluster.instances().filter((i) => i.id !== 'a');
    expect(others.map((i) => i.id).sort()).toEqual(['b', 'c']);
    const first = placeWorld(others)?.id;
    if (first === 'b') {
      // b first: skipped for its token, the world moves to c.
      const r = await a.api('POST', '/api/v1/cluster/drain');
      expect(r.status).toBe(200);
      expect(r.json.failed).toEqual([]);
      expect(r.json.moved).toEqual([
        expect.objectContaining({ worldId: 'dw', to: 'c', tried: [{ instance: 'b', reason: 'token-mismatch' }] }),
      ]);
      await until('c steps dw', () => c.runtime.cluster.serving().includes('dw'));
    } else {
      // c first: make it refuse (draining), then b is skipped for its token — failed, both named; dw steps on at a.
      expect((await c.api('POST', '/api/v1/cluster/drain')).json).toMatchObject({ draining: true });
      const r = await a.api('POST', '/api/v1/cluster/drain');
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ moved: [], remaining: ['dw'] });
      expect(r.json.failed).toEqual([
        expect.objectContaining({
          worldId: 'dw',
          tried: [
            { instance: 'c', reason: 'draining' },
            { instance: 'b', reason: 'token-mismatch' },
          ],
        }),
      ]);
      expect(String(r.json.failed[0].error)).toContain('refused by c (draining), b (token-mismatch)');
      expect(a.runtime.cluster.serving()).toEqual(['dw']);
    }
    expect(b.lines.filter((l) => l.world === 'dw' && String(l.msg).startsWith('cluster: world taken over'))).toEqual([]);
    expect(b.runtime.cluster.serving()).not.toContain('dw');
  });
});
