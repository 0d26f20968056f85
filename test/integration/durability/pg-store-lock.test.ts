/**
 * One single-instance server per PostgreSQL database (src/server/pg-store-lock.ts, docs/DURABILITY.md
 * "One server per data directory"). Before the lock a second server without `--redis` on a running
 * one's database started: both restored and stepped every stored world and both wrote its records
 * and checkpoints. Cluster mode (`--redis`) shares one database by design: its instances take the lock
 * shared, so they start beside each other, and the two kinds on one database refuse each other
 * (before, a cluster instance took no lock and neither kind saw the other).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { verifyOffline } from '../../../src/cli/verify.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { STORE_LOCK_KEY } from '../../../src/server/pg-store-lock.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { startRuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { fileRedis } from '../../helpers/coordinator-kit.js';
import { killHard, startGameProcess, waitFor } from '../../helpers/game-process.js';
import { collectJsonLines, jsonLogSink } from '../../helpers/log-lines.js';
import { fileDatabase, freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'pg-lock-test-token-0123456789abcdef';
const { skip, db } = await fileDatabase();
if (skip) console.warn(`SKIP pg-store-lock: ${skip}`);
const redis = fileRedis('pg-store-lock (cluster mode)');

const serverArgs = (url: string): string[] => [
  ...['--store', url, '--port', '0', '--admin-port', '0', '--npcs', '20'],
  ...['--stats-interval', '0', '--checkpoint-interval', '0'],
];

/**
 * `npm start`'s program on `url`, run to its exit. Should it start instead (no lock), it is stopped
 * with SIGTERM once ready (its final checkpoint is written), so the test fails on what it wrote.
 */
const runToExit = async (url: string): Promise<{ code: number | null; lines: Array<Record<string, any>>; err: string }> => {
  const child = spawn(process.execPath, [...(await childNodeArgs('src/cli/main.ts')), ...serverArgs(url)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN },
  });
  const lines = collectJsonLines(child.stdout) as Array<Record<string, any>>;
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = once(child, 'close') as Promise<[number | null]>;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  void waitFor(() => (!running() ? false : lines.some((l) => l.msg === 'server ready') ? true : undefined), 60_000).then(
    (ready) => ready && child.kill('SIGTERM'),
    () => undefined,
  );
  const [code] = await exited;
  return { code, lines, err };
};

/**
 * What a second server would write: checkpoints, fences, world records (their ids and incarnations: the
 * first server itself rewrites its records' clocks as it runs).
 */
const snapshot = (url: string): Promise<string> =>
  withPgClient(url, async (c) => {
    const r = await c.query(
      `SELECT (SELECT json_agg(x ORDER BY id) FROM (SELECT id, world_id, step, fencing_token FROM checkpoints) x) AS checkpoints,
              (SELECT json_agg(f ORDER BY world_id) FROM fences f) AS fences,
              (SELECT json_agg(json_build_array(world_id, config::json->>'incarnation') ORDER BY world_id) FROM world_configs) AS records`,
    );
    return JSON.stringify(r.rows[0]);
  });

/** The default world's first checkpoint and its record are both in `snapshot`'s text (each is its own write). */
const settled = (s: string): boolean => s.includes('"checkpoints":[{') && s.includes('"records":[[');

/** Sessions holding the store lock (`mode`: ExclusiveLock for a single instance, ShareLock for a cluster instance). */
const lockHolders = (url: string, mode = '%'): Promise<number[]> =>
  withPgClient(url, async (c) => {
    const r = await c.query(
      `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
          AND ((l.classid::bigint << 32) | l.objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint) AND l.mode LIKE $2`,
      [STORE_LOCK_KEY, mode],
    );
    return r.rows.map((x: { pid: number }) => x.pid);
  });

