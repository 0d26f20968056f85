/**
 * The copy of `npm run store-copy` (src/cli/store-copy.ts; docs/DURABILITY.md "Moving to
 * PostgreSQL (operators)"): every table of a SQLite store into an empty PostgreSQL database, in ONE
 * target transaction.
 *
 *   BEGIN ─ migrate (schema created or brought up to date) ─ target empty? ─ per table: insert every
 *   row (the source's seq and id kept) ─ sequences past the copied values ─ per table: row count and
 *   content digest of the target (inside the transaction) = the source's? ─ COMMIT
 *
 * Anything that fails — a refusal, an error, a difference, the process killed (PostgreSQL rolls back
 * the transaction of a connection that ends) — leaves the target as it was: nothing, not even the
 * schema when the copy created it. The source is read in one read transaction (the caller holds its
 * data-directory lock: no server writes it meanwhile).
 *
 * The ledger summary (`ledger_balances`) is copied as the source holds it: the target's trigger adds
 * the copied ledger rows to it as they are inserted, so its rows are replaced by the source's before
 * the digests are compared. Into a schema the copy created, the trigger is off while the ledger goes in
 * (that work would be thrown away) and on again before COMMIT.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { MigrationReport } from './migrations.js';
import { migratePostgresIn } from './postgres-tx.js';

/** A table of the store: its name and the columns that order its rows (its primary key). */
interface CopiedTable {
  name: string;
  key: readonly string[];
  /** The column PostgreSQL fills from a sequence (BIGSERIAL), set past the copied values. */
  serial?: string;
  /** Rows the target's digest reads per FETCH, when not {@link FETCH_ROWS} (a table of megabyte rows). */
  fetchRows?: number;
}

/**
 * Every table of the store (schema 9) but `schema_migrations`, which the target writes itself, in
 * copy order. `ledger_balances` after `ledger` (its rows replace what the trigger made of the ledger's).
 */
export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: 'fences', key: ['world_id'] },
  { name: 'world_configs', key: ['world_id'] },
  { name: 'operator_state', key: ['scope'] },
  { name: 'players', key: ['id'] },
  { name: 'sessions', key: ['token'] },
  { name: 'checkpoints', key: ['id'], serial: 'id', fetchRows: 4 }, // megabytes each: a few per FETCH
  { name: 'ledger', key: ['seq'], serial: 'seq' },
  { name: 'ledger_balances', key: ['player_id'] },
  { name: 'player_data', key: ['player_id', 'data_key'] },
  { name: 'player_data_batches', key: ['batch_id'] },
  { name: 'player_data_batch_reads', key: ['player_id', 'batch_id', 'position'] },
];

/** One table's figures on both sides. */
export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** SHA-256 over the rows in key order, each value in a canonical text form (same on both sides). */
  sourceDigest: string;
  targetDigest: string;
  same: boolean;
}

/** What {@link copySqliteToPostgres} did. */
export interface CopyResult {
  /** The target's schema before and after (from 0: the copy created it). */
  migration: MigrationReport;
  tables: TableCheck[];
  /** Where the target's sequences now start (the next `seq` / checkpoint `id` is above these). */
  sequences: Record<string, number>;
  /** Wall milliseconds of each step inside the transaction (see the module comment). */
  phaseMs: CopyPhaseMs;
}

/** Wall milliseconds of the steps of {@link copySqliteToPostgres}. */
export interface CopyPhaseMs {
  /** BEGIN, the target's schema created or migrated, the emptiness and unknown-table checks. */
  migrate: number;
  /** Every row read from the source, digested and inserted; the sequences set. */
  insert: number;
  /** The target's rows read back and digested (inside the transaction). */
  compare: number;
  commit: number;
}

/** Options of {@link copySqliteToPostgres}. */
export interface CopyOptions {
  /** One line per table copied. */
  log?: (line: string) => void;
}

type Row = Record<string, unknown>;

