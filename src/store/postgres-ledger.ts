/**
 * Ledger statements of the PostgreSQL store (src/store/postgres-store.ts) that take a client: the
 * batch insert of `commitLedger`, the lookup of entries by (player, key), and those on recorded
 * refusals (`rejected` rows) — their retention (src/ledger/refusal-retention.ts) and the reading a new ledger service starts a
 * player's refusal budget from (src/ledger/refusal-budget.ts), both on partial indexes of refusals
 * only (schema 6 `ledger_refusals_created`, schema 7 `ledger_refusals_player`).
 */
import type pg from 'pg';
import { intactBalance, LEDGER_READ_LIMIT, LEDGER_SUMS_SQL, rebuiltBalance, toLedgerEntry } from './rows.js';
import { refuseStaleOrDamaged, representable } from './ledger-types.js';
import type { Balance, LedgerCommitResult, LedgerEntry, LedgerEntryInput, LedgerExpectation, LedgerQuery, PlayerLedger } from './types.js';

type Row = Record<string, unknown>;

/** Entries of the given (player, key) pairs, in seq order (missing pairs are absent). */
export const findLedgerIn = async (c: pg.PoolClient, refs: ReadonlyArray<{ playerId: string; key: string }>): Promise<LedgerEntry[]> => {
  if (!refs.length) return [];
  const r = await c.query(
    `SELECT l.* FROM ledger l JOIN unnest($1::text[], $2::text[]) AS r(p, k) ON l.player_id = r.p AND l.idem_key = r.k ORDER BY l.seq`,
    [refs.map((x) => x.playerId), refs.map((x) => x.key)],
  );
  return (r.rows as Array<Record<string, unknown>>).map(toLedgerEntry);
};

/**
 * Refuse the transaction `WT_ERR_LEDGER_STALE` when a player's stored balance moved past `expect`
 * (Store.commitLedger). The players' balance rows are locked first (sorted: no deadlock between two
 * batches), so a writer of the same player in another transaction waits and then sees this one's
 * entries. A player expected with no row yet (`lastSeq` 0, no `ok` entry) gets a neutral one first
 * (0 coins, no items, `last_seq` 0: read as no row, docs/DURABILITY.md): a second writer's insert of
 * that row waits until this transaction ends, then finds it, locks it and sees this one's entries.
 * A player expected at a `lastSeq` above 0 has a row already (rows are never deleted), so a batch of
 * such players only does the locking SELECT, as before. A locked row that is damaged (rows.ts
 * `intactBalance`) is rewritten from the player's entries before the insert, whose trigger would fail
 * on its text and with it every player's entries of the batch; `onDamaged` counts each. One its entries cannot
 * rebuild (their sum past a BIGINT: ledger-types.ts `representable`) refuses the batch `WT_ERR_LEDGER_DAMAGED` for it.
 */
export const checkExpectedIn = async (c: pg.PoolClient, expect: LedgerExpectation, onDamaged: () => void): Promise<void> => {
  const ids = [...expect.keys()].sort();
  const fresh = ids.filter((id) => expect.get(id) === 0);
  if (fresh.length) {
    await c.query(
      `INSERT INTO ledger_balances (player_id, coins, items, last_seq)
         SELECT id, 0, '{}', 0 FROM unnest($1::text[]) AS u(id) ORDER BY id ON CONFLICT (player_id) DO NOTHING`,
      [fresh],
    );
  }
  const r = await c.query(
    'SELECT player_id, coins, items, last_seq FROM ledger_balances WHERE player_id = ANY($1) ORDER BY player_id FOR UPDATE',
    [ids],
  );
  const stored = new Map<string, number | null>();
  for (const row of r.rows as Row[]) {
    const intact = intactBalance(row);
    if (intact) {
      stored.set(String(row.player_id), intact.lastSeq);
      continue;
    }
    const b = await rebuiltIn(c, String(row.player_id), onDamaged);
    if (!representable(b)) {
      stored.set(String(row.player_id), null); // its entries sum past a BIGINT: refused for this player (LEDGER_DAMAGED)
      continue;
    }
    await c.query('UPDATE ledger_balances SET coins = $1, items = $2, last_seq = $3 WHERE player_id = $4', [
      b.coins,
      JSON.stringify(b.items),
      b.lastSeq,
      row.player_id,
    ]);
    stored.set(String(row.player_id), b.lastSeq);
  }
  refuseStaleOrDamaged(expect, (id) => (stored.has(id) ? (stored.get(id) ?? null) : 0));
};

/**
 * Insert a batch of entries in one statement (`Store.commitLedger`, inside its transaction): an
 * entry whose (player, key) exists already, or repeats an earlier one of the batch, comes back as
 * a duplicate carrying the stored entry. `inserted`: how many rows the batch added.
 */
