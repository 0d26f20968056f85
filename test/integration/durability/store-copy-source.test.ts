/**
 * `npm run store-copy` (src/cli/store-copy.ts) and the source's schema, and its own comparison, with
 * real SQLite files, real PostgreSQL databases (fresh ones of the run's shared server) and the
 * command as a real process: a source of an older schema (3) is migrated as a server start would
 * and copied; values come over exact (integers past 2^53, floats, blobs, JSON text, keys in byte
 * order); one of a newer schema is refused (`WT_ERR_STORE_MIGRATION_FAILED`, exit 2) with the
 * target untouched; a target that changes what it is given (a row trigger, the one fault here that
 * is made on purpose) fails the comparison (`WT_ERR_STORE_COPY_MISMATCH`, exit 1) and is rolled back;
 * a store with a table the copy does not list (a later build's) is refused the same way, nothing copied;
 * a source whose ledger has verify mismatches is refused (`WT_ERR_STORE_COPY_SOURCE_MISMATCH`, exit 2,
 * nothing written) unless `--accept-source-mismatches` is given.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { RESTORE_PLAYER, storeWithCoins } from '../../helpers/restore-cli.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { downgradeToSchema3 } from '../../helpers/schema3-store.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';
import { copyReport, storeCopy, targetCounts } from '../../helpers/store-copy-cli.js';
import type { PgServer } from '../../helpers/postgres-server.js';

const first = await freshDatabase();
if ('skip' in first) console.warn(`[store-copy source] skipped: ${first.skip}`);
const dbs: PgServer[] = 'skip' in first ? [] : [first];
const dirs: Array<{ dir: string; remove(): void }> = [];

afterAll(async () => {
  for (const d of dirs) d.remove();
  for (const drop of dropAfter) await drop();
  for (const db of dbs) await db.destroy();
});

/** A fresh database of its own for one test (dropped after the file). */
const database = async (): Promise<string> => {
  const db = (await freshDatabase()) as PgServer;
  dbs.push(db);
  return db.url;
};

/**
 * A database whose default collation is ICU's root locale ('b' < 'B' < 'e' < 'é' < 'Z'), not byte
 * order: the comparison must not depend on it (dropped after the file).
 */
const icuDatabase = async (): Promise<string> => {
  const url = await database();
  const name = `${new URL(url).pathname.slice(1)}_icu`;
  const admin = url.replace(/\/[^/]*$/, '/postgres');
  await withPgClient(admin, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C'`));
  dropAfter.push(() => withPgClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined));
  return url.replace(/\/[^/]*$/, `/${name}`);
};
const dropAfter: Array<() => Promise<void>> = [];

const sourceDir = (): string => {
  const d = tempDataDir('wt-store-copy-source-');
  dirs.push(d);
  return d.dir;
};

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

