/**
 * Versioned schema migrations, one list for both dialects. A store applies, on open and inside
 * one transaction each, every migration whose version is above the highest recorded in
 * `schema_migrations`; a database whose version is above {@link LATEST_SCHEMA_VERSION} (written
 * by a newer build) is refused with `WT_ERR_STORE_MIGRATION_FAILED`.
 *
 * A read-only tool opens with `readOnlySchema` (src/store/open-store.ts): nothing is created or
 * migrated, and a store not at {@link LATEST_SCHEMA_VERSION} is refused ({@link requireCurrentSchema}).
 *
 * Rules: never edit a released migration; append a new version. JSON is stored as TEXT in both
 * dialects so it round-trips byte for byte; money and counts are integers (BIGINT in PostgreSQL).
 */

import { ErrorCode, WorldtickError, storeMigrationFailed } from '../errors.js';

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, fences, checkpoints, players, sessions, world configs',
    sqlite: [
      `CREATE TABLE fences (world_id TEXT PRIMARY KEY, token INTEGER NOT NULL)`,
      `CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        world_id TEXT NOT NULL, player_id TEXT NOT NULL, idem_key TEXT NOT NULL,
        kind TEXT NOT NULL, item TEXT, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
        coins_delta INTEGER NOT NULL, status TEXT NOT NULL, code TEXT,
        fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL,
        UNIQUE (player_id, idem_key))`,
      `CREATE INDEX ledger_player_seq ON ledger (player_id, seq)`,
      `CREATE INDEX ledger_world_seq ON ledger (world_id, seq)`,
      `CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY AUTOINCREMENT, world_id TEXT NOT NULL, step INTEGER NOT NULL,
        world_time REAL NOT NULL, config TEXT NOT NULL, fencing_token INTEGER NOT NULL,
        meta TEXT NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL)`,
      `CREATE INDEX checkpoints_world_id ON checkpoints (world_id, id)`,
      `CREATE TABLE players (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      `CREATE TABLE sessions (token TEXT PRIMARY KEY, player_id TEXT NOT NULL, world_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL, data TEXT NOT NULL)`,
      `CREATE INDEX sessions_expires ON sessions (expires_at)`,
      `CREATE TABLE world_configs (world_id TEXT PRIMARY KEY, config TEXT NOT NULL, updated_at INTEGER NOT NULL)`,
    ],
    postgres: [
      `CREATE TABLE fences (world_id TEXT PRIMARY KEY, token BIGINT NOT NULL)`,
      `CREATE TABLE ledger (
        seq BIGSERIAL PRIMARY KEY,
        world_id TEXT NOT NULL, player_id TEXT NOT NULL, idem_key TEXT NOT NULL,
        kind TEXT NOT NULL, item TEXT, quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL,
        coins_delta BIGINT NOT NULL, status TEXT NOT NULL, code TEXT,
        fingerprint TEXT NOT NULL, created_at BIGINT NOT NULL,
        UNIQUE (player_id, idem_key))`,
      `CREATE INDEX ledger_player_seq ON ledger (player_id, seq)`,
      `CREATE INDEX ledger_world_seq ON ledger (world_id, seq)`,
      `CREATE TABLE checkpoints (
        id BIGSERIAL PRIMARY KEY, world_id TEXT NOT NULL, step BIGINT NOT NULL,
        world_time DOUBLE PRECISION NOT NULL, config TEXT NOT NULL, fencing_token BIGINT NOT NULL,
        meta TEXT NOT NULL, data BYTEA NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX checkpoints_world_id ON checkpoints (world_id, id)`,
      `CREATE TABLE players (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE TABLE sessions (token TEXT PRIMARY KEY, player_id TEXT NOT NULL, world_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL, data TEXT NOT NULL)`,
      `CREATE INDEX sessions_expires ON sessions (expires_at)`,
      `CREATE TABLE world_configs (world_id TEXT PRIMARY KEY, config TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'sessions by player (resume lookups and revocation)',
    sqlite: [`CREATE INDEX sessions_player ON sessions (player_id)`],
    postgres: [`CREATE INDEX sessions_player ON sessions (player_id)`],
  },
  {
    version: 3,
    name: 'operator state (maintenance, overrides, declared tasks) per world and per runtime',
    sqlite: [`CREATE TABLE operator_state (scope TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL)`],
    postgres: [`CREATE TABLE operator_state (scope TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at BIGINT NOT NULL)`],
  },
  {
    version: 4,
    name: 'player data (per durable player id and key: JSON value or NULL once deleted, version, size)',
    sqlite: [
      `CREATE TABLE player_data (player_id TEXT NOT NULL, data_key TEXT NOT NULL, value TEXT,
        version INTEGER NOT NULL, size INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (player_id, data_key))`,
    ],
    postgres: [
      `CREATE TABLE player_data (player_id TEXT NOT NULL, data_key TEXT NOT NULL, value TEXT,
        version BIGINT NOT NULL, size INTEGER NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (player_id, data_key))`,
    ],
  },
  {
    version: 5,
    name: 'player-data batch records (exactly-once retries of a group commit whose answer was lost)',
    sqlite: [
      `CREATE TABLE player_data_batches (batch_id TEXT PRIMARY KEY, results TEXT NOT NULL, created_at INTEGER NOT NULL)`,
      `CREATE INDEX player_data_batches_created ON player_data_batches (created_at)`,
    ],
    postgres: [
      `CREATE TABLE player_data_batches (batch_id TEXT PRIMARY KEY, results TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX player_data_batches_created ON player_data_batches (created_at)`,
    ],
  },
  {
    version: 6,
    name: 'recorded ledger refusals by time (retention: pruneLedgerRefusals deletes old rejected rows, never ok ones)',
    sqlite: [`CREATE INDEX ledger_refusals_created ON ledger (created_at) WHERE status = 'rejected'`],
    postgres: [`CREATE INDEX ledger_refusals_created ON ledger (created_at) WHERE status = 'rejected'`],
  },
  {
    version: 7,
    name: "recorded ledger refusals by player (a new ledger service's refusal budget starts from the player's last day of them)",
    sqlite: [`CREATE INDEX ledger_refusals_player ON ledger (player_id, world_id, created_at) WHERE status = 'rejected'`],
    postgres: [`CREATE INDEX ledger_refusals_player ON ledger (player_id, world_id, created_at) WHERE status = 'rejected'`],
  },
  {
    version: 8,
    name: "player-data batch records' loaded values by player (a forget erases them from the records)",
    sqlite: [
      `CREATE TABLE player_data_batch_reads (player_id TEXT NOT NULL, batch_id TEXT NOT NULL, position INTEGER NOT NULL,
        data_key TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (player_id, batch_id, position))`,
      `CREATE INDEX player_data_batch_reads_created ON player_data_batch_reads (created_at)`,
    ],
    postgres: [
      `CREATE TABLE player_data_batch_reads (player_id TEXT NOT NULL, batch_id TEXT NOT NULL, position INTEGER NOT NULL,
        data_key TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (player_id, batch_id, position))`,
      `CREATE INDEX player_data_batch_reads_created ON player_data_batch_reads (created_at)`,
    ],
  },
  {
    version: 9,
    name: "ledger balances per player (the sum of a player's ok entries, kept by a trigger on every ledger insert; back-filled)",
    sqlite: [
      `CREATE TABLE ledger_balances (player_id TEXT PRIMARY KEY, coins INTEGER NOT NULL, items TEXT NOT NULL,
        last_seq INTEGER NOT NULL)`,
      // In the inserting transaction, whoever inserts (this build, an older one during a rolling
      // upgrade, a tool). An item id is a quoted JSON path label (catalogue ids: A-Z a-z 0-9 _ . -);
      // one holding a double quote, which a path cannot quote, is merged through json_each instead.
      `CREATE TRIGGER ledger_balances_ok AFTER INSERT ON ledger WHEN NEW.status = 'ok'
      BEGIN
        INSERT INTO ledger_balances (player_id, coins, items, last_seq)
          VALUES (NEW.player_id, NEW.coins_delta,
            CASE WHEN NEW.item IS NULL OR NEW.quantity = 0 THEN '{}' ELSE json_object(NEW.item, NEW.quantity) END, NEW.seq)
          ON CONFLICT (player_id) DO UPDATE SET
            coins = coins + excluded.coins,
            items = CASE
              WHEN NEW.item IS NULL OR NEW.quantity = 0 THEN items
              WHEN instr(NEW.item, '"') = 0 THEN json_set(items, '$."' || NEW.item || '"',
                coalesce(json_extract(items, '$."' || NEW.item || '"'), 0) + NEW.quantity)
              ELSE (SELECT json_group_object(k, n) FROM (SELECT k, sum(v) AS n FROM
                (SELECT key AS k, value AS v FROM json_each(ledger_balances.items) UNION ALL SELECT NEW.item, NEW.quantity)
                GROUP BY k)) END,
            last_seq = max(last_seq, excluded.last_seq);
      END`,
      `INSERT INTO ledger_balances (player_id, coins, items, last_seq)
        SELECT player_id, sum(coins_delta), '{}', max(seq) FROM ledger WHERE status = 'ok' GROUP BY player_id`,
      `UPDATE ledger_balances SET items = (SELECT json_group_object(item, n) FROM (SELECT item, sum(quantity) AS n FROM ledger
        WHERE player_id = ledger_balances.player_id AND status = 'ok' AND item IS NOT NULL AND quantity <> 0 GROUP BY item))`,
    ],
    postgres: [
      `CREATE TABLE ledger_balances (player_id TEXT PRIMARY KEY, coins BIGINT NOT NULL, items TEXT NOT NULL,
        last_seq BIGINT NOT NULL)`,
      // Once per INSERT statement (commitLedger inserts a batch in one), over its new rows: one upsert
      // per player, in player order (two batches lock their players' rows in the same order).
      `CREATE FUNCTION ledger_balances_ok() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WITH ok AS (SELECT player_id, item, quantity, coins_delta, seq FROM ledger_new WHERE status = 'ok'),
          per_item AS (SELECT player_id, jsonb_object_agg(item, n) AS items FROM
            (SELECT player_id, item, sum(quantity) AS n FROM ok WHERE item IS NOT NULL AND quantity <> 0 GROUP BY player_id, item) s
            GROUP BY player_id),
          per_player AS (SELECT player_id, sum(coins_delta) AS coins, max(seq) AS last_seq FROM ok GROUP BY player_id)
        INSERT INTO ledger_balances AS b (player_id, coins, items, last_seq)
          SELECT p.player_id, p.coins, coalesce(i.items, '{}'::jsonb)::text, p.last_seq
          FROM per_player p LEFT JOIN per_item i ON i.player_id = p.player_id ORDER BY p.player_id
          ON CONFLICT (player_id) DO UPDATE SET
            coins = b.coins + EXCLUDED.coins,
            items = CASE WHEN EXCLUDED.items = '{}' THEN b.items ELSE
              (SELECT jsonb_object_agg(k, n)::text FROM (SELECT k, sum(v::bigint) AS n FROM
                (SELECT key, value FROM jsonb_each_text(b.items::jsonb) UNION ALL SELECT key, value FROM jsonb_each_text(EXCLUDED.items::jsonb)) u(k, v)
                GROUP BY k) t) END,
            last_seq = greatest(b.last_seq, EXCLUDED.last_seq);
        RETURN NULL;
      END $$`,
      `CREATE TRIGGER ledger_balances_ok AFTER INSERT ON ledger REFERENCING NEW TABLE AS ledger_new
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_balances_ok()`,
      `INSERT INTO ledger_balances (player_id, coins, items, last_seq)
        SELECT player_id, sum(coins_delta), '{}', max(seq) FROM ledger WHERE status = 'ok' GROUP BY player_id`,
      `UPDATE ledger_balances b SET items = i.items FROM (SELECT player_id, jsonb_object_agg(item, n)::text AS items FROM
        (SELECT player_id, item, sum(quantity) AS n FROM ledger WHERE status = 'ok' AND item IS NOT NULL AND quantity <> 0
        GROUP BY player_id, item) s GROUP BY player_id) i WHERE b.player_id = i.player_id`,
    ],
  },
  {
    version: 10,
    name: "anonymous players by last write (pruneAnonymousPlayers deletes a g: player's records once it has no session left)",
    sqlite: [`CREATE INDEX players_anonymous ON players (updated_at) WHERE substr(id, 1, 2) = 'g:'`],
    postgres: [`CREATE INDEX players_anonymous ON players (updated_at) WHERE substr(id, 1, 2) = 'g:'`],
  },
];

/** What opening a store did to its schema: the version found, the version now, the migrations applied (logged at start). */
export interface MigrationReport {
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

/** The report of a migration run from `current` over `pending` (all applied). */
export const migrationReport = (current: number, pending: readonly Migration[]): MigrationReport => ({
  from: current,
  to: pending.length ? pending[pending.length - 1].version : current,
  applied: pending.map((m) => ({ version: m.version, name: m.name })),
});

/** Highest schema version this build knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Refuse a store a read-only tool (`npm run verify`) would otherwise create or migrate: `version` is
 * the highest in `schema_migrations`, null when the database has no such table (`where`: the file or
 * database, for messages). Throws WT_ERR_STORE_FILE_MISSING (no worldtick schema),
 * WT_ERR_STORE_SCHEMA_OLD (older than this build) or WT_ERR_STORE_MIGRATION_FAILED (newer).
 */
export const requireCurrentSchema = (version: number | null, where: string): void => {
  if (version === null)
    throw new WorldtickError(
      ErrorCode.STORE_FILE_MISSING,
      `no store in ${where}: it holds no worldtick schema (no schema_migrations table); give the store of a worldtick server. Nothing was written`,
    );
  if (version > LATEST_SCHEMA_VERSION)
    throw storeMigrationFailed(
      `${where} has schema version ${version}, newer than this build knows (${LATEST_SCHEMA_VERSION}): a newer build migrated it; run that build's tool. Nothing was written`,
    );
  if (version < LATEST_SCHEMA_VERSION)
    throw new WorldtickError(
      ErrorCode.STORE_SCHEMA_OLD,
      `${where} has schema version ${version}, older than this build's (${LATEST_SCHEMA_VERSION}): this tool does not migrate ` +
        "(a server of the older build may run on it). Start this build's server on it once (it migrates), or run the older build's tool. Nothing was written",
    );
};

/** DDL of the bookkeeping table (same text in both dialects). */
export const MIGRATIONS_TABLE_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

/**
 * Migrations to apply on a database at `current`, or a reason to refuse. `attach`: a second
 * connection of a process whose own store already opened (and migrated) this database — the
 * checkpoint writer thread's, opened at its first checkpoint: a newer version is not refused there
 * (a newer build migrated the shared database while this instance runs: a rolling upgrade; this
 * process's statements keep working because migrations are additive), and nothing is applied.
 */
export const pendingMigrations = (current: number, attach = false): { pending: Migration[]; tooNew: boolean } => {
  const tooNew = current > LATEST_SCHEMA_VERSION;
  return { pending: tooNew ? [] : MIGRATIONS.filter((m) => m.version > current), tooNew: tooNew && !attach };
};

/** The message of the open-time refusal of a database a newer build migrated (`where`: the file, or empty). */
export const schemaTooNewMessage = (current: number, where = ''): string =>
  `database ${where ? `${where} ` : ''}has schema version ${current}, newer than this build knows (${LATEST_SCHEMA_VERSION}): ` +
  'a newer build migrated it; run that build, or restore the backup taken before the upgrade (docs/DURABILITY.md, "Upgrading")';
