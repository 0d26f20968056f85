/**
 * A start whose first connects to PostgreSQL are not answered in time (src/store/postgres-connect-retry.ts,
 * docs/DURABILITY.md "One server per data directory"): PostgreSQL slow to accept on a busy host. Before,
 * one connect timing out after 1 s ended the start (exit 2, `did not answer at start`; seen in a stress
 * run of the suite, two instances on a loaded machine). Now a connect that times out is tried again, up
 * to 3 in all — the store lock's (each retry logged) and the store's open — and a server that never
 * answers still fails, after the third. A TCP proxy holds the first connection whose startup packet
 * names the lock's application, or the database.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { lockPostgresStore, STORE_LOCK_APPLICATION } from '../../../src/server/pg-store-lock.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, db } = await fileDatabase();
if (skip) console.warn(`SKIP pg-connect-retry: ${skip}`);

const RETRY_LINE = 'single-instance lock of the PostgreSQL store: PostgreSQL did not answer the connect in time; trying again';

/** `url` with its port replaced (the same server through the proxy). */
const viaPort = (url: string, port: number): string => {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
};

describe.skipIf(skip !== null)('PostgreSQL: a connect not answered in time at start', () => {
  const proxies: TcpProxy[] = [];
  let silent: Server | null = null;
  const silentSockets: Socket[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
    for (const s of silentSockets) s.destroy();
    await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
  });

  it('is tried again: the lock is taken over the second connect, and held', async () => {
    const url = db!.url;
    const proxy = await startTcpProxy(Number(new URL(url).port));
    proxies.push(proxy);
    const held = proxy.stallOn(STORE_LOCK_APPLICATION);
    const { lines, logger } = jsonLogSink('warn');
    const lock = await lockPostgresStore(viaPort(url, proxy.port), logger);
    try {
      (await held).cut();
      expect(lines.filter((l) => l.msg === RETRY_LINE).map((l) => [l.attempt, l.attempts, l.timeoutMs])).toEqual([[1, 3, 1000]]);
      // Held: the session of this database's lock is listed as granted.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const r = await c.query(
          "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1 AND a.datname = current_database()",
          [STORE_LOCK_APPLICATION],
        );
        expect(r.rows[0].n).toBe(1);
      } finally {
        await c.end();
      }
    } finally {
      await lock.release();
    }
  });

  it("the store's open is tried again too: it opens over the second connect", async () => {
    const url = db!.url;
    const proxy = await startTcpProxy(Number(new URL(url).port));
    proxies.push(proxy);
    const held = proxy.stallOn(new URL(url).pathname.slice(1)); // the startup packet names the database
    const store = await PostgresStore.open({ url: viaPort(url, proxy.port) });
    try {
      (await held).cut();
      expect(store.migration.to).toBeGreaterThan(0);
      await store.putWorldConfig('retry-w', { ok: true });
      expect((await store.getWorldConfig('retry-w'))?.config).toEqual({ ok: true });
    } finally {
      await store.close();
    }
  });

  it('a server that accepts and never answers fails after the third connect, each retry logged', async () => {
    silent = createServer((s) => void silentSockets.push(s)); // takes the TCP connection, never says a word
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const { lines, logger } = jsonLogSink('warn');
    const err = await lockPostgresStore(`postgres://wt:pw@127.0.0.1:${port}/game`, logger).then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(err?.code).toBe('WT_ERR_STORE_UNAVAILABLE');
    expect(err?.message).toContain('cannot connect for the single-instance lock (timeout expired)');
    expect(lines.filter((l) => l.msg === RETRY_LINE).map((l) => l.attempt)).toEqual([1, 2]);
  });
});
