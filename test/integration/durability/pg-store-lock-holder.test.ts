/**
 * Who holds the single-instance lock (src/server/pg-store-lock.ts): a live holder — its lock session
 * active within `aliveWithinS` (a server runs `SELECT 1` on it every 2 s) — refuses a starting server
 * at once; a holder whose session sits idle (a server killed during a network partition: PostgreSQL
 * keeps its session until the keepalives notice) is waited for, so the restarted server starts once
 * the session ends instead of being refused. Real PostgreSQL; a raw client plays the old holder.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError } from '../../../src/errors.js';
import { lockPostgresStore, STORE_LOCK_APPLICATION, STORE_LOCK_KEY } from '../../../src/server/pg-store-lock.js';
import { until } from '../../helpers/cluster-instances.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();
if (skip) console.warn(`SKIP pg-store-lock-holder: ${skip}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Until `taking` (a lock being taken) logged that it waits for the idle holder; rejects as `taking` does
 * should it give up first (a refused start).
 */
const waitingLogged = (lines: ReadonlyArray<Record<string, unknown>>, taking: Promise<unknown>): Promise<unknown> =>
  Promise.race([
    until('the start waiting for the idle holder', () => lines.some((l) => String(l.msg).includes('waiting for it to end'))),
    taking,
  ]);

/** A raw session holding the lock under the lock's application name (an old holder). */
const holder = async (url: string): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: url, application_name: STORE_LOCK_APPLICATION });
  await c.connect();
  expect((await c.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [STORE_LOCK_KEY])).rows[0].ok).toBe(true);
  return c;
};

describe.skipIf(skip !== null)('the single-instance lock: a live holder or a lingering session', () => {
  it('a holder active a moment ago refuses at once, without waiting', async () => {
    const url = db?.url ?? '';
    const old = await holder(url);
    try {
      const { lines, logger } = jsonLogSink('warn');
      const err = await lockPostgresStore(url, logger, { aliveWithinS: 30, startWaitMs: 60_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isWorldtickError(err, ErrorCode.STORE_IN_USE)).toBe(true);
      expect(lines.filter((l) => String(l.msg).includes('waiting for it to end'))).toEqual([]);
    } finally {
      await old.end();
    }
  });

  it('an idle holder session is waited for: the lock is taken once it ends (warn once meanwhile)', async () => {
    const url = db?.url ?? '';
    const old = await holder(url);
    await sleep(1200); // idle longer than aliveWithinS below
    const { lines, logger } = jsonLogSink('warn');
    const taking = lockPostgresStore(url, logger, { aliveWithinS: 1, startWaitMs: 30_000 });
    await waitingLogged(lines, taking); // in its wait (not refused at once) before the holder goes
    await old.end(); // PostgreSQL ends the session: the lock is free
    const lock = await taking;
    expect(lines.filter((l) => String(l.msg).includes('waiting for it to end'))).toHaveLength(1);
    await lock.release();
  });

  it("a live lock session of another database does not make this database's idle holder look alive", async () => {
    // Before, the holder check read every lock session of the server (pg_stat_activity is not per
    // database): another database's live server, or a cluster instance there, refused this start at once.
    const url = db?.url ?? '';
    const otherDb = new URL(url);
    otherDb.pathname = '/postgres';
    const other = await holder(otherDb.toString());
    const beat = setInterval(() => void other.query('SELECT 1').catch(() => undefined), 100);
    const old = await holder(url);
    try {
      await sleep(1200); // this database's holder idle longer than aliveWithinS below; the other one busy
      const { lines, logger } = jsonLogSink('warn');
      const taking = lockPostgresStore(url, logger, { aliveWithinS: 1, startWaitMs: 30_000 });
      await waitingLogged(lines, taking);
      await old.end();
      const lock = await taking;
      expect(lines.filter((l) => String(l.msg).includes('waiting for it to end'))).toHaveLength(1);
      await lock.release();
    } finally {
      clearInterval(beat);
      await old.end().catch(() => undefined);
      await other.end();
    }
  });

  it('an idle holder that never goes is refused once the wait is over', async () => {
    const url = db?.url ?? '';
    const old = await holder(url);
    try {
      await sleep(1200);
      const { logger } = jsonLogSink('warn');
      const err = await lockPostgresStore(url, logger, { aliveWithinS: 1, startWaitMs: 1000 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isWorldtickError(err, ErrorCode.STORE_IN_USE)).toBe(true);
    } finally {
      await old.end();
    }
  });
});
