/**
 * A failover whose load of the world meets a store outage that passes by itself (src/server/cluster-takeover.ts,
 * docs/ADMIN.md "Logs"): the error pg gives for a refused connection, mapped as the PostgreSQL store maps it
 * (`WT_ERR_STORE_UNAVAILABLE`, reason `connection`). Nothing is installed, the lease is given back, the
 * line is a warn saying a later control tick retries — until the world's takeovers have failed so for 30 s
 * (`STORE_OUTAGE_ERROR_MS`), then an error; once the store answers, the world is taken over. The real
 * cluster service, world mover and restore over the in-process coordinator and a real SQLite store; wall
 * time moved on by shifting `performance.now()`.
 */
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { STORE_OUTAGE_ERROR_MS } from '../../../src/persist/write-failure-log.js';
import { mapPgError } from '../../../src/store/postgres-tx.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { collectJsonLines } from '../../helpers/log-lines.js';
import { orphanTaker, storeOrphan } from '../../helpers/orphan-taker.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) d.remove();
});

/** What pg's client rejects with when nothing listens on the port, mapped by the PostgreSQL store. */
const refusedConnection = async (): Promise<unknown> => {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as { port: number };
  await new Promise((ok) => srv.close(ok));
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 2000 });
  const err = await client.connect().then(
    () => null,
    (e: unknown) => e,
  );
  await client.end().catch(() => undefined);
  return mapPgError(err);
};

describe('a failover meeting a passing store outage', () => {
  it('warns and gives the lease back while it lasts, errors after 30 s of failed takeovers, takes the world over once the store answers', async () => {
    const outage = await refusedConnection();
    expect(outage).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'connection' } });
    const data = tempDataDir('wt-takeover-outage-');
    dirs.push(data);
    const store = new SqliteStore({ dataDir: data.dir });
    await storeOrphan(store, 200, 20);
    const out = new PassThrough();
    const lines = collectJsonLines(out);
    const logger = createLogger('info', out);
    let down = true;
    const installed: string[] = [];
    const silent = createLogger('silent');
    const { c, runner } = orphanTaker({
      store,
      logger,
      load: (id) => (down ? Promise.reject(outage) : loadPersistedWorld(store, silent, id)),
      attach: (w) => installed.push(`attach ${w.id}`),
    });
    const realNow = performance.now.bind(performance);
    let shift = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => realNow() + shift);
    const failed = () => lines.filter((l) => String(l.msg).startsWith('cluster: world not taken over: the store is unavailable'));
    /** Control ticks until the takeover was tried `n` times in all (a tick may only see the orphan). */
    const tickUntilTried = async (n: number): Promise<void> => {
      for (let i = 0; i < 5 && failed().length < n; i++) await c.kick();
      expect(failed()).toHaveLength(n);
    };
    try {
      await tickUntilTried(1);
      expect(failed()[0]).toMatchObject({
        level: 40,
        world: 'w',
        why: 'failover',
        reason: 'unavailable',
        storeReason: 'connection',
        failingMs: 0,
        err: { code: 'WT_ERR_STORE_UNAVAILABLE' },
      });
      expect(await c.coordinator.getOwner('w')).toBeNull(); // the lease was given back
      expect(installed).toEqual([]);
      shift += STORE_OUTAGE_ERROR_MS - 10_000;
      await tickUntilTried(2);
      expect(failed()[1]).toMatchObject({ level: 40 });
      shift += 15_000; // 35 s since the first failure, no gap of 30 s between two
      await tickUntilTried(3);
      expect(failed()[2]).toMatchObject({ level: 50, storeReason: 'connection' });
      expect(Number(failed()[2]?.failingMs)).toBeGreaterThanOrEqual(STORE_OUTAGE_ERROR_MS);
      // The store answers again: the next tick takes the world over from its checkpoint.
      down = false;
      for (let i = 0; i < 5 && !runner.has('w'); i++) await c.kick();
      expect(installed).toEqual(['attach w']);
      expect((await c.coordinator.getOwner('w'))?.instanceId).toBe('c');
      expect(lines.filter((l) => l.msg === 'cluster: world taken over from its checkpoint')).toHaveLength(1);
      // Only the long outage's line was an error.
      expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([failed()[2]]);
    } finally {
      await c.stop();
      store.close();
    }
  });
});
