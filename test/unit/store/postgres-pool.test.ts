/**
 * How the PostgreSQL store connects (src/store/postgres-pool.ts): the defaults of the server-side
 * bounds against a writer paused mid-write (`idleInTransactionTimeoutMs`, `fenceLockTimeoutMs`) tied
 * to the query timeout and, in cluster mode, to the lease TTL; bad values refused naming the field;
 * the settings reach a real server's session, and a URL parameter wins over the option.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { beginWithLockTimeout, idleInTransactionTimeoutForLease, postgresSettings } from '../../../src/store/postgres-pool.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();

describe('postgresSettings', () => {
  it('ties the idle-in-transaction bound to the query timeout and the fenced lock wait to four fifths of it', () => {
    const d = postgresSettings({ url: 'postgres://u@h/db' });
    expect(d.pool).toMatchObject({ query_timeout: 5000, idle_in_transaction_session_timeout: 5000, max: 4 });
    expect(d.fenceLockTimeoutMs).toBe(4000);
    const q = postgresSettings({ url: 'postgres://u@h/db', queryTimeoutMs: 1000 });
    expect(q.pool).toMatchObject({ query_timeout: 1000, idle_in_transaction_session_timeout: 1000 });
    expect(q.fenceLockTimeoutMs).toBe(800);
    const off = postgresSettings({ url: 'postgres://u@h/db', idleInTransactionTimeoutMs: 0, fenceLockTimeoutMs: 0 });
    expect(off.pool).not.toHaveProperty('idle_in_transaction_session_timeout');
    expect(off.fenceLockTimeoutMs).toBe(0);
  });

  it('refuses a bad value naming the field', () => {
    for (const [field, v] of [
      ['idleInTransactionTimeoutMs', -1],
      ['fenceLockTimeoutMs', Number.NaN],
    ] as const) {
      let err: unknown;
      try {
        postgresSettings({ url: 'postgres://u@h/db', [field]: v });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'WT_ERR_OPTION_INVALID' });
      expect((err as Error).message).toContain(`${field} must be a number >= 0`);
    }
  });

  it('opens fenced transactions with a local lock_timeout; cluster mode bounds idle transactions by the lease TTL', () => {
    expect(beginWithLockTimeout(4000)).toBe("BEGIN; SET LOCAL lock_timeout = '4000ms'");
    expect(beginWithLockTimeout(0)).toBe('BEGIN');
    expect(idleInTransactionTimeoutForLease(6000)).toBe(5000);
    expect(idleInTransactionTimeoutForLease(2000)).toBe(2000);
    expect(idleInTransactionTimeoutForLease(300)).toBe(1000);
  });
});

describe.skipIf(skip !== null)('postgresSettings on a real server', () => {
  const show = async (url: string, o: Parameters<typeof postgresSettings>[0] = { url }): Promise<string> => {
    const pool = new pg.Pool(postgresSettings({ ...o, url }).pool);
    // An idle client's error is emitted on the pool: the file's database dropped (FORCE) while a client
    // that pool.end() let go still had its session was an uncaught 57P01 once (fresh-clone CI F).
    pool.on('error', () => undefined);
    try {
      return String((await pool.query('SHOW idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout);
    } finally {
      await pool.end();
    }
  };

  it("sets the session's idle_in_transaction_session_timeout; a URL parameter wins", async () => {
    const url = db?.url ?? '';
    expect(await show(url)).toBe('5s');
    expect(await show(url, { url, idleInTransactionTimeoutMs: 1500 })).toBe('1500ms');
    const sep = url.includes('?') ? '&' : '?';
    expect(await show(`${url}${sep}idle_in_transaction_session_timeout=2500`, { url, idleInTransactionTimeoutMs: 1500 })).toBe('2500ms');
  });
});
