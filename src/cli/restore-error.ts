/** Refusals and failures of `npm run restore` (src/cli/restore-store.ts): codes and their exit codes. */

/** Why a restore refused or failed (printed with the message; the CLI's exit code follows from it). */
export const RestoreErrorCode = {
  /** Bad command line, a PostgreSQL store, a data directory that is a file, a backup that is the store itself. Exit 2. */
  USAGE: 'WT_ERR_RESTORE_USAGE',
  /** The backup file does not exist or is not a regular file. Exit 2. */
  BACKUP_MISSING: 'WT_ERR_RESTORE_BACKUP_MISSING',
  /** The backup file is not a SQLite database (no SQLite header), or is a live store's file with its WAL beside it. Exit 2. */
  NOT_SQLITE: 'WT_ERR_RESTORE_NOT_SQLITE',
  /** The backup fails `PRAGMA integrity_check` or cannot be read as a database. Exit 2. */
  CORRUPT: 'WT_ERR_RESTORE_CORRUPT',
  /** A SQLite database without worldtick's `schema_migrations` and `ledger` tables, or whose schema version is not an integer. Exit 2. */
  NOT_WORLDTICK: 'WT_ERR_RESTORE_NOT_WORLDTICK',
  /** The backup's schema version is newer than this build knows. Exit 2. */
  SCHEMA_TOO_NEW: 'WT_ERR_RESTORE_SCHEMA_TOO_NEW',
  /**
   * Another process (a running server, a backup) has the current store open, or it could not be
   * probed, or a restore marker exists (another restore runs, or a killed one left it). Exit 3.
   */
  STORE_IN_USE: 'WT_ERR_RESTORE_STORE_IN_USE',
  /** An I/O failure while copying or swapping (what the restore created is removed; the store is as it was). Exit 1. */
  FAILED: 'WT_ERR_RESTORE_FAILED',
  /** SIGINT or SIGTERM before the swap: what the restore created is removed. Exit 128 + the signal's number (130, 143). */
  INTERRUPTED: 'WT_ERR_RESTORE_INTERRUPTED',
} as const;
/** One of {@link RestoreErrorCode}. */
export type RestoreErrorCode = (typeof RestoreErrorCode)[keyof typeof RestoreErrorCode];

/** A refused or failed restore: nothing was changed. */
export class RestoreError extends Error {
  constructor(
    readonly code: RestoreErrorCode,
    message: string,
    /** For INTERRUPTED: the signal (`SIGINT`, `SIGTERM`). */
    readonly signal?: NodeJS.Signals,
  ) {
    super(message);
    this.name = 'RestoreError';
  }

  /** Exit code of the command: 3 store in use, 1 I/O failure, 128 + signal number interrupted, 2 everything else (usage, a refused backup). */
  get exitCode(): number {
    if (this.code === RestoreErrorCode.STORE_IN_USE) return 3;
    if (this.code === RestoreErrorCode.FAILED) return 1;
    if (this.code === RestoreErrorCode.INTERRUPTED) return this.signal === 'SIGINT' ? 130 : 143;
    return 2;
  }
}

/** Throw a {@link RestoreError}. */
export const fail = (code: RestoreErrorCode, message: string): never => {
  throw new RestoreError(code, message);
};