describe.skipIf(skip !== null)('one single-instance server per PostgreSQL database', () => {
  it('a second server without --redis is refused WT_ERR_STORE_IN_USE (exit 2, nothing written); after a SIGKILL of the first a new one starts', async () => {
    const url = db?.url ?? '';
    const first = await startGameProcess({ main: 'src/cli/main.ts', args: serverArgs(url), dataDir: '/nonexistent-unused', token: TOKEN });
    try {
      // The creation checkpoint of the default world (no periodic ones) is what the first server wrote.
      await waitFor(async () => (settled(await snapshot(url)) ? true : undefined));
      const before = await snapshot(url);
      const second = await runToExit(url);
      expect(second.code).toBe(2);
      const fatal = second.lines.find((l) => l.level === 60);
      expect(fatal?.code).toBe('WT_ERR_STORE_IN_USE');
      const where = new URL(url);
      expect(fatal?.msg).toContain(`${where.hostname}:${where.port}${where.pathname}`);
      expect(fatal?.msg).toContain('stop that server first, or run every server of this database with --redis');
      expect(await snapshot(url)).toBe(before);
      // The offline check opens the store, not the lock: it runs beside the server.
      expect((await verifyOffline('', url)).ok).toBe(true);
    } finally {
      await killHard(first);
    }
    // PostgreSQL drops a killed holder's lock with its connection: a new server starts.
    const third = createRuntime(parseOptions([...serverArgs(url), '--admin-token', TOKEN], {}), jsonLogSink().logger);
    await third.start();
    await third.stop();
  }, 60_000);

  it('the lock connection lost while running: taken again on reconnect; another holder in between is logged at error', async () => {
    const url = db?.url ?? '';
    const { lines, logger } = jsonLogSink('info');
    const r = createRuntime(parseOptions([...serverArgs(url), '--admin-token', TOKEN], {}), logger);
    await r.start();
    const other = new pg.Client({ connectionString: url });
    other.on('error', () => undefined);
    await other.connect();
    try {
      const [held] = await lockHolders(url);
      expect(held).toBeDefined();
      // Cut the lock's connection, and take the lock from another session before the server retakes it.
      await other.query('SELECT pg_terminate_backend($1)', [held]);
      await waitFor(async () =>
        (await other.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [STORE_LOCK_KEY])).rows[0].ok ? true : undefined,
      );
      await waitFor(() => lines.find((l) => l.level >= 50 && l.msg.includes('another server holds')), 15_000);
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [STORE_LOCK_KEY]);
      await waitFor(() => lines.find((l) => l.msg.includes('taken again')), 15_000);
      const [again] = await lockHolders(url);
      expect(again).toBeDefined();
      expect(again).not.toBe(held);
    } finally {
      await other.end();
      await r.stop();
    }
    // Stopped, the server released the lock.
    expect(await lockHolders(url)).toEqual([]);
  }, 60_000);

  it.skipIf(!redis.bin)(
    'with --redis two instances on one database both start (the lock shared)',
    async () => {
      const fresh = await freshDatabase();
      if ('skip' in fresh) return;
      const rurl = redis.server().url;
      const a = await startRuntimeInstance('a', ['--redis', rurl, '--store', fresh.url]);
      try {
        const b = await startRuntimeInstance('b', ['--redis', rurl, '--store', fresh.url]);
        expect(await lockHolders(fresh.url, 'ShareLock')).toHaveLength(2);
        await b.stop();
        expect(await lockHolders(fresh.url, 'ShareLock')).toHaveLength(1);
      } finally {
        await a.stop();
      }
      expect(await lockHolders(fresh.url)).toEqual([]);
      await fresh.destroy();
    },
    60_000,
  );

  it.skipIf(!redis.bin)(
    'a server without --redis is refused while a cluster instance runs on the database (exit 2, nothing written)',
    async () => {
      const fresh = await freshDatabase();
      if ('skip' in fresh) return;
      const a = await startRuntimeInstance('a', ['--redis', redis.server().url, '--store', fresh.url, '--checkpoint-interval', '0']);
      try {
        // The first checkpoint of the default world, once its lease is granted (no periodic ones after it), and
        // its record (written apart from the checkpoint: fresh-clone CI A3 took `before` between the two).
        await waitFor(async () => (settled(await snapshot(fresh.url)) ? true : undefined));
        const before = await snapshot(fresh.url);
        const single = await runToExit(fresh.url);
        expect(single.code).toBe(2);
        const fatal = single.lines.find((l) => l.level === 60);
        expect(fatal?.code).toBe('WT_ERR_STORE_IN_USE');
        expect(fatal?.details).toMatchObject({ heldBy: 'cluster' });
        expect(fatal?.msg).toContain('in use by 1 worldtick cluster instance(s) (--redis');
        expect(fatal?.msg).toContain('start this server with --redis as an instance of that cluster, or stop every instance first');
        expect(await snapshot(fresh.url)).toBe(before);
      } finally {
        await a.stop();
      }
      await fresh.destroy();
    },
    60_000,
  );

  it.skipIf(!redis.bin)(
    'a cluster instance is refused while a server without --redis runs on the database (nothing written)',
    async () => {
      const fresh = await freshDatabase();
      if ('skip' in fresh) return;
      const single = createRuntime(parseOptions([...serverArgs(fresh.url), '--admin-token', TOKEN], {}), jsonLogSink().logger);
      await single.start();
      try {
        const before = await snapshot(fresh.url);
        const err = await startRuntimeInstance('c', ['--redis', redis.server().url, '--store', fresh.url]).then(
          async (c) => {
            await c.stop();
            return null;
          },
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'WT_ERR_STORE_IN_USE', details: { heldBy: 'single-instance' } });
        expect((err as Error).message).toContain('in use by a worldtick server without --redis (a single instance holds the store lock)');
        expect((err as Error).message).toContain('stop that server first, or restart it with --redis as an instance of this cluster');
        expect(await snapshot(fresh.url)).toBe(before);
        expect(await lockHolders(fresh.url, 'ExclusiveLock')).toHaveLength(1);
      } finally {
        await single.stop();
      }
      await fresh.destroy();
    },
    60_000,
  );

  it.skipIf(!redis.bin)(
    "a cluster instance's shared lock lost with its connection: taken again; a server without --redis holding it meanwhile is logged at error",
    async () => {
      const fresh = await freshDatabase();
      if ('skip' in fresh) return;
      const a = await startRuntimeInstance('a', ['--redis', redis.server().url, '--store', fresh.url]);
      const msgs = (): string[] => a.lines.map((l) => String(l.msg));
      const other = new pg.Client({ connectionString: fresh.url });
      other.on('error', () => undefined);
      await other.connect();
      try {
        const [held] = await lockHolders(fresh.url, 'ShareLock');
        expect(held).toBeDefined();
        await other.query('SELECT pg_terminate_backend($1)', [held]);
        await waitFor(async () =>
          (await other.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [STORE_LOCK_KEY])).rows[0].ok ? true : undefined,
        );
        await waitFor(() => (msgs().some((m) => m.includes('a server without --redis holds it now')) ? true : undefined), 15_000);
        await other.query('SELECT pg_advisory_unlock($1::bigint)', [STORE_LOCK_KEY]);
        await waitFor(() => (msgs().some((m) => m.includes('(shared, cluster instance) taken again')) ? true : undefined), 15_000);
        expect(await lockHolders(fresh.url, 'ShareLock')).toHaveLength(1);
      } finally {
        await other.end();
        await a.stop();
      }
      await fresh.destroy();
    },
    60_000,
  );
});
