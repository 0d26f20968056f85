/**
 * A world's game facts as data (below the assembly: the game slot holds it): the declared facts by
 * name, how many of each are waiting for the next step, and the counters. Handlers are looked up
 * by name in the game definition (src/game/facts.ts); the queue itself is the world's ingest
 * buffer of type {@link GAME_FACT_INGEST_TYPE}, so the recorder sees every fact applied and a
 * replay re-applies them from the log.
 *
 *   deliverToWorld(world, 'settle', payload)  ── JSON copy, checked ──► ingest 'game.fact' [name, payload]
 *   next step, ingest phase (floor lane `critical`): apply(world, frozen payload), in delivery order
 */

/** Ingest type of game facts (every name shares it, so facts apply in delivery order across names). */
export const GAME_FACT_INGEST_TYPE = 'game.fact';

/** One declared fact, as the world's state needs it. */
export interface FactEntry {
  readonly name: string;
  /** Index in the game's `facts` (the ingest key of its facts). */
  readonly index: number;
  /** Most facts of this name waiting for a step. */
  readonly capacity: number;
  /** Largest payload: its JSON text in UTF-8 bytes. */
  readonly maxBytes: number;
}

/** Counters of a world's game facts (totals since the world was built). */
export interface GameFactCounters {
  /** Queued by `deliverToWorld`. */
  delivered: number;
  /** Applied inside a step (live or replayed). */
  applied: number;
  /** Refused because the name's queue held `capacity` facts (`deliverToWorld` returned false). */
  full: number;
  /** Refused with `WT_ERR_GAME_FACT_INVALID` (unknown name, bad payload). */
  invalid: number;
  /** Handlers that threw (counted, the fact discarded; the ingest counts it in `applyErrors` too). */
  failed: number;
  /** Delivered while the world is a replay: not queued, the log holds what the live world applied. */
  discardedInReplay: number;
}

/** A world's game facts (the game slot's `facts`). */
export interface GameFactState {
  readonly byName: ReadonlyMap<string, FactEntry>;
  /** Facts waiting for the next step, per name. */
  readonly pending: Map<string, number>;
  readonly counters: GameFactCounters;
}

/** Fresh fact state for the declared entries. */
export const createFactState = (entries: readonly FactEntry[]): GameFactState => ({
  byName: new Map(entries.map((e) => [e.name, e])),
  pending: new Map(entries.map((e) => [e.name, 0])),
  counters: { delivered: 0, applied: 0, full: 0, invalid: 0, failed: 0, discardedInReplay: 0 },
});
