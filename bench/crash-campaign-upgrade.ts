/**
 * The crash campaign's `upgrade` window (bench/crash-campaign.ts): a store at schema 8 (the release
 * before the ledger summary) holding a large ledger, the new server started on it and SIGKILLed at a
 * seeded random moment of its migration 9 (table, trigger, back-fill in one transaction), mostly
 * while the back-fill runs, while another writer (an older build, a tool) inserts ledger entries
 * with raw SQL. After every kill, the store as the kill left it (raw SQL): schema 8 with no summary
 * table, trigger or function, or schema 9 with all of them and every player's summary equal to the
 * sum of its `ok` entries — never a half state; every entry the writer was told committed is there.
 * Then the server is started again on it (it runs: the migration completes if it had not, the
 * admin route verifies), stopped, and the offline `verify` (every player's summary) reports 0
 * mismatches. docs/DURABILITY.md, "Crash campaign (randomized SIGKILLs)".
 */
import { cpSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { verifyOffline } from '../src/cli/verify.js';
import { LATEST_SCHEMA_VERSION } from '../src/store/migrations.js';
import { openStore } from '../src/store/open-store.js';
import { startPostgres, type PgServer } from '../test/helpers/postgres-server.js';
import { admin, killServer, sleep, startServer, waitUp, writeServerConfig, type ServerSpec } from './crash-campaign-server.js';

/** One iteration's outcome (the campaign's summary format). */
export interface UpgradeIteration {
  iteration: number;
  killAfterMs: number;
  note: string;
  /** Schema found after the kill (8: untouched, 9: migrated). */
  schemaAfterKill: number;
  writerAcked: number;
  ledgerRows: number;
  serverErrors: string[];
  violations: string[];
}

export interface UpgradeOptions {
  store: 'sqlite' | 'postgres';
  dir: string;
  port: number;
  adminPort: number;
  iterations: number;
  maxMs: number;
  entries: number;
  players: number;
  rand: (lo: number, hi: number) => number;
  onIteration: (r: UpgradeIteration) => void;
}

const SQLITE_FILE = 'worldtick.sqlite';
const WRITER = 'up-writer';
/** The options and the PostgreSQL server started for the run (null: SQLite). */
type Ctx = UpgradeOptions & { pgUrl: string | null };

/** Raw SQL on the store, whichever it is (never `openStore`: it would migrate what the kill left). */
export interface Raw {
  all(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Statements that return no rows (several, `;`-separated). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
export const rawOf = async (o: Pick<UpgradeOptions, 'store'>, where: string): Promise<Raw> => {
  if (o.store === 'sqlite') {
    const db = new Database(join(where, SQLITE_FILE), { timeout: 0 });
    return {
      all: async (sql) => db.prepare(sql).all() as Array<Record<string, unknown>>,
      exec: async (sql) => void db.exec(sql),
      close: async () => void db.close(),
    };
  }
  const c = new pg.Client({ connectionString: where });
  c.on('error', (err) => console.error(JSON.stringify({ rawConnectionError: err.message, where })));
  await c.connect();
  return {
    all: async (sql) => (await c.query(sql)).rows as Array<Record<string, unknown>>,
    exec: async (sql) => void (await c.query(sql)),
    close: () => c.end(),
  };
};
const dbUrl = (serverUrl: string, name: string): string => {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/** The old release's schema: what migrations 9 and 10 add, dropped (test/unit/store/ledger-summary.test.ts). */
const DOWNGRADE = {
  sqlite: [
    'DROP TRIGGER ledger_balances_ok',
    'DROP TABLE ledger_balances',
    'DROP INDEX players_anonymous',
    'DELETE FROM schema_migrations WHERE version >= 9',
  ],
  postgres: [
    'DROP TRIGGER ledger_balances_ok ON ledger',
    'DROP FUNCTION ledger_balances_ok()',
    'DROP TABLE ledger_balances',
    'DROP INDEX players_anonymous',
    'DELETE FROM schema_migrations WHERE version >= 9',
  ],
};

/** `entries` rows over `players` players as the old release wrote them: rewards, purchases after a player's first entry, refusals. */
const fillSql = (players: number, series: string): string =>
  `INSERT INTO ledger (world_id, player_id, idem_key, kind, item, quantity, unit_price, coins_delta, status, code, fingerprint, created_at)
   SELECT 'old', 'up-' || (i % ${players}), 'k' || i,
     CASE WHEN i >= ${players} AND i % 3 = 0 THEN 'purchase' ELSE 'reward' END,
     CASE WHEN i % 4 = 0 THEN NULL ELSE 'item' || (i % 7) END,
     CASE WHEN i % 4 = 0 THEN 0 ELSE 1 + i % 3 END, 0,
     CASE WHEN i >= ${players} AND i % 3 = 0 THEN -5 ELSE 10 + i % 13 END,
     CASE WHEN i >= ${players} AND i % 11 = 0 THEN 'rejected' ELSE 'ok' END,
     CASE WHEN i >= ${players} AND i % 11 = 0 THEN 'TX_INSUFFICIENT_FUNDS' END, 'f', 1 FROM ${series}`;

/** Create the schema-8 template (a store of this build, downgraded, filled); returns its location. */
const makeTemplate = async (o: Ctx): Promise<string> => {
  if (o.store === 'sqlite') {
    const where = join(o.dir, 'template');
    await (await openStore({ dataDir: where })).close();
    const db = new Database(join(where, SQLITE_FILE));
    db.exec(DOWNGRADE.sqlite.join('; '));
    db.exec(
      fillSql(o.players, `(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${o.entries - 1}) SELECT i FROM n)`),
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return where;
  }
  const admin0 = await rawOf(o, o.pgUrl!);
  await admin0.all('DROP DATABASE IF EXISTS upgrade_template');
  await admin0.all('CREATE DATABASE upgrade_template');
  await admin0.close();
  const url = dbUrl(o.pgUrl!, 'upgrade_template');
  await (await openStore({ store: url })).close();
  const r = await rawOf(o, url);
  for (const s of DOWNGRADE.postgres) await r.all(s);
  await r.all(fillSql(o.players, `generate_series(0, ${o.entries - 1}) AS g(i)`));
  await r.all('ANALYZE ledger');
  await r.close();
  return url;
};

/** A fresh copy of the template for iteration `i`; returns its location (data dir or URL). */
const copyTemplate = async (o: Ctx, template: string, i: number): Promise<string> => {
  if (o.store === 'sqlite') {
    const where = join(o.dir, `it${i}`);
    rmSync(join(o.dir, `it${i - 1}`), { recursive: true, force: true });
    cpSync(template, where, { recursive: true });
    return where;
  }
  const a = await rawOf(o, o.pgUrl!);
  if (i > 0) await a.all(`DROP DATABASE IF EXISTS upgrade_it_${i - 1}`);
  await a.all(`CREATE DATABASE upgrade_it_${i} TEMPLATE upgrade_template`);
  await a.close();
  return dbUrl(o.pgUrl!, `upgrade_it_${i}`);
};

/** Another writer inserting ledger entries with raw SQL, one at a time, until stopped; the keys it was told committed. */
const startWriter = (o: Ctx, where: string, i: number): { acked: string[]; stop: () => Promise<void> } => {
  const acked: string[] = [];
  let stopped = false;
  const loop = (async () => {
    const raw = await rawOf(o, where);
    try {
      for (let n = 0; !stopped; n++) {
        const key = `w${i}-${n}`;
        try {
          await raw.all(
            `INSERT INTO ledger (world_id, player_id, idem_key, kind, item, quantity, unit_price, coins_delta, status, code, fingerprint, created_at)
             VALUES ('old', '${WRITER}', '${key}', 'reward', 'item1', 1, 0, 3, 'ok', NULL, 'f', 1) RETURNING seq`,
          );
          acked.push(key);
        } catch {
          /* busy (SQLite) or the server's connection died mid-lock: not acknowledged */
        }
        await sleep(10);
      }
    } finally {
      await raw.close();
    }
  })();
  return {
    acked,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
};

/** The migration has begun: the server holds the SQLite file open / runs a statement naming `ledger_balances`. */
const migrationBegan = async (o: Ctx, where: string, pid: number, watch: Raw | null): Promise<boolean> => {
  if (o.store === 'sqlite') {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(SQLITE_FILE)) return true;
        } catch {
          /* closed meanwhile */
        }
      }
    } catch {
      return false;
    }
    return false;
  }
  const rows = await watch!.all(
    `SELECT 1 FROM pg_stat_activity WHERE datname = '${new URL(where).pathname.slice(1)}' AND query LIKE '%ledger_balances%' AND state <> 'idle' AND pid <> pg_backend_pid()`,
  );
  return rows.length > 0;
};

/**
 * The store as the kill left it: schema 8 with nothing of migration 9, or schema 9 (or 10: migration 10,
 * an index of its own, in its own transaction after it) with summary = sum for every player.
 */
const checkStore = async (
  o: Ctx,
  where: string,
  acked: readonly string[],
): Promise<{ schema: number; rows: number; violations: string[] }> => {
  const v: string[] = [];
  const raw = await rawOf(o, where);
  try {
    const schema = Number((await raw.all('SELECT max(version) AS v FROM schema_migrations'))[0]?.v ?? 0);
    const objects =
      o.store === 'sqlite'
        ? (await raw.all(`SELECT name FROM sqlite_master WHERE name IN ('ledger_balances', 'ledger_balances_ok')`)).map((r) =>
            String(r.name),
          )
        : [
            ...(await raw.all(`SELECT tablename AS n FROM pg_tables WHERE tablename = 'ledger_balances'`)),
            ...(await raw.all(`SELECT tgname AS n FROM pg_trigger WHERE tgname = 'ledger_balances_ok'`)),
            ...(await raw.all(`SELECT proname || '()' AS n FROM pg_proc WHERE proname = 'ledger_balances_ok'`)),
          ].map((r) => String(r.n));
    const want = o.store === 'sqlite' ? 2 : 3;
    if (schema === 8 && objects.length) v.push(`half state: schema 8 with ${objects.join(', ')}`);
    else if ((schema === 9 || schema === 10) && objects.length !== want)
      v.push(`half state: schema ${schema} with only ${objects.join(', ') || 'nothing'}`);
    else if (schema < 8 || schema > 10) v.push(`schema ${schema} after the kill`);
    const rows = Number((await raw.all('SELECT count(*) AS n FROM ledger'))[0]?.n);
    const written = new Set((await raw.all(`SELECT idem_key FROM ledger WHERE player_id = '${WRITER}'`)).map((r) => String(r.idem_key)));
    const lost = acked.filter((k) => !written.has(k));
    if (lost.length) v.push(`${lost.length} acknowledged writer entries lost (${lost.slice(0, 5).join(', ')})`);
    if (schema === 9 || schema === 10) v.push(...(await summaryDiff(raw)));
    return { schema, rows, violations: v };
  } finally {
    await raw.close();
  }
};

/** Every player's summary row against the sum of its `ok` entries (coins, last seq, each item); one line per differing player (at most 10). */
const summaryDiff = async (raw: Raw): Promise<string[]> => {
  const sums = new Map<string, { coins: number; lastSeq: number; items: Map<string, number> }>();
  for (const r of await raw.all(
    `SELECT player_id, item, sum(coins_delta) AS c, max(seq) AS s, sum(quantity) AS q FROM ledger WHERE status = 'ok' GROUP BY player_id, item`,
  )) {
    const p = String(r.player_id);
    const b = sums.get(p) ?? { coins: 0, lastSeq: 0, items: new Map<string, number>() };
    sums.set(p, b);
    b.coins += Number(r.c);
    b.lastSeq = Math.max(b.lastSeq, Number(r.s));
    if (r.item !== null && Number(r.q) !== 0) b.items.set(String(r.item), Number(r.q));
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of await raw.all('SELECT player_id, coins, items, last_seq FROM ledger_balances')) {
    const p = String(r.player_id);
    seen.add(p);
    const b = sums.get(p);
    const items = JSON.parse(String(r.items)) as Record<string, number>;
    const diff: string[] = [];
    if (!b) diff.push('a summary row without ok entries');
    else {
      if (Number(r.coins) !== b.coins) diff.push(`coins ${r.coins} != ${b.coins}`);
      if (Number(r.last_seq) !== b.lastSeq) diff.push(`lastSeq ${r.last_seq} != ${b.lastSeq}`);
      for (const id of new Set([...Object.keys(items), ...b.items.keys()]))
        if (Number(items[id] ?? 0) !== (b.items.get(id) ?? 0)) diff.push(`item ${id} ${items[id] ?? 0} != ${b.items.get(id) ?? 0}`);
    }
    if (diff.length) out.push(`summary of ${p}: ${diff.join(', ')}`);
  }
  for (const p of sums.keys()) if (!seen.has(p)) out.push(`no summary row for ${p}`);
  return out.length > 10 ? [...out.slice(0, 10), `... ${out.length - 10} more`] : out;
};

/** The summary of every player against its entries in the store at `where` (data dir or URL), read with raw SQL while no server runs (bench/crash-campaign.ts, after each kill). */
export const summaryViolations = async (store: 'sqlite' | 'postgres', where: string): Promise<string[]> => {
  const raw = await rawOf({ store }, where);
  try {
    return await summaryDiff(raw);
  } finally {
    await raw.close();
  }
};

/** Time (ms) this process takes to open a copy of the template (migration 9 in full): the length of the kill window. */
const migrationMs = async (o: Ctx, template: string): Promise<number> => {
  const where = await copyTemplate(o, template, 0);
  const t = Date.now();
  const s = await openStore(o.store === 'sqlite' ? { dataDir: where } : { store: where });
  const ms = Date.now() - t;
  await s.close();
  return ms;
};

/** Run the upgrade window; returns the campaign-level figures. */
export const runUpgradeCampaign = async (opts: UpgradeOptions): Promise<{ migrationMs: number }> => {
  let pgServer: PgServer | null = null;
  if (opts.store === 'postgres') {
    const started = await startPostgres();
    if ('skip' in started) throw new Error(started.skip);
    pgServer = started;
  }
  try {
    return await runIterations({ ...opts, pgUrl: pgServer?.url ?? null });
  } finally {
    await pgServer?.destroy();
  }
};

const runIterations = async (o: Ctx): Promise<{ migrationMs: number }> => {
  const t0 = Date.now();
  mkdirSync(o.dir, { recursive: true });
  const template = await makeTemplate(o);
  const d = await migrationMs(o, template);
  console.log(JSON.stringify({ template: `${o.entries} entries, ${o.players} players`, migrationMs: d, setupMs: Date.now() - t0 }));
  for (let i = 1; i <= o.iterations && Date.now() - t0 < o.maxMs; i++) {
    const where = await copyTemplate(o, template, i);
    const spec: ServerSpec = {
      dir: o.dir,
      storeUrl: o.store === 'postgres' ? where : null,
      dataDir: o.store === 'sqlite' ? where : join(o.dir, 'unused'),
      npcs: 50,
      checkpointInterval: 2,
      port: o.port,
      adminPort: o.adminPort,
    };
    writeServerConfig(spec);
    const violations: string[] = [];
    const serverErrors: string[] = [];
    const writer = startWriter(o, where, i);
    const watch = o.store === 'postgres' ? await rawOf(o, o.pgUrl!) : null;
    const proc = startServer(spec);
    // Most kills aimed at the migration's transaction (from its start to twice its in-process length: slower in a loaded server);
    // one in five at any moment of the first 6 s of the process (before the store is opened, or after).
    const aimed = o.rand(0, 1) < 0.8;
    const delay = aimed ? o.rand(0, d * 2) : o.rand(0, 6000);
    let began = 0;
    if (aimed) {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && proc.child.exitCode === null && !(await migrationBegan(o, where, proc.child.pid!, watch)))
        await sleep(1);
      began = Date.now() - proc.startedAt;
    }
    await sleep(delay);
    const opened = proc.lines.some((l) => l.msg === 'store opened');
    await killServer(proc);
    await watch?.close();
    serverErrors.push(...proc.errors);
    await writer.stop();
    const after = await checkStore(o, where, writer.acked);
    violations.push(...after.violations);
    const note = aimed
      ? `${Math.round(delay)} ms after the migration began (${began} ms after spawn)${opened ? ', store opened already' : ''}`
      : `${Math.round(delay)} ms after spawn${opened ? ', store opened already' : ''}`;
    // Started again (with the writer): the migration completes, the server runs and verifies.
    const writer2 = startWriter(o, where, i + 1000);
    const proc2 = startServer(spec);
    try {
      await waitUp(spec, proc2, 120_000);
      const v = await admin(o.adminPort, 'GET', '/api/v1/ledger/verify');
      if (v.status !== 200 || (v.json?.mismatches?.length ?? 0) > 0)
        violations.push(`verify route: ${v.status} ${JSON.stringify(v.json?.mismatches ?? v.json).slice(0, 300)}`);
    } catch (err) {
      violations.push(`restart: ${(err as Error).message.slice(0, 400)}`);
    }
    await killServer(proc2);
    serverErrors.push(...proc2.errors);
    await writer2.stop();
    const final = await checkStore(o, where, [...writer.acked, ...writer2.acked]);
    if (final.schema !== LATEST_SCHEMA_VERSION) violations.push(`schema ${final.schema} after the restart`);
    violations.push(...final.violations.map((x) => `after the restart: ${x}`));
    const offline = await verifyOffline(o.store === 'sqlite' ? where : '', o.store === 'postgres' ? where : '').catch((e: Error) => e);
    if (offline instanceof Error) violations.push(`offline verify: ${offline.message.slice(0, 300)}`);
    else if (offline.mismatches.length)
      violations.push(`offline verify: ${offline.mismatches.length} mismatches ${JSON.stringify(offline.mismatches.slice(0, 3))}`);
    o.onIteration({
      iteration: i,
      killAfterMs: Math.round(delay),
      note,
      schemaAfterKill: after.schema,
      writerAcked: writer.acked.length + writer2.acked.length,
      ledgerRows: final.rows,
      serverErrors,
      violations,
    });
  }
  if (o.store === 'sqlite') rmSync(join(o.dir, 'template'), { recursive: true, force: true });
  return { migrationMs: d };
};
