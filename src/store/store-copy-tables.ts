/**
 * What both directions of `npm run store-copy` share (src/store/store-copy.ts SQLite → PostgreSQL,
 * src/store/store-copy-to-sqlite.ts PostgreSQL → SQLite): the list of tables and the keys that order
 * them, the content digest (one canonical text form per value, the same from either dialect), the
 * copy loop that digests what it reads, the per-table comparison that refuses a difference, the
 * refusal of a table the copy does not know, and the step clock of the report.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { MigrationReport } from './migrations.js';

/** A table of the store: its name and the columns that order its rows (its primary key). */
export interface CopiedTable {
  name: string;
  key: readonly string[];
  /** The column filled from a sequence (PostgreSQL BIGSERIAL, SQLite AUTOINCREMENT), set past the copied values. */
  serial?: string;
  /** Rows a PostgreSQL cursor reads per FETCH, when not {@link FETCH_ROWS} (a table of megabyte rows). */
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

/** Rows a PostgreSQL cursor reads per FETCH (bounded memory; checkpoints, megabytes each, fewer: `fetchRows`). */
export const FETCH_ROWS = 256;

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

/** What a copy did (either direction). */
export interface CopyResult {
  /** The target's schema before and after (from 0: the copy created it). */
  migration: MigrationReport;
  tables: TableCheck[];
  /** Where the target's sequences now start (the next `seq` / checkpoint `id` is above these). */
  sequences: Record<string, number>;
  /** Wall milliseconds of each step inside the transaction. */
  phaseMs: CopyPhaseMs;
}

/** Wall milliseconds of the steps of a copy. */
export interface CopyPhaseMs {
  /** BEGIN, the target's schema created or migrated, the emptiness and unknown-table checks. */
  migrate: number;
  /** Every row read from the source, digested and inserted; the sequences set. */
  insert: number;
  /** The target's rows read back and digested (inside the transaction). */
  compare: number;
  commit: number;
}

/** Options of a copy. */
export interface CopyOptions {
  /** One line per table copied. */
  log?: (line: string) => void;
}

/** A table's rows as the copy read them from the source: count, digest, and the columns (in the order given). */
export interface CopiedRows {
  t: CopiedTable;
  rows: number;
  digest: string;
  cols: string[];
}

/** A quoted SQL identifier (same in both dialects). */
export const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

/** A value in a form both dialects give alike: integers as bigint (SQLite) or int8 text / bigint (PostgreSQL) alike. */
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

/**
 * Read `rows` (key order) to the end: their count and digest. With `put`, every row is also handed
 * to it (the insert of the copy: it may batch, awaited in order).
 */
export const digestRows = async (
  rows: Iterable<unknown[]> | AsyncIterable<unknown[]>,
  put?: (row: unknown[]) => unknown,
): Promise<{ rows: number; digest: string }> => {
  const d = digester();
  let n = 0;
  for await (const r of rows) {
    d.add(r);
    n++;
    if (put) {
      const p = put(r);
      if (p instanceof Promise) await p;
    }
  }
  return { rows: n, digest: d.hex() };
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

/** The tables of a store that the copy does not carry: `schema_migrations` (each side writes its own). */
const NOT_COPIED = new Set(['schema_migrations']);

/** Refuse (nothing copied) when either side has a table the copy does not list: a store grown by a later build's migration. */
export const refuseUnknownTables = (sourceTables: readonly string[], targetTables: readonly string[]): void => {
  const known = new Set([...COPIED_TABLES.map((t) => t.name), ...NOT_COPIED]);
  const source = sourceTables.filter((n) => !known.has(n));
  const target = targetTables.filter((n) => !known.has(n));
  if (source.length || target.length)
    throw new WorldtickError(
      ErrorCode.STORE_COPY_MISMATCH,
      `the store has tables this copy does not know (source: ${source.join(', ') || 'none'}; target: ${target.join(', ') || 'none'}): nothing copied`,
      { details: { source, target } },
    );
};

/**
 * Compare every copied table with the target's count and digest (`target` reads them inside the
 * copy's transaction); throws `WT_ERR_STORE_COPY_MISMATCH` naming the tables that differ (the caller
 * rolls back).
 */
export const compareTables = async (
  copied: readonly CopiedRows[],
  target: (t: CopiedTable, cols: readonly string[]) => Promise<{ rows: number; digest: string }>,
): Promise<TableCheck[]> => {
  const tables: TableCheck[] = [];
  for (const { t, rows, digest, cols } of copied) {
    const got = await target(t, cols);
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
  return tables;
};
