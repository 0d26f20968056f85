/**
 * Ledger statements of the PostgreSQL store (src/store/postgres-store.ts) that take a client: the
 * lookup of entries by (player, key), and those on recorded refusals (`rejected` rows) — their
 * retention (src/ledger/refusal-retention.ts) and the reading a new ledger service starts a
 * player's refusal budget from (src/ledger/refusal-budget.ts), both on partial indexes of refusals
 * only (schema 6 `ledger_refusals_created`, schema 7 `ledger_refusals_player`).
 */
import type pg from 'pg';
import { toLedgerEntry } from './rows.js';
import type { LedgerEntry } from './types.js';

/** Entries of the given (player, key) pairs, in seq order (missing pairs are absent). */
export const findLedgerIn = async (
  c: pg.Pool | pg.PoolClient,
  refs: ReadonlyArray<{ playerId: string; key: string }>,
): Promise<LedgerEntry[]> => {
  if (!refs.length) return [];
  const r = await c.query(
    `SELECT l.* FROM ledger l JOIN unnest($1::text[], $2::text[]) AS r(p, k) ON l.player_id = r.p AND l.idem_key = r.k ORDER BY l.seq`,
    [refs.map((x) => x.playerId), refs.map((x) => x.key)],
  );
  return (r.rows as Array<Record<string, unknown>>).map(toLedgerEntry);
};

/** Delete at most `limit` refusals created before `beforeMs`, oldest first (`Store.pruneLedgerRefusals`). */
export const pruneRefusals = async (c: pg.Pool | pg.PoolClient, beforeMs: number, limit: number): Promise<number> => {
  const sql = `DELETE FROM ledger WHERE seq IN
    (SELECT seq FROM ledger WHERE status = 'rejected' AND created_at < $1 ORDER BY created_at LIMIT $2)`;
  return (await c.query(sql, [beforeMs, limit])).rowCount ?? 0;
};

/** Creation times, oldest first, of a player's newest `limit` refusals in a world since `sinceMs` (`Store.ledgerRefusalTimes`). */
export const refusalTimes = async (
  c: pg.Pool | pg.PoolClient,
  worldId: string,
  playerId: string,
  sinceMs: number,
  limit: number,
): Promise<number[]> => {
  const r = await c.query(
    `SELECT created_at FROM ledger WHERE player_id = $1 AND world_id = $2 AND status = 'rejected'
     AND created_at >= $3 ORDER BY created_at DESC LIMIT $4`,
    [playerId, worldId, sinceMs, limit],
  );
  return (r.rows as Array<{ created_at: unknown }>).map((row) => Number(row.created_at)).reverse();
};
