/**
 * The PostgreSQL side of `npm run store-copy` (src/store/store-copy-tables.ts): the target of a copy
 * from SQLite (src/store/store-copy.ts) and the source of a copy to it (store-copy-to-sqlite.ts).
 * Rows are read through a cursor (bounded memory) in key order, text keys `COLLATE "C"` (byte order,
 * as SQLite's BINARY), int8 values as bigint (exact beyond 2^53; SQLite binds them as INTEGER).
 */
import type pg from 'pg';
import { ErrorCode, WorldtickError } from '../errors.js';
import { COPIED_TABLES, type CopiedTable, FETCH_ROWS, quote } from './store-copy-tables.js';

/** PostgreSQL's type oid of int8 (bigint, BIGSERIAL). */
const INT8_OID = 20;

/** Worldtick data in the database (any row in a store table), by table; empty when it holds none. */
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

/** The database's tables in its current schema, by name. */
export const pgTables = async (c: pg.Client): Promise<string[]> =>
  (
    await c.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
  ).rows.map((r) => r.name);

/** Columns of `table` in table order, with their types. */
export const pgColumns = async (c: pg.Client, table: string): Promise<Array<{ name: string; type: string }>> =>
  (
    await c.query<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
  ).rows;

/** The rows of `t` in key order, values in `cols` order, read through a cursor inside the caller's transaction. */
export async function* pgRows(c: pg.Client, t: CopiedTable, cols: readonly string[]): AsyncGenerator<unknown[]> {
  const types = new Map((await pgColumns(c, t.name)).map((r) => [r.name, r.type]));
  const order = t.key.map((k) => (types.get(k) === 'text' ? `${quote(k)} COLLATE "C"` : quote(k))).join(', ');
  await c.query(
    `DECLARE wt_store_copy_rows NO SCROLL CURSOR FOR SELECT ${cols.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY ${order}`,
  );
  const per = t.fetchRows ?? FETCH_ROWS;
  for (;;) {
    const r = await c.query({ text: `FETCH FORWARD ${per} FROM wt_store_copy_rows`, rowMode: 'array' });
    const big = r.fields.map((f) => f.dataTypeID === INT8_OID);
    for (const row of r.rows as unknown[][]) {
      for (let i = 0; i < row.length; i++) if (big[i] && typeof row[i] === 'string') row[i] = BigInt(row[i] as string);
      yield row;
    }
    if (r.rows.length < per) break;
  }
  await c.query('CLOSE wt_store_copy_rows');
}

/** The largest number of bind parameters in one INSERT (PostgreSQL allows 65535). */
const MAX_PARAMS = 30_000;
/** Flush a batch of rows once its values hold this many bytes. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const valueBytes = (v: unknown): number => (typeof v === 'string' ? v.length : Buffer.isBuffer(v) ? v.length : 8);

/** Insert `rows` (values in `cols` order) into `table` in one statement. */
const insertRows = async (c: pg.Client, table: string, cols: readonly string[], rows: readonly unknown[][]): Promise<void> => {
  const params: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => `$${params.push(typeof v === 'bigint' ? v.toString() : v)}`).join(', ')})`);
  await c.query(`INSERT INTO ${quote(table)} (${cols.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, params);
};

/** Batched inserts into `table`: `put` a row (flushes a full batch), `flush` the rest. */
export const pgInsert = (
  c: pg.Client,
  table: string,
  cols: readonly string[],
): { put(row: unknown[]): Promise<void> | undefined; flush(): Promise<void> } => {
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, cols.length)));
  let batch: unknown[][] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    bytes = 0;
    await insertRows(c, table, cols, rows);
  };
  return {
    put: (row) => {
      batch.push(row);
      for (const v of row) bytes += valueBytes(v);
      return batch.length >= perBatch || bytes >= MAX_BATCH_BYTES ? flush() : undefined;
    },
    flush,
  };
};

/** The highest value `t`'s BIGSERIAL column held: its rows' and its sequence's (values handed out, rows since deleted). */
export const pgHighest = async (c: pg.Client, t: CopiedTable, col: string): Promise<number> => {
  const seq = (await c.query<{ s: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS s', [t.name, col])).rows[0]?.s;
  const max = Number((await c.query(`SELECT coalesce(max(${quote(col)}), 0) AS n FROM ${quote(t.name)}`)).rows[0]?.n ?? 0);
  if (!seq) return max;
  const s = (await c.query<{ v: string; called: boolean }>(`SELECT last_value AS v, is_called AS called FROM ${seq}`)).rows[0];
  return Math.max(max, s ? Number(s.v) - (s.called ? 0 : 1) : 0);
};

/** Set `table`'s sequence for `col` so the next value is above `high`. */
export const pgSetHighest = async (c: pg.Client, table: string, col: string, high: number): Promise<void> => {
  await c.query('SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)', [table, col, Math.max(high, 1), high > 0]);
};