/** The largest number of bind parameters in one INSERT (PostgreSQL allows 65535). */
const MAX_PARAMS = 30_000;
/** Flush a batch of rows once its values hold this many bytes. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

/** A value in a form both dialects give alike: SQLite's integers (bigint here) and PostgreSQL's int8 (text) alike. */
const canonical = (v: unknown): string => {
  if (v === null || v === undefined) return '\u0000';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`;
  return `v${String(v)}`;
};

/** A digest accumulating rows (key order). */
const digester = (): { add(row: readonly unknown[]): void; hex(): string } => {
  const h = createHash('sha256');
  return {
    add: (row) => void h.update(`${JSON.stringify(row.map(canonical))}\n`),
    hex: () => h.digest('hex'),
  };
};

/** A clock of consecutive steps: each call returns the wall milliseconds since the previous one (or its creation). */
export const phaseClock = (): (() => number) => {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = Math.round(now - last);
    last = now;
    return ms;
  };
};

/** Worldtick data in the target (any row in a store table), by table; empty when it holds none. */
export const targetRows = async (c: pg.Client): Promise<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const t of COPIED_TABLES) {
    const exists = (await c.query('SELECT to_regclass($1) IS NOT NULL AS e', [t.name])).rows[0]?.e === true;
    if (!exists) continue;
    const n = Number((await c.query(`SELECT count(*) AS n FROM ${quote(t.name)}`)).rows[0]?.n ?? 0);
    if (n > 0) out[t.name] = n;
  }
  return out;
};

/** The refusal of a target that holds worldtick data. */
export const targetNotEmpty = (where: string, rows: Record<string, number>): WorldtickError =>
  new WorldtickError(
    ErrorCode.STORE_COPY_TARGET_NOT_EMPTY,
    `target ${where} already holds worldtick data (${Object.entries(rows)
      .map(([t, n]) => `${t}: ${n}`)
      .join(', ')}): a copy goes into an empty database only — create a new one (createdb), or drop this one if it holds nothing you need`,
    { details: { where, rows } },
  );

/** The tables of a store that the copy does not carry: `schema_migrations` (each side writes its own). */
const NOT_COPIED = new Set(['schema_migrations']);

/** Tables of the source (SQLite) and the migrated target (PostgreSQL) the copy does not know, by side. */
export const unknownTables = async (db: Database.Database, c: pg.Client): Promise<{ source: string[]; target: string[] }> => {
  const known = new Set([...COPIED_TABLES.map((t) => t.name), ...NOT_COPIED]);
  const source = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
  const target = (
    await c.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
  ).rows.map((r: { name: string }) => r.name);
  return { source: source.filter((n) => !known.has(n)), target: target.filter((n) => !known.has(n)) };
};

/** Columns of `table` in the source, in table order. */
const sourceColumns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map((r) => r.name);

/** The source's rows of `t` in key order (integers as bigint: exact beyond 2^53). */
const sourceRows = (db: Database.Database, t: CopiedTable, cols: readonly string[]): IterableIterator<unknown[]> =>
  db
    .prepare(`SELECT ${cols.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY ${t.key.map(quote).join(', ')}`)
    .raw(true)
    .safeIntegers(true)
    .iterate() as IterableIterator<unknown[]>;

/** Insert `rows` (values in `cols` order) into `table` in one statement. */
const insertRows = async (c: pg.Client, table: string, cols: readonly string[], rows: readonly unknown[][]): Promise<void> => {
  const params: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => `$${params.push(typeof v === 'bigint' ? v.toString() : v)}`).join(', ')})`);
  await c.query(`INSERT INTO ${quote(table)} (${cols.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, params);
};

const valueBytes = (v: unknown): number => (typeof v === 'string' ? v.length : Buffer.isBuffer(v) ? v.length : 8);

/** Copy one table's rows; returns the source's count and digest. */
const copyTable = async (
  db: Database.Database,
  c: pg.Client,
  t: CopiedTable,
): Promise<{ rows: number; digest: string; cols: string[] }> => {
  const cols = sourceColumns(db, t.name);
  const d = digester();
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, cols.length)));
  let batch: unknown[][] = [];
  let bytes = 0;
  let rows = 0;
  for (const r of sourceRows(db, t, cols)) {
    d.add(r);
    rows++;
    batch.push(r);
    for (const v of r) bytes += valueBytes(v);
    if (batch.length >= perBatch || bytes >= MAX_BATCH_BYTES) {
      await insertRows(c, t.name, cols, batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length) await insertRows(c, t.name, cols, batch);
  return { rows, digest: d.hex(), cols };
};

/** Rows the target's digest reads per FETCH (bounded memory; checkpoints, megabytes each, fewer: `fetchRows`). */
const FETCH_ROWS = 256;

/**
 * Count and digest of the target's `table`, read through a cursor inside the copy's transaction (its
 * own rows). Text keys in byte order (`COLLATE "C"`), as SQLite's BINARY collation orders them.
 */
const targetDigest = async (c: pg.Client, t: CopiedTable, cols: readonly string[]): Promise<{ rows: number; digest: string }> => {
  const types = new Map(
    (
      await c.query<{ column_name: string; data_type: string }>(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [t.name],
      )
    ).rows.map((r) => [r.column_name, r.data_type]),
  );
  const order = t.key.map((k) => (types.get(k) === 'text' ? `${quote(k)} COLLATE "C"` : quote(k))).join(', ');
  await c.query(
    `DECLARE wt_store_copy_check NO SCROLL CURSOR FOR SELECT ${cols.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY ${order}`,
  );
  const d = digester();
  const per = t.fetchRows ?? FETCH_ROWS;
  let rows = 0;
  for (;;) {
    const r = await c.query({ text: `FETCH FORWARD ${per} FROM wt_store_copy_check`, rowMode: 'array' });
    for (const row of r.rows as unknown[][]) d.add(row);
    rows += r.rows.length;
    if (r.rows.length < per) break;
  }
  await c.query('CLOSE wt_store_copy_check');
  return { rows, digest: d.hex() };
};

/** The highest value a BIGSERIAL column held in the source: its rows' and SQLite's AUTOINCREMENT counter (rows since deleted). */
const sourceHighest = (db: Database.Database, t: CopiedTable, col: string): number => {
  const row = db
    .prepare(
      `SELECT max(coalesce((SELECT max(${quote(col)}) FROM ${quote(t.name)}), 0),
        coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)) AS n`,
    )
    .get(t.name) as Row;
  return Number(row.n);
};

/**
 * Copy the SQLite store open as `db` (migrated to this build's schema) into the database of `c` (a
 * connection of its own, no other statement running on it), in one transaction; see the module
 * comment. Throws `WT_ERR_STORE_COPY_TARGET_NOT_EMPTY` (the target holds worldtick data),
 * `WT_ERR_STORE_COPY_MISMATCH` (a table's count or digest differs: rolled back),
 * `WT_ERR_STORE_MIGRATION_FAILED` (the target's schema is newer than this build's), or the pg error;
 * the target is unchanged after any of them.
 */
export const copySqliteToPostgres = async (
  db: Database.Database,
  c: pg.Client,
  where: string,
  options: CopyOptions = {},
): Promise<CopyResult> => {
  const log = options.log ?? (() => {});
  const phase = phaseClock();
  await c.query('BEGIN');
  try {
    const migration = await migratePostgresIn(c);
    const held = await targetRows(c);
    if (Object.keys(held).length) throw targetNotEmpty(where, held);
    // A table this build's copy does not list (a store grown by a later migration): refused, never half copied.
    const unknown = await unknownTables(db, c);
    if (unknown.source.length || unknown.target.length)
      throw new WorldtickError(
        ErrorCode.STORE_COPY_MISMATCH,
        `the store has tables this copy does not know (source: ${unknown.source.join(', ') || 'none'}; target: ${unknown.target.join(', ') || 'none'}): nothing copied`,
        { details: unknown },
      );
    const migrateMs = phase();
    const tables: TableCheck[] = [];
    const sequences: Record<string, number> = {};
    const copied: Array<{ t: CopiedTable; rows: number; digest: string; cols: string[] }> = [];
    db.exec('BEGIN'); // one read transaction: the source as of one moment
    try {
      for (const t of COPIED_TABLES) {
        // The target's trigger summed the copied ledger into ledger_balances: the source's summary replaces it.
        if (t.name === 'ledger_balances') await c.query('DELETE FROM ledger_balances');
        // The summary the ledger's trigger would build is replaced by the source's (above): where the copy made the
        // schema (it owns the table) the trigger is off while the ledger goes in, on again in the same transaction.
        const quiet = t.name === 'ledger' && migration.from === 0;
        if (quiet) await c.query('ALTER TABLE ledger DISABLE TRIGGER ledger_balances_ok');
        const done = await copyTable(db, c, t);
        if (quiet) await c.query('ALTER TABLE ledger ENABLE TRIGGER ledger_balances_ok');
        copied.push({ t, ...done });
        if (t.serial) {
          const high = sourceHighest(db, t, t.serial);
          await c.query(`SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)`, [t.name, t.serial, Math.max(high, 1), high > 0]);
          sequences[`${t.name}.${t.serial}`] = high;
        }
        log(`copied    ${t.name}: ${done.rows} row(s)`);
      }
    } finally {
      db.exec('COMMIT');
    }
    const insertMs = phase();
    for (const { t, rows, digest, cols } of copied) {
      const got = await targetDigest(c, t, cols);
      tables.push({
        table: t.name,
        sourceRows: rows,
        targetRows: got.rows,
        sourceDigest: digest,
        targetDigest: got.digest,
        same: rows === got.rows && digest === got.digest,
      });
    }
    const differ = tables.filter((t) => !t.same);
    if (differ.length)
      throw new WorldtickError(
        ErrorCode.STORE_COPY_MISMATCH,
        `the copy differs from the source in ${differ.map((t) => `${t.table} (${t.sourceRows} → ${t.targetRows} rows)`).join(', ')}: rolled back, the target is unchanged`,
        { details: { tables: differ } },
      );
    const compareMs = phase();
    log(`compared  ${tables.length} tables: row counts and content digests equal`);
    await c.query('COMMIT');
    return { migration, tables, sequences, phaseMs: { migrate: migrateMs, insert: insertMs, compare: compareMs, commit: phase() } };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
};
