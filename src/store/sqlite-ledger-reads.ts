/**
 * Ledger reads of the SQLite store (src/store/sqlite-store.ts): entries by (player, key), and pages of
 * the ledger by player and/or world. Synchronous; the store runs them as counted operations.
 */
import type Database from 'better-sqlite3';
import { LEDGER_READ_LIMIT, toLedgerEntry } from './rows.js';
import type { LedgerEntry, LedgerQuery } from './types.js';

type Row = Record<string, unknown>;

/** The reads over `db`; `findLedger` is the store's prepared `(player_id, key)` lookup. */
export const sqliteLedgerReads = (db: Database.Database, findLedger: Database.Statement) => {
  /**
   * Prepared statements of ledger reads by SQL text (one of four shapes: by player, world, both,
   * neither), prepared once: every join reads its player's ledger (the wallet's catch-up), and
   * preparing the statement each time was most of that read's cost (a `--cpu-prof` of a join churn).
   */
  const prepared = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let st = prepared.get(sql);
    if (!st) {
      st = db.prepare(sql);
      prepared.set(sql, st);
    }
    return st;
  };
  return {
    find(refs: ReadonlyArray<{ playerId: string; key: string }>): LedgerEntry[] {
      const out: LedgerEntry[] = [];
      for (const r of refs) {
        const row = findLedger.get(r.playerId, r.key) as Row | undefined;
        if (row) out.push(toLedgerEntry(row));
      }
      return out;
    },
    read(query: LedgerQuery): LedgerEntry[] {
      const where: string[] = ['seq > ?'];
      const args: unknown[] = [query.afterSeq ?? 0];
      if (query.playerId !== undefined) {
        where.push('player_id = ?');
        args.push(query.playerId);
      }
      if (query.worldId !== undefined) {
        where.push('world_id = ?');
        args.push(query.worldId);
      }
      args.push(Math.min(Math.max(1, query.limit ?? LEDGER_READ_LIMIT), LEDGER_READ_LIMIT));
      const rows = statement(`SELECT * FROM ledger WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...args) as Row[];
      return rows.map(toLedgerEntry);
    },
  };
};
