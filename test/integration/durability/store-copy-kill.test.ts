/**
 * `npm run store-copy` SIGKILLed in the middle of its copy leaves the target with no worldtick data
 * (src/store/store-copy.ts: one target transaction). A real SQLite store (2,000 ledger entries, a
 * 1 MB checkpoint, players) and a real PostgreSQL database (fresh, of the run's shared server) whose
 * schema a server created once (empty: a copy is allowed into it). The pause is PostgreSQL's own: a
 * statement trigger on `ledger_balances` sleeps for the copy's session only (`application_name`
 * worldtick-store-copy), at the copy's own INSERT of the ledger summary — after the worlds,
 * checkpoints, players and the whole ledger went into its transaction. The copy process is killed
 * there; PostgreSQL notices the dead client (`client_connection_check_interval`) and rolls back.
 * Then, the trigger dropped, the same copy runs to its end into that database. And a copy into a
 * fresh database, held the same way (the trigger installed by an event trigger in the copy's own
 * transaction) and killed, leaves not even the schema: it is created in the copy's transaction.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { waitFor } from '../../helpers/game-process.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';
import { copyReport, spawnCopy, storeCopy, targetCounts } from '../../helpers/store-copy-cli.js';

const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[store-copy kill] skipped: ${pg.skip}`);
const url = 'skip' in pg ? '' : pg.url;
const source = tempDataDir('wt-store-copy-kill-');

afterAll(async () => {
  source.remove();
  if (!('skip' in pg)) await pg.destroy();
});

/** A closed SQLite store in `dir` with enough in it that the copy is a real one. */
const fillSource = async (dir: string): Promise<void> => {
  const store = new SqliteStore({ dataDir: dir });
  try {
    for (let b = 0; b < 20; b++)
      await store.commitLedger(
        Array.from({ length: 100 }, (_, i) => ({
          worldId: '1',
          playerId: `t:p${(b * 100 + i) % 50}`,
          key: `k${b}-${i}`,
          kind: 'reward' as const,
          item: null,
          quantity: 0,
          unitPrice: 0,
          coinsDelta: 1 + i,
          status: 'ok' as const,
          code: null,
          fingerprint: `f${b}-${i}`,
          createdAt: Date.now(),
        })),
      );
    for (let p = 0; p < 50; p++) await store.putPlayer({ id: `t:p${p}`, name: `p${p}`, data: { n: p } });
    await store.putWorldConfig('1', { simulation: { timeScale: 1 } });
    await store.saveCheckpoint({
      worldId: '1',
      step: 42,
      worldTime: 2.5,
      config: { simulation: { timeScale: 1 } },
      fencingToken: 1,
      data: new Uint8Array(1 << 20).map((_, i) => i % 251),
    });
  } finally {
    await store.close();
  }
};

const copySessions = (db: string): Promise<Array<{ pid: number; wait: string | null }>> =>
  withPgClient(db, async (c) => {
    const r = await c.query<{ pid: number; wait: string | null }>(
      "SELECT pid, wait_event AS wait FROM pg_stat_activity WHERE application_name = 'worldtick-store-copy' AND datname = current_database()",
    );
    return r.rows;
  });

/** Tell PostgreSQL to notice a dead client of `url`'s database within 200 ms, even mid-statement. */
const noticeDeadClients = (db: string): Promise<unknown> =>
  withPgClient(db, (c) => c.query(`ALTER DATABASE "${new URL(db).pathname.slice(1)}" SET client_connection_check_interval = '200ms'`));