// The cases run side by side: each has a source folder and a target database of its own, and mostly waits on
// its copy's child process.
describe.skipIf('skip' in first).concurrent('npm run store-copy: the source schema, and a copy that differs', () => {
  it('migrates a schema-3 source as a server start would, then copies it', async ({ expect }) => {
    const dir = sourceDir();
    downgradeToSchema3(await storeWithCoins(dir, 25));
    const url = await database();
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`opened .*: schema ${LATEST_SCHEMA_VERSION} \\(migrated from 3, as a server start would\\)`));
    const report = copyReport(r.stdout);
    expect(report).toMatchObject({ ok: true, sourceSchema: { from: 3, to: LATEST_SCHEMA_VERSION } });
    // Wall milliseconds per step (bench/store-copy.ts reads them): every step, none longer than the whole.
    expect(Object.keys(report.phaseMs)).toEqual(['lock', 'open', 'sourceVerify', 'migrate', 'insert', 'compare', 'commit', 'targetVerify']);
    for (const ms of Object.values(report.phaseMs) as number[]) expect(ms).toBeGreaterThanOrEqual(0);
    expect((Object.values(report.phaseMs) as number[]).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(report.ms + 8);
    // The summary trigger, off while the copy put the ledger in, is on again (a new entry updates the summary).
    await withPgClient(url, async (c) => {
      const t = await c.query("SELECT tgenabled FROM pg_trigger WHERE tgname = 'ledger_balances_ok'");
      expect(t.rows).toEqual([{ tgenabled: 'O' }]);
    });
    const store = await PostgresStore.open({ url });
    try {
      expect((await store.ledgerBalance(RESTORE_PLAYER)).coins).toBe(25);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('refuses a source a newer build wrote; the target and the source file are untouched', async ({ expect }) => {
    const dir = sourceDir();
    const file = await storeWithCoins(dir, 5);
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    const before = sha(file);
    const url = await database();
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/WT_ERR_STORE_MIGRATION_FAILED: .*newer than this build knows/);
    expect(r.stderr).toContain('the target was not changed');
    expect(await targetCounts(url)).toEqual({});
    expect(sha(file)).toBe(before);
  }, 60_000);

  it('copies values exactly: integers past 2^53, floats, blobs, JSON text, keys in byte order', async ({ expect }) => {
    const dir = sourceDir();
    const file = await storeWithCoins(dir, 3);
    const big = 2n ** 60n + 1n;
    const db = new Database(file);
    db.defaultSafeIntegers(true);
    db.prepare('INSERT INTO fences (world_id, token) VALUES (?, ?)').run('Zeta', big);
    const put = db.prepare('INSERT INTO players (id, name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    // Upper case before lower, a two-byte letter, an astral one: byte order, not a locale's.
    for (const id of ['b', 'B', 'é', 'e', '😀', 'Z']) put.run(`t:${id}`, `name ${id}`, `{"k": "${id}",  "n":1.50}`, big, 0n);
    db.prepare(
      'INSERT INTO checkpoints (world_id, step, world_time, config, fencing_token, meta, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run('1', 7n, 0.1 + 0.2, '{}', 1n, '{}', Buffer.from([0, 255, 1, 254]), 0n);
    db.close();
    const url = await icuDatabase();
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(0);
    const there = copyReport(r.stdout);
    expect(there.sequences).toMatchObject({ 'checkpoints.id': 1 });
    await withPgClient(url, async (c) => {
      expect((await c.query('SELECT token::text AS t FROM fences')).rows).toEqual([{ t: big.toString() }]);
      // This database orders text by ICU's root locale; byte order is asked for.
      expect((await c.query('SELECT id FROM players ORDER BY id')).rows.map((p) => p.id)).toEqual([
        't:😀',
        't:b',
        't:B',
        't:e',
        't:é',
        't:Z',
      ]);
      const players = (await c.query('SELECT id, data, created_at::text AS at FROM players ORDER BY id COLLATE "C"')).rows;
      expect(players.map((p) => p.id)).toEqual(['t:B', 't:Z', 't:b', 't:e', 't:é', 't:😀']);
      expect(players[0]).toEqual({ id: 't:B', data: '{"k": "B",  "n":1.50}', at: big.toString() });
      const cp = (await c.query('SELECT world_time, data FROM checkpoints')).rows[0];
      expect(cp.world_time).toBe(0.1 + 0.2);
      expect([...cp.data]).toEqual([0, 255, 1, 254]);
    });
    // And back into SQLite: every table holds what the original held (the same digests), the values exact.
    const back = join(sourceDir(), 'back');
    const b = await storeCopy(['--from', url, '--to', `sqlite:${back}`]);
    expect(b.status, b.stderr).toBe(0);
    const digests = (rep: { tables: Array<{ sourceDigest: string; targetDigest: string }> }, side: 'sourceDigest' | 'targetDigest') =>
      rep.tables.map((t) => t[side]);
    expect(digests(copyReport(b.stdout), 'targetDigest')).toEqual(digests(there, 'sourceDigest'));
    const copy = new Database(join(back, 'worldtick.sqlite'), { readonly: true });
    copy.defaultSafeIntegers(true);
    expect(copy.prepare('SELECT token FROM fences').get()).toEqual({ token: big });
    expect(copy.prepare('SELECT typeof(world_time) AS t, world_time AS w FROM checkpoints').get()).toEqual({ t: 'real', w: 0.1 + 0.2 });
    copy.close();
  }, 60_000);

  it("refuses a store with a table the copy does not know (a later build's); nothing copied", async ({ expect }) => {
    const dir = sourceDir();
    const file = await storeWithCoins(dir, 4);
    const db = new Database(file);
    db.exec('CREATE TABLE guilds (id TEXT PRIMARY KEY, name TEXT)');
    db.prepare('INSERT INTO guilds (id, name) VALUES (?, ?)').run('g1', 'the guild');
    db.close();
    const url = await database();
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /WT_ERR_STORE_COPY_MISMATCH: the store has tables this copy does not know \(source: guilds; target: none\): nothing copied/,
    );
    expect(await targetCounts(url)).toEqual({});
  }, 60_000);

  it('refuses a source whose ledger has verify mismatches unless --accept-source-mismatches; nothing written', async ({ expect }) => {
    const dir = sourceDir();
    const file = await storeWithCoins(dir, 25);
    const s = new SqliteStore({ dataDir: dir });
    for (const p of ['t:p1', 't:p2', 't:p3', 't:p4']) await s.commitLedger([rewardEntry(`k-${p}`, { playerId: p, coinsDelta: 2 })]);
    await s.close();
    // A damaged summary for five players (what verify recomputes differs from what the store holds).
    const db = new Database(file);
    db.prepare('UPDATE ledger_balances SET coins = coins + 5').run();
    db.close();
    const before = sha(file);
    const url = await database();
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /WT_ERR_STORE_COPY_SOURCE_MISMATCH: the source's ledger has 5 verify mismatch\(es\) \(t:efef.* summary:coins: ledger 25, held 30; t:p1 summary:coins: ledger 2, held 7; t:p2 summary:coins: ledger 2, held 7; … 2 more\)/,
    );
    expect(r.stderr).toContain('--accept-source-mismatches');
    expect(r.stderr).toContain('the target was not changed');
    expect(await targetCounts(url)).toEqual({});
    expect(sha(file)).toBe(before);
    // Copied anyway when asked: the mismatches listed as the source's own, carried over.
    const ok = await storeCopy(['--from', `sqlite:${dir}`, '--to', url, '--accept-source-mismatches']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/5 mismatch\(es\), the same as in the source/);
    expect(copyReport(ok.stdout)).toMatchObject({ ok: true, ledger: { same: true, source: { mismatches: 5 }, target: { mismatches: 5 } } });
    expect((await targetCounts(url)).ledger).toBe(5);
    // Back to SQLite the same way: refused, no directory made; then copied when asked.
    const back = join(sourceDir(), 'back');
    const refused = await storeCopy(['--from', url, '--to', `sqlite:${back}`]);
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/WT_ERR_STORE_COPY_SOURCE_MISMATCH: the source's ledger has 5 verify mismatch\(es\)/);
    expect(existsSync(back)).toBe(false);
    const accepted = await storeCopy(['--from', url, '--to', `sqlite:${back}`, '--accept-source-mismatches']);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(copyReport(accepted.stdout)).toMatchObject({ ok: true, ledger: { source: { mismatches: 5 }, target: { mismatches: 5 } } });
  }, 60_000);

  it('a target that does not hold what was copied fails the comparison and is rolled back', async ({ expect }) => {
    const dir = sourceDir();
    await storeWithCoins(dir, 7);
    const s = new SqliteStore({ dataDir: dir });
    await s.putPlayer({ id: RESTORE_PLAYER, name: 'ann', data: { level: 3 } });
    await s.close();
    const url = await database();
    await (await PostgresStore.open({ url })).close(); // an empty schema: a copy may go there
    await withPgClient(url, async (c) => {
      await c.query(`CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$`);
      await c.query('CREATE TRIGGER shout BEFORE INSERT ON players FOR EACH ROW EXECUTE FUNCTION shout()');
    });
    const before = await targetCounts(url);
    const r = await storeCopy(['--from', `sqlite:${dir}`, '--to', url]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/WT_ERR_STORE_COPY_MISMATCH: the copy differs from the source in players \(1 → 1 rows\): rolled back/);
    expect(r.stderr).toContain('the target was not changed');
    expect(await targetCounts(url)).toEqual(before);
    expect(before.players).toBe(0);
  }, 60_000);
});
