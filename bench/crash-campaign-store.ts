/**
 * The crash campaign's direct view of the durable store (bench/crash-campaign.ts), read while
 * the server is dead: raw SQL through better-sqlite3 or pg, never through `openStore` (which
 * would migrate a half-created database and hide what a kill left behind).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/** One ledger row as stored. */
export interface LedgerRow {
  seq: number;
  worldId: string;
  playerId: string;
  key: string;
  kind: string;
  status: string;
  coinsDelta: number;
  quantity: number;
}

/** What the store holds now. */
export interface StoreView {
  schemaVersion: number;
  tables: string[];
  ledger: LedgerRow[];
  /** Newest checkpoints of world `1` (id desc). */
  checkpoints: Array<{ id: number; step: number; worldTime: number; incarnation: string | null; bytes: number }>;
  record: { incarnation: string | null; step: number; now: number } | null;
  sessions: number;
}

const toLedgerRow = (r: Record<string, unknown>): LedgerRow => ({
  seq: Number(r.seq),
  worldId: String(r.world_id),
  playerId: String(r.player_id),
  key: String(r.idem_key),
  kind: String(r.kind),
  status: String(r.status),
  coinsDelta: Number(r.coins_delta),
  quantity: Number(r.quantity),
});

const parseRecord = (text: unknown): StoreView['record'] => {
  try {
    const j = JSON.parse(String(text)) as { incarnation?: string; clock?: { step?: number; now?: number } };
    return { incarnation: j.incarnation ?? null, step: Number(j.clock?.step ?? -1), now: Number(j.clock?.now ?? -1) };
  } catch {
    return null;
  }
};

const incarnationOf = (meta: unknown): string | null => {
  try {
    return (JSON.parse(String(meta)) as { incarnation?: string }).incarnation ?? null;
  } catch {
    return null;
  }
};

/** A checkpoints row (id, step, world_time, meta, n = data length) as both stores return it. */
const toCheckpointRow = (r: Record<string, unknown>): StoreView['checkpoints'][number] => ({
  id: Number(r.id),
  step: Number(r.step),
  worldTime: Number(r.world_time),
  incarnation: incarnationOf(r.meta),
  bytes: Number(r.n),
});

/** Read a SQLite data dir (no file: an empty view). */
export const viewSqlite = (dataDir: string): StoreView => {
  const file = join(dataDir, 'worldtick.sqlite');
  const empty: StoreView = { schemaVersion: 0, tables: [], ledger: [], checkpoints: [], record: null, sessions: 0 };
  if (!existsSync(file)) return empty;
  const db = new Database(file, { timeout: 5000 });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(
      (t) => t.name,
    );
    const has = (t: string): boolean => tables.includes(t);
    const v: StoreView = { ...empty, tables };
    if (has('schema_migrations'))
      v.schemaVersion = Number((db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number }).v);
    if (has('ledger'))
      v.ledger = (db.prepare('SELECT * FROM ledger ORDER BY seq').all() as Array<Record<string, unknown>>).map(toLedgerRow);
    if (has('checkpoints'))
      v.checkpoints = (
        db
          .prepare("SELECT id, step, world_time, meta, length(data) AS n FROM checkpoints WHERE world_id = '1' ORDER BY id DESC")
          .all() as Array<Record<string, unknown>>
      ).map(toCheckpointRow);
    if (has('world_configs')) {
      const r = db.prepare("SELECT config FROM world_configs WHERE world_id = '1'").get() as { config: string } | undefined;
      v.record = r ? parseRecord(r.config) : null;
    }
    if (has('sessions')) v.sessions = Number((db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n);
    return v;
  } finally {
    db.close();
  }
};

/** Read a PostgreSQL database. */
export const viewPostgres = async (url: string): Promise<StoreView> => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map(
      (r: { tablename: string }) => r.tablename,
    );
    const has = (t: string): boolean => tables.includes(t);
    const v: StoreView = { schemaVersion: 0, tables, ledger: [], checkpoints: [], record: null, sessions: 0 };
    if (has('schema_migrations'))
      v.schemaVersion = Number((await c.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0].v);
    if (has('ledger')) v.ledger = (await c.query('SELECT * FROM ledger ORDER BY seq')).rows.map(toLedgerRow);
    if (has('checkpoints'))
      v.checkpoints = (
        await c.query("SELECT id, step, world_time, meta, length(data) AS n FROM checkpoints WHERE world_id = '1' ORDER BY id DESC")
      ).rows.map(toCheckpointRow);
    if (has('world_configs')) {
      const r = await c.query("SELECT config FROM world_configs WHERE world_id = '1'");
      v.record = r.rows.length ? parseRecord(r.rows[0].config) : null;
    }
    if (has('sessions')) v.sessions = Number((await c.query('SELECT count(*) AS n FROM sessions')).rows[0].n);
    return v;
  } finally {
    await c.end();
  }
};

/** Create a fresh database on a server and return its URL. */
export const createDatabase = async (serverUrl: string, name: string): Promise<string> => {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Connections to the database of `url` other than this one (the server under test has opened its store). */
export const otherConnections = async (url: string): Promise<number> => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
};
