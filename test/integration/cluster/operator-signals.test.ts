/**
 * What an operator sees during day-2 jobs on a cluster (found walking docs/CLUSTER.md by hand with three
 * instances): a drained instance shows in its metrics (`worldtick_cluster_draining`), not only in
 * `/readyz`; an instance that leaves is logged by the others; a migration whose `to` names the world's owner itself says so (it was `404 no live instance
 * b (other than this one)` for a live `b`), and one to an unknown instance lists the live ones. Two
 * in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { ownersFrom, until } from '../../helpers/cluster-instances.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster operator signals');

const gaugeOf = (text: string, name: string): string | undefined =>
  text
    .split('\n')
    .find((l) => l.startsWith(`${name} `))
    ?.slice(name.length + 1);

describe.skipIf(skip !== null)('cluster: operator signals', () => {
  const { inst } = twoRuntimesOwning(sharedPg as PgServer, { worldId: 'ow', worldNpcs: 20, args: ['--npcs', '20'] });

  it('a migration to the owner itself or to an unknown instance says what is wrong', async () => {
    const [a, b] = inst;
    const self = await b.api('POST', '/api/v1/worlds/ow/migrate', { to: 'a' }); // forwarded to a, the owner
    expect(self.status).toBe(409);
    expect(self.json.message).toMatch(/world ow is already on a .*nothing to move/);
    const unknown = await a.api('POST', '/api/v1/worlds/ow/migrate', { to: 'zz' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toBe('no live instance zz; live instances other than the owner a: b');
    expect((await b.api('GET', '/api/v1/worlds/ow')).headers.get('x-worldtick-owner')).toBe('a'); // nothing moved
  });

  it('worldtick_cluster_draining follows the drain', async () => {
    const [a, b] = inst;
    const metrics = async (): Promise<string> => (await a.api('GET', '/metrics')).text;
    expect(gaugeOf(await metrics(), 'worldtick_cluster_draining')).toBe('0');
    expect((await a.api('POST', '/api/v1/cluster/drain')).status).toBe(200);
    expect(gaugeOf(await metrics(), 'worldtick_cluster_draining')).toBe('1');
    expect(gaugeOf((await b.api('GET', '/metrics')).text, 'worldtick_cluster_draining')).toBe('0');
    expect((await a.api('DELETE', '/api/v1/cluster/drain')).status).toBe(200);
    expect(gaugeOf(await metrics(), 'worldtick_cluster_draining')).toBe('0');
  });

  it('an instance that leaves is logged by the others, with the worlds it held', async () => {
    const [a, b] = inst;
    await until('a sees b own ow (the drain above moved it)', async () => (await ownersFrom(a)).ow === 'b');
    await b.stop(); // deregisters; the file's last test
    await until(
      'a logs that b left',
      () => a.lines.some((l) => l.msg === 'cluster: instance left (stopped, or its heartbeat expired)'),
      15_000,
    );
    const left = a.lines.find((l) => l.msg === 'cluster: instance left (stopped, or its heartbeat expired)');
    expect(left).toMatchObject({ peer: 'b', instance: 'a' });
    expect(left?.worlds).toContain('ow');
  });
});
