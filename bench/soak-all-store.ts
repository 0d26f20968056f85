/**
 * The store under bench/soak-all.ts, seen from outside the server: its size and its WAL's, and the
 * rows of each of its tables. The embedded SQLite file in the server's data dir (`npm start`'s
 * default), or a throwaway PostgreSQL server the bench started (`SOAK_STORE=postgres`): the
 * database's size by `pg_database_size`, the server's `pg_wal` folder, rows counted on a connection
 * of the bench's own beside the server's pool.
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

const MiB = 2 ** 20;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** What a sample and the idle snapshots read of the store. */
export interface StoreProbe {
  /** The store's size (SQLite file, or PostgreSQL database) and its write-ahead log's, MiB. */
  sizes(): Promise<{ storeMiB: number; walMiB: number }>;
  /** Rows of every table of the store. */
  rows(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const fileMiB = (path: string): number => {
  try {
    return statSync(path).size / MiB;
  } catch {
    return 0;
  }
};

/** Total size of the files under `dir`, MiB (0 for a folder that is not there). */
export const dirMiB = (dir: string): number => {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) total += e.isDirectory() ? dirMiB(join(dir, e.name)) : fileMiB(join(dir, e.name));
  return total;
};

/** The embedded store in `dataDir` (`worldtick.sqlite` and its `-wal`); rows through a read-only connection (WAL lets it read beside the server). */
export const sqliteProbe = (dataDir: string): StoreProbe => {
  const file = join(dataDir, 'worldtick.sqlite');
  return {
    sizes: async () => ({ storeMiB: r2(fileMiB(file)), walMiB: r2(fileMiB(`${file}-wal`)) }),
    rows: async () => {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const out: Record<string, number> = {};
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
        for (const { name } of tables) out[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
        return out;
      } finally {
        db.close();
      }
    },
    close: async () => {},
  };
};

/** A PostgreSQL store at `url`, whose server keeps its files in `pgData` (for the size of `pg_wal`). */
export const postgresProbe = async (url: string, pgData: string): Promise<StoreProbe> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const one = async (sql: string): Promise<number> => Number((await c.query(sql)).rows[0]?.n ?? 0);
  return {
    sizes: async () => ({
      storeMiB: r2((await one('SELECT pg_database_size(current_database()) AS n')) / MiB),
      walMiB: r2(dirMiB(join(pgData, 'pg_wal'))),
    }),
    rows: async () => {
      const tables = (
        await c.query(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
      ).rows as Array<{ name: string }>;
      const out: Record<string, number> = {};
      for (const { name } of tables) out[name] = await one(`SELECT count(*) AS n FROM "${name}"`);
      return out;
    },
    close: () => c.end(),
  };
};
