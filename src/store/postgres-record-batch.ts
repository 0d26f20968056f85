/**
 * Group commit of world records on the PostgreSQL store (src/store/postgres-store.ts `putWorldConfig`).
 *
 * Every world's record is written every 10 steps (src/persist/checkpointer.ts): 600 records a second
 * with 300 worlds. Alone, each was a transaction of its own (BEGIN, upsert, COMMIT: three round trips
 * and a WAL flush) holding one of the pool's 4 connections: from 40 worlds on operations queued for the
 * pool, and with 300 worlds of 50 NPCs (bench/many-worlds.ts --postgres) a create's record was not
 * confirmed in time. Records asked for within the window (`recordBatchMs`, default 20 ms, as on
 * SQLite) are written in ONE transaction by ONE statement (per round: a world asked for twice waits
 * for the next round of the same transaction), in world id order (two instances' batches lock rows in
 * the same order):
 *
 *   BEGIN; SET LOCAL lock_timeout           (with a fenced record: the fenced writes' bound, as one alone has)
 *   WITH input AS (unnest of world, config, token),
 *        fenced AS (fences upserted with GREATEST for the fenced ones  RETURNING the token now),
 *        written AS (world_configs upserted for the unfenced ones and the fenced ones whose token
 *                    is still the highest  RETURNING world_id)
 *   SELECT ...;  COMMIT
 *
 * Each record is answered alone, as a write alone would be: a fenced one whose token is stale is
 * refused `WT_ERR_STORE_FENCED` and changes nothing (its fence row stays as it was), the others are
 * written. A fence row locks only while the statement runs, after its parameters have all arrived:
 * a process paused while uploading a batch holds no world's row (one paused after the statement sits
 * idle in its transaction: `idle_in_transaction_session_timeout` ends it, as any write's).
 * When the statement fails for a record's own sake (a trigger or constraint refusing it) or waits too
 * long for a lock (`busy`: a fence row another writer holds, a deadlock), the batch is rolled back and
 * each record is written again alone (the store's own path), so only the refused one fails. Any other
 * failure (the server down, a timeout whose outcome is unknown) refuses every record of the batch with it.
 */
import type pg from 'pg';
import { isWorldtickError, storeFenced } from '../errors.js';
import { type BatchedWrite, RecordBatch } from './sqlite-record-batch.js';
import type { Fence, WorldConfigRecord } from './types.js';

/** One world record asked for: serialized when asked for (the value as it was then). */
export interface PgRecordWrite {
  worldId: string;
  text: string;
  fence?: Fence;
}

