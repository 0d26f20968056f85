/**
 * Ledger reads of the SQLite store (src/store/sqlite-store.ts): entries by (player, key), pages of
 * the ledger by player and/or world, a player's balance, a player's entries with the balance
 * from one snapshot, the balance a ledger commit expects, and a player's recorded refusal times (with
 * the deletion of refusals past their retention). Synchronous; the store runs them as counted operations.
 */
import type Database from 'better-sqlite3';
import { intactBalance, LEDGER_READ_LIMIT, rebuiltBalance, storedInt, toLedgerEntry } from './rows.js';
import { representable } from './ledger-types.js';
import type { Balance, LedgerEntry, LedgerQuery, PlayerLedger } from './types.js';

type Row = Record<string, unknown>;

/**
 * The reads over `db`; `stmt` holds the store's prepared `findLedger` (`(player_id, key)` lookup) and
 * `ledgerBalance` (a player's summary row), `ledgerTotals` and `ledgerItems` (a player's sums from its
 * entries, for a damaged summary row: `onDamaged` counts one).
 */
export const sqliteLedgerReads = (db: Database.Database, stmt: Record<string, Database.Statement>, onDamaged: () => void) => {
  const findLedger = stmt.findLedger!;
  const balanceRow = stmt.ledgerBalance!;
  const rebuilt = (playerId: string): Balance => {
    onDamaged();
    return rebuiltBalance(stmt.ledgerTotals!.get(playerId) as Row | undefined, stmt.ledgerItems!.all(playerId) as Row[]);
  };
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
  const read = (query: LedgerQuery): LedgerEntry[] => {
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
  };
  const balance = (playerId: string): Balance => {
    const row = balanceRow.get(playerId) as Row | undefined;
    if (!row) return { coins: 0, items: {}, lastSeq: 0 };
    return intactBalance(row) ?? rebuilt(playerId);
  };
  /**
   * The stored `last_seq` of a player a ledger batch expects (0: no row), inside the batch's transaction;
   * a damaged row (rows.ts `intactBalance`) is rewritten from the player's entries first: the insert's
   * trigger would fail on its text, and with it every player's entries of the batch. Null when those entries
   * cannot rebuild it (their sum past an integer: `representable`).
   */
  const expectedSeq = (playerId: string): number | null => {
    const row = balanceRow.get(playerId) as Row | undefined;
    if (!row) return 0;
    const intact = intactBalance(row);
    if (intact) return intact.lastSeq;
    const b = rebuilt(playerId);
    if (!representable(b)) return null; // its entries sum past an integer: the batch is refused for this player (LEDGER_DAMAGED)
    stmt.rewriteBalance!.run(b.coins, JSON.stringify(b.items), b.lastSeq, playerId);
    return b.lastSeq;
  };
  // Not exported as such: its type (better-sqlite3's Transaction) cannot be named in the package's declarations.
  const snapshot = db.transaction(
    (playerId: string, query: Omit<LedgerQuery, 'playerId' | 'worldId'>): PlayerLedger => ({
      entries: read({ ...query, playerId }),
      balance: balance(playerId),
    }),
  );
  return {
    find(refs: ReadonlyArray<{ playerId: string; key: string }>): LedgerEntry[] {
      const out: LedgerEntry[] = [];
      for (const r of refs) {
        const row = findLedger.get(r.playerId, r.key) as Row | undefined;
        if (row) out.push(toLedgerEntry(row));
      }
      return out;
    },
    read,
    balance,
    expectedSeq,
    /**
     * A player's entries and balance back to back in one deferred (read-only) transaction: nothing of
     * this process runs between them (synchronous, no await), and the transaction's snapshot keeps a
     * commit of another connection (another process on the file) out of both or in both.
     */
    player: (playerId: string, query: Omit<LedgerQuery, 'playerId' | 'worldId'> = {}): PlayerLedger => snapshot(playerId, query),
    /** A player's refusal times in a world since `sinceMs`, the newest `limit`, oldest first (Store.ledgerRefusalTimes). */
    refusalTimes: (worldId: string, playerId: string, sinceMs: number, limit: number): number[] =>
      (stmt.refusalTimes!.all(playerId, worldId, sinceMs, limit) as Row[]).map((r) => storedInt(r.created_at)).reverse(),
    /** Delete at most `limit` refusals made before `beforeMs`, then damaged ones (sqlite-statements.ts); the count. */
    pruneRefusals(beforeMs: number, limit: number): number {
      const n = stmt.pruneRefusals!.run(beforeMs, limit).changes;
      return n < limit ? n + stmt.pruneDamagedRefusals!.run(limit - n).changes : n;
    },
  };
};
