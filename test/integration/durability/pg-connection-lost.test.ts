/**
 * A PostgreSQL connection lost in the middle of a write transaction (found by the crash campaign,
 * bench/crash-campaign.ts, window `pg-crash`: the server process died with an unhandled pg
 * 'error' event whenever PostgreSQL went down during a commit). A real store in a child process
 * (test/helpers/pg-write-child.ts) commits a fenced ledger entry that waits on a row lock the
 * test holds; then the test kills the backend serving it (`pg_terminate_backend`) or the whole
 * server (SIGKILL of the postmaster). The write must be refused retryably
 * (WT_ERR_STORE_UNAVAILABLE), the process must live on, nothing half-written may appear, and the
 * next write must commit once the server is back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childNodeArgs } from '../../helpers/child-node.js';
import { startPostgres } from '../../helpers/postgres-server.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const server = await startPostgres();
if ('skip' in server) console.warn(`[pg-connection-lost] skipped: ${server.skip}`);
afterAll(async () => {
  if (!('skip' in server)) await server.destroy();
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  next(): Promise<Record<string, unknown>>;
  write(key: string): Promise<Record<string, unknown>>;
  stderr(): string;
}

const startChild = async (url: string): Promise<Child> => {
  const proc = spawn(process.execPath, [...(await childNodeArgs('test/helpers/pg-write-child.ts')), url], { cwd: ROOT });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => (err += d));
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<(l: Record<string, unknown>) => void> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const j = JSON.parse(l) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(j);
    else lines.push(j);
  });
  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const l = lines.shift();
      if (l) return resolve(l);
      if (proc.exitCode !== null || proc.signalCode !== null)
        return reject(new Error(`child exited ${proc.exitCode}: ${err.slice(-1500)}`));
      const onExit = (code: number | null): void => reject(new Error(`child exited ${code}: ${err.slice(-1500)}`));
      proc.once('exit', onExit);
      waiters.push((x) => {
        proc.off('exit', onExit);
        resolve(x);
      });
    });
  expect(await next()).toMatchObject({ ready: true });
  return {
    proc,
    next,
    write: (key) => {
      proc.stdin.write(`${key}\n`);
      return next();
    },
    stderr: () => err,
  };
};

/** Hold the fence row of world `w` locked (an open transaction), so the child's fenced write waits on it. */
const holdFenceRow = async (url: string): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // the server may be killed under it
  await c.connect();
  await c.query('BEGIN');
  await c.query(`INSERT INTO fences (world_id, token) VALUES ('w', 1) ON CONFLICT (world_id) DO UPDATE SET token = fences.token`);
  return c;
};

/** The pid of the backend waiting on a lock (the child's write), polled until it waits. */
const blockedBackend = async (admin: pg.Client): Promise<number> => {
  for (let i = 0; i < 200; i++) {
    const r = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()",
    );
    if (r.rows.length) return Number(r.rows[0].pid);
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('the child write never waited on the lock');
};

const keysInLedger = async (url: string): Promise<string[]> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query("SELECT idem_key FROM ledger WHERE player_id = 'p1' ORDER BY seq")).rows.map(
      (r: { idem_key: string }) => r.idem_key,
    );
  } finally {
    await c.end();
  }
};

describe.skipIf('skip' in server)('PostgreSQL connection lost mid-transaction', () => {
  const pgs = server as Exclude<typeof server, { skip: string }>;
  // One child process per test, both started at once (each start loads the store code).
  let children: Array<Promise<Child>> = [];
  beforeAll(() => {
    children = [startChild(pgs.url), startChild(pgs.url)];
    for (const c of children) c.catch(() => undefined); // awaited by its test
  });
  afterAll(async () => {
    for (const c of await Promise.allSettled(children)) if (c.status === 'fulfilled') c.value.proc.kill('SIGKILL');
  });

  it('backend terminated while the write waits: refused with WT_ERR_STORE_UNAVAILABLE, the process lives, the next write commits', {
    timeout: 30_000,
  }, async () => {
    const child = await children[0];
    try {
      expect(await child.write('k0')).toMatchObject({ outcome: 'ok' });
      const locker = await holdFenceRow(pgs.url);
      child.proc.stdin.write('k1\n');
      const pid = await blockedBackend(locker);
      await locker.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await child.next()).toMatchObject({ key: 'k1', outcome: 'rejected', code: 'WT_ERR_STORE_UNAVAILABLE' });
      await locker.query('ROLLBACK');
      await locker.end();
      expect(await child.write('k2')).toMatchObject({ key: 'k2', outcome: 'ok' });
      expect(child.proc.exitCode, child.stderr()).toBeNull();
      expect(await keysInLedger(pgs.url)).toEqual(['k0', 'k2']);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('PostgreSQL SIGKILLed while the write waits: refused retryably, the process lives, writes commit after the restart', {
    timeout: 30_000,
  }, async () => {
    const child = await children[1];
    try {
      const locker = await holdFenceRow(pgs.url);
      child.proc.stdin.write('k3\n');
      await blockedBackend(locker);
      await pgs.crash();
      expect(await child.next()).toMatchObject({ key: 'k3', outcome: 'rejected', code: 'WT_ERR_STORE_UNAVAILABLE' });
      await pgs.start();
      // The pool may hand out connections that died with the server first: each is refused retryably, then replaced.
      let r: Record<string, unknown> = {};
      for (let i = 0; i < 10 && r.outcome !== 'ok'; i++) {
        r = await child.write(`k4-${i}`);
        if (r.outcome !== 'ok') expect(r).toMatchObject({ outcome: 'rejected', code: 'WT_ERR_STORE_UNAVAILABLE' });
      }
      expect(r).toMatchObject({ outcome: 'ok' });
      expect(child.proc.exitCode, child.stderr()).toBeNull();
      const keys = await keysInLedger(pgs.url);
      expect(keys).not.toContain('k3');
      expect(keys.filter((k) => k.startsWith('k4-'))).toEqual([r.key]);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });
});