/** What a batch needs of its store. */
export interface PgRecordBatchStore {
  /**
   * Run `fn` as one counted write transaction (`fenced`: opened by the fenced writes' BEGIN, with their
   * lock_timeout; else a plain BEGIN, as an unfenced write alone); coded errors out.
   */
  transaction<T>(fenced: boolean, fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Write one record alone (the store's path without the batch). */
  single(w: PgRecordWrite): Promise<WorldConfigRecord>;
  /** Count a write refused for a stale token. */
  fenced(err: unknown): void;
}

const UPSERT = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(world_id, config, token, n)
  ),
  fenced AS (
    INSERT INTO fences (world_id, token)
    SELECT world_id, token FROM input WHERE token IS NOT NULL ORDER BY n
    ON CONFLICT (world_id) DO UPDATE SET token = GREATEST(fences.token, EXCLUDED.token)
    RETURNING world_id, token
  ),
  written AS (
    INSERT INTO world_configs (world_id, config, updated_at)
    SELECT i.world_id, i.config, $4 FROM input i LEFT JOIN fenced f ON f.world_id = i.world_id
    WHERE i.token IS NULL OR f.token <= i.token ORDER BY i.n
    ON CONFLICT (world_id) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
    RETURNING world_id
  )
  SELECT world_id, NULL::bigint AS token FROM written UNION ALL SELECT world_id, token FROM fenced`;

/** `items` split in rounds: each world once per round, in world id order within it (asked-for order kept per world). */
const roundsOf = <I extends { run: PgRecordWrite }>(items: readonly I[]): I[][] => {
  const rounds: I[][] = [];
  const seen = new Map<string, number>();
  for (const it of items) {
    const k = seen.get(it.run.worldId) ?? 0;
    seen.set(it.run.worldId, k + 1);
    (rounds[k] ??= []).push(it);
  }
  const byId = (a: I, b: I): number => (a.run.worldId < b.run.worldId ? -1 : a.run.worldId > b.run.worldId ? 1 : 0);
  return rounds.map((r) => r.sort(byId));
};

type Outcome = { ok: true; value: WorldConfigRecord } | { ok: false; err: unknown };

/** One round's statement on `c`: the outcome of each of `round` (same order). */
const writeRound = async (c: pg.PoolClient, round: readonly BatchedWrite<PgRecordWrite>[], now: number): Promise<Outcome[]> => {
  const r = await c.query(UPSERT, [
    round.map((it) => it.run.worldId),
    round.map((it) => it.run.text),
    round.map((it) => it.run.fence?.token ?? null),
    now,
  ]);
  const written = new Set<string>();
  const tokens = new Map<string, number>();
  for (const row of r.rows as Array<{ world_id: string; token: string | number | null }>) {
    if (row.token === null) written.add(row.world_id);
    else tokens.set(row.world_id, Number(row.token));
  }
  return round.map((it) => {
    const { worldId, text, fence } = it.run;
    if (written.has(worldId)) return { ok: true, value: { worldId, config: JSON.parse(text) as unknown, updatedAt: now } };
    const token = fence?.token ?? 0;
    return { ok: false, err: storeFenced(worldId, token, tokens.get(worldId) ?? token) };
  });
};

/** A failure of the whole batch that writing each record alone may cure for all but one (see the module comment). */
const retryAlone = (err: unknown): boolean =>
  !isWorldtickError(err) || Reflect.get(Object((err as { details?: unknown }).details), 'reason') === 'busy';

/**
 * Write `items` (a batch's records) as the module comment says and answer each. Resolves once every
 * one is answered; never rejects.
 */
export const commitPgRecords = async (store: PgRecordBatchStore, items: readonly BatchedWrite<PgRecordWrite>[]): Promise<void> => {
  const rounds = roundsOf(items);
  let outcomes: Array<{ it: BatchedWrite<PgRecordWrite>; out: Outcome }>;
  try {
    outcomes = await store.transaction(
      items.some((it) => it.run.fence !== undefined),
      async (c) => {
        const now = Date.now();
        const all: Array<{ it: BatchedWrite<PgRecordWrite>; out: Outcome }> = [];
        for (const round of rounds) {
          const outs = await writeRound(c, round, now);
          for (const [i, it] of round.entries()) all.push({ it, out: outs[i] ?? { ok: false, err: new Error('no outcome') } });
        }
        return all;
      },
    );
  } catch (err) {
    if (!retryAlone(err)) {
      for (const it of items) it.reject(err);
      return;
    }
    // Round after round: a world asked for twice keeps its later record.
    for (const round of rounds) await Promise.all(round.map((it) => store.single(it.run).then(it.resolve, it.reject)));
    return;
  }
  for (const { it, out } of outcomes) {
    if (out.ok) {
      it.resolve(out.value);
    } else {
      store.fenced(out.err);
      it.reject(out.err);
    }
  }
};

/** The world records of a store waiting for their group commit, and the commits in flight. A class: it owns the window's timer. */
export class PgRecordBatch {
  readonly #batch: RecordBatch<PgRecordWrite>;
  readonly #commits = new Set<Promise<void>>();

  /** `windowMs`: how long the first record waits for others (wall ms); `store`: what a commit needs of its store. */
  constructor(windowMs: number, store: PgRecordBatchStore) {
    this.#batch = new RecordBatch<PgRecordWrite>(windowMs, (items) => {
      const p = commitPgRecords(store, items);
      this.#commits.add(p);
      void p.finally(() => this.#commits.delete(p));
    });
  }

  /** Queue a record; answered alone once its batch committed. */
  add(w: PgRecordWrite): Promise<WorldConfigRecord> {
    return this.#batch.add<WorldConfigRecord>(w);
  }

  /** Send the records waiting now (their transaction enters the pool's queue before the caller's operation). */
  flush(): void {
    this.#batch.flush();
  }

  /** Once every commit sent so far has answered its records. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#commits]);
  }
}
