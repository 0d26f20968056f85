/**
 * Draining an instance before a planned stop (docs/CLUSTER.md "Draining an instance"): two
 * instances on a real redis-server and a real PostgreSQL. `POST /api/v1/cluster/drain` on `a`
 * migrates every world it steps to `b` (state preserved, as any migration), announces capacity 0
 * (no placement, no explicit migration target, no balance round, no orphan or standby taken) and
 * turns a's `/readyz` to 503; `DELETE` ends it — also while a drain is moving worlds (the rest stay).
 * After the drain a's SIGTERM moves nothing.
 */
import { describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoInstancesOwning } from '../../helpers/shared-cluster.js';
import { ownersFrom, until } from '../../helpers/cluster-instances.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster drain');

describe.skipIf(skip !== null)('cluster: draining an instance', () => {
  const { inst } = twoInstancesOwning(sharedPg as PgServer, { worldId: 'dw', worldNpcs: 50, args: ['--npcs', '100', '--lease-ttl', '3'] });

  it('moves every world away, keeps new ones away, and can be ended', async () => {
    const [a, b] = inst;
    expect(await ownersFrom(b)).toMatchObject({ '1': 'a', dw: 'a' });
    const stepBefore = (await a.api('GET', '/api/v1/worlds/dw')).json.step as number;

    const r = await a.api('POST', '/api/v1/cluster/drain');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ instance: 'a', draining: true, failed: [], remaining: [] });
    expect((r.json.moved as Array<{ worldId: string; to: string }>).map((m) => `${m.worldId}>${m.to}`).sort()).toEqual(['1>b', 'dw>b']);
    await until('the log says the drain is done', () => a.lines.some((l) => l.msg === 'cluster: drained; safe to stop'), 5000);
    await until('b owns both worlds in both views', async () => {
      const [oa, ob] = [await ownersFrom(a), await ownersFrom(b)];
      return oa['1'] === 'b' && oa.dw === 'b' && ob['1'] === 'b' && ob.dw === 'b';
    });
    expect((await b.api('GET', '/api/v1/worlds/dw')).json.step).toBeGreaterThanOrEqual(stepBefore); // state kept
    const ready = await fetch(`${a.adminUrl}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { ready: false, reason: 'draining' } });
    expect((await a.api('GET', '/api/v1/cluster/drain')).json).toEqual({ instance: 'a', draining: true, worlds: [] });

    // Others see capacity 0: a placed create lands on b even when sent to a; an explicit move to a is refused.
    await until("b sees a's capacity 0", async () => {
      const v = (await b.api('GET', '/api/v1/cluster')).json;
      return v.instances.find((i: { id: string }) => i.id === 'a')?.capacity === 0;
    });
    await until('a sees its own capacity 0', async () => {
      const v = (await a.api('GET', '/api/v1/cluster')).json;
      return v.draining === true && v.instances.find((i: { id: string }) => i.id === 'a')?.capacity === 0;
    });
    const created = await a.api('POST', '/api/v1/worlds', { id: 'new1', npcs: 10 });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-worldtick-owner')).toBe('b');
    const refused = await b.api('POST', '/api/v1/worlds/dw/migrate', { to: 'a' });
    expect(refused.status).toBe(409);
    expect(refused.json.message).toMatch(/takes no worlds \(draining\)/);
    // Two control ticks (TTL/3 each) later a still steps nothing (no standby copy or orphan taken).
    await new Promise((res) => setTimeout(res, 2200));
    expect((await a.api('GET', '/api/v1/cluster/drain')).json.worlds).toEqual([]);

    // Ending it: ready again, capacity announced again.
    const end = await a.api('DELETE', '/api/v1/cluster/drain');
    expect(end.status).toBe(200);
    expect(end.json).toMatchObject({ draining: false });
    expect((await fetch(`${a.adminUrl}/readyz`)).status).toBe(200);
    await until("b sees a's capacity again", async () => {
      const v = (await b.api('GET', '/api/v1/cluster')).json;
      return (v.instances.find((i: { id: string }) => i.id === 'a')?.capacity ?? 0) > 0;
    });

    // A drain ended while its worlds move stops moving them: the world in flight finishes, the rest stay.
    for (const w of ['1', 'dw']) expect((await b.api('POST', `/api/v1/worlds/${w}/migrate`, { to: 'a' })).status).toBe(200);
    await until(
      'a steps both worlds again',
      async () => ((await a.api('GET', '/api/v1/cluster/drain')).json.worlds as string[]).length === 2,
    );
    const mark = a.lines.length;
    const drain = a.api('POST', '/api/v1/cluster/drain');
    await until('the second drain started', () => a.lines.slice(mark).some((l) => l.msg === 'cluster: draining'), 10_000, 5);
    expect((await a.api('DELETE', '/api/v1/cluster/drain')).json).toMatchObject({ draining: false });
    const cut = await drain;
    expect(cut.json).toMatchObject({ instance: 'a', draining: false, failed: [] });
    expect(cut.json.moved).toHaveLength(1);
    expect(cut.json.remaining).toHaveLength(1);
    await until('the log says the drain ended early', () =>
      a.lines.slice(mark).some((l) => l.msg === 'cluster: drain ended before every world moved'),
    );
    await a.stop();
    expect(a.child.exitCode).toBe(0);
    expect((await ownersFrom(b)).new1).toBe('b');
  }, 120_000);
});
