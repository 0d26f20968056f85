/**
 * What both directions of `npm run store-copy` report and check around the copy (src/cli/store-copy.ts):
 * the copy's connection, the refusal of a source whose ledger has verify mismatches, the report, and
 * the ledgers recomputed on both sides compared after the commit.
 */
import type pg from 'pg';
import { loadPg } from '../store/load-pg.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import { mapPgError } from '../store/postgres-tx.js';
import type { CopyPhaseMs, CopyResult } from '../store/store-copy-tables.js';
import type { OfflineReport } from './verify.js';

/** `application_name` of the copy's connection (find it in `pg_stat_activity`). */
export const STORE_COPY_APPLICATION = 'worldtick-store-copy';

/** What a copy reports (either direction). */
export interface StoreCopyReport {
  /** The source: its SQLite file, or host:port/database (never the user or password). */
  from: string;
  /** The target: host:port/database, or its SQLite file. */
  to: string;
  /** The source's schema before the copy and after its migration (equal when it was current). */
  sourceSchema: { from: number; to: number };
  /** The target's schema before (0: created by the copy) and after. */
  targetSchema: { from: number; to: number };
  tables: CopyResult['tables'];
  sequences: CopyResult['sequences'];
  /** The ledger recomputed on each side (`npm run verify`): players, entries read, mismatches (a source's own, accepted, are carried over: not a difference). */
  ledger: { source: LedgerFigures; target: LedgerFigures; same: boolean };
  /** Every table and the recomputed ledgers equal on both sides (the exit code is 0 only then). */
  ok: boolean;
  /** Wall milliseconds of the whole command. */
  ms: number;
  /**
   * Wall milliseconds of each step, in order: `lock` (both locks, the target checked empty), `open`
   * (the source opened, migrated if older), `sourceVerify` and `targetVerify` (the ledger recomputed on
   * each side), and the copy's own `migrate`, `insert`, `compare`, `commit` (src/store/store-copy-tables.ts).
   */
  phaseMs: { lock: number; open: number; sourceVerify: number } & CopyPhaseMs & { targetVerify: number };
}

/** The figures of an offline verify. */
interface LedgerFigures {
  players: number;
  entriesRead: number;
  mismatches: number;
}

const figures = (r: OfflineReport): LedgerFigures => ({ players: r.players, entriesRead: r.entriesRead, mismatches: r.mismatches.length });

/** The flag that copies a source whose ledger has verify mismatches. */
export const ACCEPT_SOURCE_MISMATCHES = '--accept-source-mismatches';

/** How many of a source's mismatches the refusal names (all are in its `details`). */
const NAMED_MISMATCHES = 3;

/** Options of a copy command. */
export interface StoreCopyOptions {
  /** Copy a source whose ledger has verify mismatches (refused by default: `WT_ERR_STORE_COPY_SOURCE_MISMATCH`). */
  acceptSourceMismatches?: boolean;
}

/**
 * The source's ledger recomputed (`source`): log it, and refuse a source with mismatches unless
 * `options.acceptSourceMismatches` (`WT_ERR_STORE_COPY_SOURCE_MISMATCH`: how many, the first few, the flag).
 */
export const checkSourceLedger = (source: OfflineReport, options: StoreCopyOptions, log: (line: string) => void): void => {
  const { mismatches } = source;
  log(`verified  the source's ledger: ${source.entriesRead} entries, ${source.players} player(s), ${mismatches.length} mismatch(es)`);
  if (!mismatches.length || options.acceptSourceMismatches === true) return;
  const named = mismatches.slice(0, NAMED_MISMATCHES).map((m) => `${m.playerId} ${m.field}: ledger ${m.ledger}, held ${m.held}`);
  const more = mismatches.length > NAMED_MISMATCHES ? `; … ${mismatches.length - NAMED_MISMATCHES} more` : '';
  throw new WorldtickError(
    ErrorCode.STORE_COPY_SOURCE_MISMATCH,
    `the source's ledger has ${mismatches.length} verify mismatch(es) (${named.join('; ')}${more}): a copy would carry them into the target — repair the source (npm run verify lists them) or copy it as it is with ${ACCEPT_SOURCE_MISMATCHES}`,
    { details: { mismatches } },
  );
};

/**
 * The report of a committed copy (`from` → `to`; `sourceSchema`: the source's migration; `phaseMs`: every
 * step's wall ms, the copy's own included), its ledgers recomputed on both sides compared: throws
 * `WT_ERR_STORE_COPY_MISMATCH` (the report in `details`) when the target's differs from the source's.
 */
export const finishReport = (
  ends: { from: string; to: string; sourceSchema: { from: number; to: number }; t0: number },
  copy: CopyResult,
  phaseMs: StoreCopyReport['phaseMs'],
  source: OfflineReport,
  target: OfflineReport,
  log: (line: string) => void,
): StoreCopyReport => {
  const same =
    JSON.stringify(target.balances) === JSON.stringify(source.balances) &&
    target.entriesRead === source.entriesRead &&
    JSON.stringify(target.mismatches) === JSON.stringify(source.mismatches);
  const report: StoreCopyReport = {
    from: ends.from,
    to: ends.to,
    sourceSchema: ends.sourceSchema,
    targetSchema: { from: copy.migration.from, to: copy.migration.to },
    tables: copy.tables,
    sequences: copy.sequences,
    ledger: { source: figures(source), target: figures(target), same },
    ok: same,
    ms: Math.round(performance.now() - ends.t0),
    phaseMs,
  };
  if (!same)
    throw new WorldtickError(
      ErrorCode.STORE_COPY_MISMATCH,
      `the ledger recomputed on the target differs from the source's (committed: empty the target before copying again)`,
      { details: report },
    );
  log(
    `verified  the target's ledger: ${target.players} player(s), balances equal to the source's${target.ok ? '' : ` (${target.mismatches.length} mismatch(es), the same as in the source: npm run verify lists them)`}`,
  );
  return report;
};

/** A connection of the copy's own to `url` (a failure mapped to a coded error). */
export const connectCopy = async (url: string): Promise<pg.Client> => {
  const { Client } = loadPg();
  const c = new Client({ connectionString: url, application_name: STORE_COPY_APPLICATION, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined); // a lost connection fails the query in flight: reported there
  try {
    await c.connect();
  } catch (err) {
    await c.end().catch(() => undefined);
    throw mapPgError(err);
  }
  return c;
};
