/**
 * The throwaway servers of the tests start on a port picked a moment earlier (bind port 0, read it,
 * close it); a parallel test file can take it in between. Here the port is taken for sure — a
 * listener of this test holds it, then another running server of the same kind — and each helper
 * must come up on another port instead of failing (docs of test/helpers/postgres-server.ts,
 * test/helpers/redis-server.ts). A PostgreSQL server stopped and started again keeps its port (its
 * clients know its URL): the port is one no bind to port 0 is given while it is down, and a start
 * that finds it held for a moment waits for it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { type PgServer, startPostgres } from '../../helpers/postgres-server.js';
import { answersPing, findRedisServer, type RedisTestServer, startRedisServer } from '../../helpers/redis-server.js';

const holdPort = (port = 0): Promise<{ server: Server; port: number }> =>
  new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });

const closeServer = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

// Side by side (each its own servers and ports; each uses its own `expect`, vitest's rule for concurrent
// tests): most of their time is waiting on pg_ctl and initdb, and one after the other they took ~9 s.
describe.concurrent('test helpers: a port taken between its pick and the bind', () => {
  it('startPostgres starts on another port and the server answers there', async ({ expect }) => {
    const held = await holdPort();
    cleanups.push(() => closeServer(held.server));
    const s = await startPostgres({ port: held.port });
    if ('skip' in s && /binaries not found|no `postgres` user/.test(s.skip)) return; // no PostgreSQL here
    expect(s).not.toHaveProperty('skip');
    const server = s as PgServer;
    cleanups.push(() => server.destroy());
    expect(server.port).not.toBe(held.port);
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.end();
    // A second server asked for the first one's port (TCP port and socket lock both taken) moves too.
    const second = await startPostgres({ port: server.port });
    expect(second).not.toHaveProperty('skip');
    cleanups.push(() => (second as PgServer).destroy());
    expect((second as PgServer).port).not.toBe(server.port);
  }, 60_000);

  it('a stopped PostgreSQL comes back on its own port, which no bind to port 0 is given meanwhile', async ({ expect }) => {
    const s = await startPostgres();
    if ('skip' in s && /binaries not found|no `postgres` user/.test(s.skip)) return; // no PostgreSQL here
    expect(s).not.toHaveProperty('skip');
    const server = s as PgServer;
    cleanups.push(() => server.destroy());
    const one = async (): Promise<unknown> => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        return (await c.query('SELECT 1 AS one')).rows;
      } finally {
        await c.end();
      }
    };
    // Below the kernel's ephemeral range: what a bind to port 0 (another test's free-port pick) or an
    // outgoing connection takes from.
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    expect(server.port).toBeLessThan(low);
    // Held by another process for a moment while the server is down: the start waits for it.
    await server.stop();
    const held = await holdPort(server.port);
    setTimeout(() => held.server.close(), 500);
    await server.start();
    expect(await one()).toEqual([{ one: 1 }]);
    // Held for good: the start fails, naming the port (after 2 attempts here, not the default 10 over ~3 s:
    // the same path; the 500 ms holder above is waited for with the default).
    await server.stop();
    const kept = await holdPort(server.port);
    cleanups.push(() => closeServer(kept.server));
    await expect(server.start({ attempts: 2 })).rejects.toThrow(`PostgreSQL did not start again on its port ${server.port}`);
    await closeServer(kept.server);
    await server.start();
    expect(await one()).toEqual([{ one: 1 }]);
  }, 60_000);

  it.skipIf(!findRedisServer())(
    'startRedisServer starts on another port, not fooled by another Redis holding it',
    async ({ expect }) => {
      const held = await holdPort();
      cleanups.push(() => closeServer(held.server));
      const first: RedisTestServer = await startRedisServer(undefined, { firstPort: held.port });
      cleanups.push(() => first.stop());
      expect(first.port).not.toBe(held.port);
      expect(await answersPing(first.port)).toBe(true);
      // The port is held by a Redis that answers PING: only the new server's own exit tells it failed.
      const second = await startRedisServer(undefined, { firstPort: first.port });
      cleanups.push(() => second.stop());
      expect(second.port).not.toBe(first.port);
      await first.stop();
      expect(await answersPing(second.port)).toBe(true);
    },
    30_000,
  );
});
