/**
 * Choose and open the store from options: `--store postgres://…` (or `WORLDTICK_STORE`) selects the
 * shared PostgreSQL store; otherwise the embedded SQLite store in `--data-dir` (or
 * `WORLDTICK_DATA_DIR`, default `./data`, created on start).
 */
import { optionInvalid } from '../errors.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** Default data directory of the embedded store. */
export const DEFAULT_DATA_DIR = './data';

/** What {@link openStore} accepts. */
export interface OpenStoreOptions {
  /** `postgres://…` / `postgresql://…` for PostgreSQL, `sqlite:<dir>` or empty for SQLite. */
  store?: string;
  /** Data directory of the SQLite store (default `./data`). */
  dataDir?: string;
  /** SQLite `synchronous` (default FULL). */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * A second connection of a process that opened this store already (the checkpoint writer
   * thread's): a schema newer than this build — a newer build migrated the store while this
   * process runs — is accepted instead of refused (src/store/migrations.ts `pendingMigrations`).
   */
  attach?: boolean;
  /**
   * A read-only tool (`npm run verify`): the store must hold this build's schema already; nothing is
   * created, migrated or written, and anything else is refused (src/store/migrations.ts `requireCurrentSchema`).
   */
  readOnlySchema?: boolean;
  /**
   * PostgreSQL: `idleInTransactionTimeoutMs` of the store (src/store/postgres-pool.ts; default the
   * query timeout). An instance in cluster mode sets it from its lease TTL.
   */
  idleInTransactionTimeoutMs?: number;
  /** PostgreSQL: the pool size (`maxConnections`, default 4; `--store-pool-size`). */
  maxConnections?: number;
  /** PostgreSQL: the longest wait for a free pooled connection (`poolWaitMs`, ms; `--store-pool-wait`). */
  poolWaitMs?: number;
  /** SQLite: check the file at open (`quick`, the default) or not (`off`; `--store-check`); see `SqliteStoreOptions.check`. */
  check?: 'quick' | 'off';
  /** SQLite, with `attach`: the `dev:ino` the first connection opened; see `SqliteStoreOptions.expectIdentity`. */
  expectIdentity?: string;
}

/** Where a store spec points: parsed, validated, not yet opened. */
export type StoreTarget = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

/**
 * Parse the store options (throws WT_ERR_OPTION_INVALID naming the option: `option`, `--store` unless
 * a tool calls it otherwise, e.g. store-copy's `--from`/`--to`). `sqlite:<dir>` in
 * `store` overrides `dataDir`.
 */
export const resolveStoreTarget = (options: OpenStoreOptions, option = '--store'): StoreTarget => {
  const spec = (options.store ?? '').trim();
  if (spec === '' || spec === 'sqlite') return { kind: 'sqlite', dataDir: options.dataDir || DEFAULT_DATA_DIR };
  if (spec.startsWith('sqlite:')) {
    const dir = spec.slice('sqlite:'.length);
    if (!dir) throw optionInvalid([`${option} sqlite:<dir> needs a directory`]);
    return { kind: 'sqlite', dataDir: dir };
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw optionInvalid([`${option} is not a valid PostgreSQL URL`]);
    }
    return { kind: 'postgres', url: spec };
  }
  throw optionInvalid([
    `${option} must be postgres://…, postgresql://…, sqlite:<dir> or empty (got ${JSON.stringify(maskUrlPassword(spec).slice(0, 40))})`,
  ]);
};

/**
 * `spec` with the password of a `scheme://user:password@…` URL replaced by `***`, for messages:
 * a mistyped store URL (`mysql://…`, `postgress://…`) still holds the real password.
 */
export const maskUrlPassword = (spec: string): string => spec.replace(/^([a-z][\w+.-]*:\/\/[^/:@]*):.*@/i, '$1:***@');

/** Open (and migrate) the store the options select. */
export const openStore = async (options: OpenStoreOptions): Promise<Store> => {
  const target = resolveStoreTarget(options);
  const attach = {
    ...(options.attach === true ? { attach: true } : {}),
    ...(options.readOnlySchema === true ? { readOnlySchema: true } : {}),
  };
  if (target.kind === 'postgres') {
    const { idleInTransactionTimeoutMs: idle, maxConnections: max, poolWaitMs: wait } = options;
    return PostgresStore.open({
      url: target.url,
      ...attach,
      ...(idle !== undefined ? { idleInTransactionTimeoutMs: idle } : {}),
      ...(max !== undefined ? { maxConnections: max } : {}),
      ...(wait !== undefined ? { poolWaitMs: wait } : {}),
    });
  }
  return new SqliteStore({
    dataDir: target.dataDir,
    ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    ...(options.check ? { check: options.check } : {}),
    ...(options.expectIdentity !== undefined ? { expectIdentity: options.expectIdentity } : {}),
    ...attach,
  });
};
