/**
 * Log levels during cluster moves (docs/ADMIN.md, "Logs"): operators page on level >= 50 (error).
 * Two instances on a real redis-server and a real PostgreSQL (a a child process, so it can be
 * killed; b in process), players buying arrows on the world that moves: migrations back and forth,
 * a drain, a short store outage on the owner (its PostgreSQL link cut for 1.5 s), then a SIGKILL of the
 * owner and a failover. Every one of these is ordinary cluster operation, so
 * no instance logs a line at error or fatal; the outage's failed writes (retried) are logged at warn,
 * with their reason. (A write refused as fenced, the world having moved, is a warn too:
 * test/unit/persist/checkpointer-fence.test.ts.)
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import { createWorld, ownersFrom, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { startPlayer, type TestPlayer } from '../../helpers/cluster-players.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster move log levels');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const atError = (lines: ReadonlyArray<Record<string, unknown>>) =>
  lines.filter((l) => typeof l.level === 'number' && l.level >= 50).map((l) => JSON.stringify(l).slice(0, 600));

describe.skipIf(skip !== null)('cluster: moves and a failover log nothing at error', () => {
  const pg = sharedPg as PgServer;
  let redis: RedisTestServer | undefined;
  let proxy: TcpProxy | undefined;
  let a: TestInstance;
  let b: RuntimeInstance;

  beforeAll(async () => {
    redis = await startRedisServer();
    // Checkpoints every second: writes in flight at every move. Leases of 3 s (the failover at the end
    // waits one out): with 2 s a stall of a of 1.9-2.3 s (SIGSTOP, as at load 22-25) lapsed its lease,
    // so a player's hello was refused NOT_OWNER or b took g1 over and the migration to b answered 409.
    const args = [...sharedStoreArgs(redis, pg), '--npcs', '20', '--lease-ttl', '3', '--checkpoint-interval', '1'];
    // a reaches PostgreSQL through a proxy the test holds or cuts.
    proxy = await startTcpProxy(pg.port);
    const viaProxy = pg.url.replace(`:${pg.port}/`, `:${proxy.port}/`);
    a = await startInstance(
      'a',
      args.map((x) => (x === pg.url ? viaProxy : x)),
    );
    b = await startRuntimeInstance('b', args);
    const created = await createWorld(a, { id: 'g1', npcs: 100 }, '?placement=local');
    expect(created.status, created.text).toBe(201);
    await until('both instances see each other and a owns g1', async () => {
      for (const i of [a, b]) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return (await ownersFrom(b)).g1 === 'a';
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await proxy?.close();
    await pg.destroy();
  }, 30_000);

  it('migrations and a SIGKILL failover under purchases: no line at level >= 50; the outage at warn', async () => {
    const urls = [a.gameUrl, b.gameUrl];
    const players: TestPlayer[] = [];
    for (let i = 0; i < 4; i++) players.push(await startPlayer('g1', `l${i}`, [urls[i % 2], ...urls], 20));
    const acked = () => players.reduce((n, p) => n + p.log.acked.size, 0);
    await until('purchases flowing', () => acked() >= 10);
    for (const to of ['b', 'a', 'b']) {
      const m = await a.api('POST', '/api/v1/worlds/g1/migrate', { to });
      expect(m.status, JSON.stringify(m.json)).toBe(200);
      const mark = acked();
      await until(`purchases flowing on ${to}`, () => acked() >= mark + 5);
    }
    // A drain of b moves g1 back to a; b takes worlds again after.
    const drained = await b.api('POST', '/api/v1/cluster/drain');
    expect(drained.json, JSON.stringify(drained.json)).toMatchObject({ draining: true, failed: [] });
    expect((await b.api('DELETE', '/api/v1/cluster/drain')).status).toBe(200);
    await until('a owns g1 after the drain', async () => (await ownersFrom(b)).g1 === 'a');
    const p = proxy as TcpProxy;
    // A short store outage on the owner a (a PostgreSQL restart): its writes fail for a moment.
    let mark = acked();
    p.sever();
    await sleep(1500);
    p.heal();
    await until('purchases flowing after the outage', () => acked() >= mark + 5);
    // A SIGKILL of the owner a: b takes the worlds over from their last checkpoint.
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    await until('b owns g1 again', async () => (await ownersFrom(b)).g1 === 'b');
    mark = acked();
    await until('purchases flowing after the failover', () => acked() >= mark + 5);
    await Promise.all(players.map((p) => p.stop()));
    for (const p of players) expect(p.log.rejected.size, `${p.log.name}: ${[...p.log.rejected.values()]}`).toBe(0);
    expect([...atError(a.lines), ...atError(b.lines)]).toEqual([]);
    // The outage is in a's log, at warn, with its reason: writes retried, not lost.
    const failed = a.lines.filter((l) => l.msg === 'world record write failed' || l.msg === 'checkpoint failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const l of failed) expect(l).toMatchObject({ level: 40, reason: 'unavailable', err: { code: 'WT_ERR_STORE_UNAVAILABLE' } });
  }, 60_000);
});