/** SIGKILL a copy of `source` into `db` once PostgreSQL holds it in its sleep; resolves its stdout. */
const killWhenHeld = async (db: string): Promise<string> => {
  const child = await spawnCopy(['--from', `sqlite:${source.dir}`, '--to', db]);
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  try {
    await waitFor(async () => ((await copySessions(db)).some((s) => s.wait === 'PgSleep') ? true : undefined), 60_000);
    child.kill('SIGKILL');
    await once(child, 'close');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // PostgreSQL ends the dead client's session and rolls its transaction back.
  await waitFor(async () => ((await copySessions(db)).length === 0 ? true : undefined), 60_000);
  return stdout;
};

/**
 * The pause: a statement trigger function that sleeps in the copy's session (by its application name)
 * at its own INSERT into `ledger_balances` — not one the ledger's trigger makes (depth 1), and not the
 * schema's back-fill (the ledger is empty then).
 */
const HOLD_COPY = `CREATE FUNCTION hold_copy() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF current_setting('application_name') = 'worldtick-store-copy' AND pg_trigger_depth() = 1 AND EXISTS (SELECT 1 FROM ledger) THEN
      PERFORM pg_sleep(600);
    END IF;
    RETURN NULL;
  END $$`;

describe.skipIf('skip' in pg)('npm run store-copy killed mid-copy', () => {
  beforeAll(() => fillSource(source.dir));

  it('leaves the target without worldtick data; the copy then runs again into it', async () => {
    // The schema a server creates (no data: a copy may go there), PostgreSQL told to notice dead clients.
    await (await PostgresStore.open({ url })).close();
    await noticeDeadClients(url);
    await withPgClient(url, async (c) => {
      await c.query(HOLD_COPY);
      await c.query('CREATE TRIGGER hold_copy BEFORE INSERT ON ledger_balances FOR EACH STATEMENT EXECUTE FUNCTION hold_copy()');
    });
    const empty = await targetCounts(url);
    // Held at the summary's INSERT: the ledger (2,000 rows), checkpoints and players are in the transaction.
    const stdout = await killWhenHeld(url);
    expect(stdout).toMatch(/copied {4}ledger: 2000 row\(s\)/);
    expect(stdout).toMatch(/copied {4}checkpoints: 1 row\(s\)/);
    expect(await targetCounts(url)).toEqual(empty);
    expect(Object.entries(empty).filter(([t, n]) => t !== 'schema_migrations' && n > 0)).toEqual([]);

    await withPgClient(url, (c) => c.query('DROP TRIGGER hold_copy ON ledger_balances'));
    const again = await storeCopy(['--from', `sqlite:${source.dir}`, '--to', url]);
    expect(again.status, again.stderr).toBe(0);
    const report = copyReport(again.stdout);
    expect(report).toMatchObject({
      ok: true,
      targetSchema: { from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION },
      sequences: { 'ledger.seq': 2000 },
    });
    expect(report.ledger).toMatchObject({ same: true, target: { players: 50, entriesRead: 2000, mismatches: 0 } });
    expect((await targetCounts(url)).ledger).toBe(2000);
  }, 120_000);

  it('into a fresh database, killed mid-copy: not even the schema it created is left', async () => {
    const fresh = (await freshDatabase()) as PgServer;
    try {
      await noticeDeadClients(fresh.url);
      // The same pause, installed by an event trigger in the copy's own transaction once it created ledger_balances.
      await withPgClient(fresh.url, async (c) => {
        await c.query(HOLD_COPY);
        await c.query(`CREATE FUNCTION install_hold() RETURNS event_trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF current_setting('application_name') = 'worldtick-store-copy' AND tg_tag = 'CREATE TABLE' AND EXISTS
              (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'public.ledger_balances') THEN
              EXECUTE 'CREATE TRIGGER hold_copy BEFORE INSERT ON ledger_balances FOR EACH STATEMENT EXECUTE FUNCTION hold_copy()';
            END IF;
          END $$`);
        await c.query('CREATE EVENT TRIGGER install_hold ON ddl_command_end EXECUTE FUNCTION install_hold()');
      });
      const stdout = await killWhenHeld(fresh.url);
      expect(stdout).toMatch(/checked {3}.*: no worldtick data/);
      expect(stdout).toMatch(/copied {4}ledger: 2000 row\(s\)/);
      expect(await targetCounts(fresh.url)).toEqual({});
    } finally {
      await fresh.destroy();
    }
  }, 120_000);
});
