/**
 * Store factories for the contract suite and the ledger tests: a fresh SQLite store in a temp
 * directory, or a fresh PostgreSQL database on a throwaway server ({@link startPostgres}).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { afterAll, afterEach, beforeEach } from 'vitest';
import type { PgServer } from './postgres-server.js';
import { freshDatabase } from './shared-postgres.js';

/** One fresh, empty store location, re-openable. */
export interface StoreHandle {
  open(): Promise<Store>;
  /** Run raw SQL against the location (outside the store). */
  raw(sql: string): Promise<void>;
  /** Rows of a query run against the location (outside the store). */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  dispose(): Promise<void>;
  /** PostgreSQL: the location's connection URL (for a test's own `pg.Client`). */
  url?: string;
  /** SQLite: the location's data directory (for a child process's own store). */
  dataDir?: string;
}

/** A factory of fresh store locations of one kind. */
export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  create(): Promise<StoreHandle>;
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'wt-sqlite-'));
    const dataDir = join(dir, 'data');
    return {
      dataDir,
      open: async () => new SqliteStore({ dataDir }),
      async raw(sql) {
        const db = new Database(join(dataDir, SQLITE_FILE_NAME));
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      async query(sql) {
        const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
        try {
          return db.prepare(sql).all() as Array<Record<string, unknown>>;
        } finally {
          db.close();
        }
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * Each `create` makes a new schema on the server (cheap, unlike CREATE DATABASE, which checkpoints)
 * and points the store at it through the connection's `search_path`.
 */
export const postgresFactory = (server: PgServer): StoreFactory => {
  let n = 0;
  return {
    name: 'postgres',
    async create() {
      const schema = `wt_${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await admin.end();
      }
      const url = `${server.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      return {
        url,
        open: async () => PostgresStore.open({ url }),
        async raw(sql) {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            await c.query(sql);
          } finally {
            await c.end();
          }
        },
        async query(sql) {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            return (await c.query(sql)).rows as Array<Record<string, unknown>>;
          } finally {
            await c.end();
          }
        },
        async dispose() {
          /* the server (and every schema) is destroyed by the suite */
        },
      };
    },
  };
};

/**
 * The two stores a store test runs against: SQLite always, PostgreSQL (a fresh database on the run's
 * shared server, {@link freshDatabase}) when the package is there (else `factory` undefined, for
 * `describe.skipIf`, and a warning naming `label`). The database is dropped after the file's tests
 * (`afterAll`).
 */
export const sqliteAndPostgres = async (label: string): Promise<Array<{ factory: StoreFactory | undefined; name: string }>> => {
  const server = await freshDatabase();
  if ('skip' in server) console.warn(`[${label}] PostgreSQL tests skipped: ${server.skip}`);
  afterAll(async () => {
    if (!('skip' in server)) await server.destroy();
  });
  return [
    { factory: sqliteFactory, name: 'sqlite' },
    { factory: 'skip' in server ? undefined : postgresFactory(server), name: 'postgres' },
  ];
};

/**
 * A fresh store location of `factory` and its store opened before each test of the current `describe`,
 * closed and disposed after it: read them through the getters inside the tests.
 */
export const freshStoreEach = (factory: StoreFactory | undefined): { readonly handle: StoreHandle; readonly store: Store } => {
  let handle: StoreHandle | undefined;
  let store: Store | undefined;
  beforeEach(async () => {
    if (!factory) return;
    handle = await factory.create();
    store = await handle.open();
  });
  afterEach(async () => {
    await store?.close();
    await handle?.dispose();
    store = undefined;
    handle = undefined;
  });
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('no store outside a test of the describe');
    return v;
  };
  return {
    get handle() {
      return must(handle);
    },
    get store() {
      return must(store);
    },
  };
};