export const insertLedgerBatch = async (
  c: pg.PoolClient,
  entries: readonly LedgerEntryInput[],
): Promise<{ results: LedgerCommitResult[]; inserted: number }> => {
  const col = <K extends keyof LedgerEntryInput>(k: K): Array<LedgerEntryInput[K]> => entries.map((e) => e[k]);
  // One statement for the whole batch (unnest keeps it to 12 parameters however large).
  const ins = await c.query(
    `INSERT INTO ledger (world_id, player_id, idem_key, kind, item, quantity, unit_price, coins_delta, status, code, fingerprint, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
                            $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[])
       ON CONFLICT (player_id, idem_key) DO NOTHING RETURNING seq, player_id, idem_key`,
    [
      col('worldId'),
      col('playerId'),
      col('key'),
      col('kind'),
      col('item'),
      col('quantity'),
      col('unitPrice'),
      col('coinsDelta'),
      col('status'),
      col('code'),
      col('fingerprint'),
      col('createdAt'),
    ],
  );
  const seqOf = new Map<string, number>();
  for (const r of ins.rows as Row[]) seqOf.set(`${String(r.player_id)}\u0000${String(r.idem_key)}`, Number(r.seq));
  const missing = entries.filter((e) => !seqOf.has(`${e.playerId}\u0000${e.key}`));
  const existing = new Map<string, LedgerEntry>();
  if (missing.length) {
    for (const e of await findLedgerIn(c, missing)) existing.set(`${e.playerId}\u0000${e.key}`, e);
  }
  const claimed = new Set<string>();
  const results: LedgerCommitResult[] = entries.map((e) => {
    const k = `${e.playerId}\u0000${e.key}`;
    const seq = seqOf.get(k);
    // A key repeated inside one batch: the first occurrence was inserted, later ones are duplicates.
    if (seq !== undefined && !claimed.has(k)) {
      claimed.add(k);
      return { entry: { ...e, seq }, duplicate: false };
    }
    const found =
      existing.get(k) ?? (seq !== undefined ? { ...entries.find((x) => `${x.playerId}\u0000${x.key}` === k)!, seq } : undefined);
    if (!found) throw new Error(`ledger entry ${k} neither inserted nor found`);
    return { entry: found, duplicate: true };
  });
  return { results, inserted: ins.rows.length };
};

/** Delete at most `limit` refusals created before `beforeMs`, oldest first (`Store.pruneLedgerRefusals`). */
export const pruneRefusals = async (c: pg.PoolClient, beforeMs: number, limit: number): Promise<number> => {
  const sql = `DELETE FROM ledger WHERE seq IN
    (SELECT seq FROM ledger WHERE status = 'rejected' AND created_at < $1 ORDER BY created_at LIMIT $2)`;
  return (await c.query(sql, [beforeMs, limit])).rowCount ?? 0;
};

/** Creation times, oldest first, of a player's newest `limit` refusals in a world since `sinceMs` (`Store.ledgerRefusalTimes`). */
export const refusalTimes = async (
  c: pg.PoolClient,
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

/** Entries in seq order (`Store.readLedger`). */
export const readLedgerIn = async (c: pg.PoolClient, query: LedgerQuery): Promise<LedgerEntry[]> => {
  const where: string[] = ['seq > $1'];
  const args: unknown[] = [query.afterSeq ?? 0];
  if (query.playerId !== undefined) {
    args.push(query.playerId);
    where.push(`player_id = $${args.length}`);
  }
  if (query.worldId !== undefined) {
    args.push(query.worldId);
    where.push(`world_id = $${args.length}`);
  }
  args.push(Math.min(Math.max(1, query.limit ?? LEDGER_READ_LIMIT), LEDGER_READ_LIMIT));
  const r = await c.query(`SELECT * FROM ledger WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${args.length}`, args);
  return (r.rows as Row[]).map(toLedgerEntry);
};

/** The balance of a player whose summary row is damaged, summed from its entries (rows.ts `rebuiltBalance`). */
const rebuiltIn = async (c: pg.PoolClient, playerId: string, onDamaged: () => void): Promise<Balance> => {
  onDamaged();
  const totals = (await c.query(LEDGER_SUMS_SQL.totals.replace('{1}', '$1'), [playerId])).rows[0] as Row | undefined;
  return rebuiltBalance(totals, (await c.query(LEDGER_SUMS_SQL.items.replace('{1}', '$1'), [playerId])).rows as Row[]);
};

/** A player's balance from its summary row (`Store.ledgerBalance`; a damaged one: summed from its entries). */
export const ledgerBalanceIn = async (c: pg.PoolClient, playerId: string, onDamaged: () => void): Promise<Balance> => {
  const r = await c.query('SELECT coins, items, last_seq FROM ledger_balances WHERE player_id = $1', [playerId]);
  const row = r.rows[0] as Row | undefined;
  if (!row) return { coins: 0, items: {}, lastSeq: 0 };
  return intactBalance(row) ?? rebuiltIn(c, playerId, onDamaged);
};

/**
 * The transaction of `Store.readPlayerLedger`: its snapshot is taken at its first SELECT and serves
 * the second too, so a commit landing between them is in neither; READ ONLY takes no write lock.
 */
export const SNAPSHOT_BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** A player's entries, then balance, on `c` (`Store.readPlayerLedger`, inside a {@link SNAPSHOT_BEGIN} transaction). */
export const playerLedgerIn = async (
  c: pg.PoolClient,
  playerId: string,
  query: Omit<LedgerQuery, 'playerId' | 'worldId'>,
  onDamaged: () => void,
): Promise<PlayerLedger> => {
  const entries = await readLedgerIn(c, { ...query, playerId });
  return { entries, balance: await ledgerBalanceIn(c, playerId, onDamaged) };
};
