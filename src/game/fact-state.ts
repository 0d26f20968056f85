/**
 * A world's game facts as data (below the assembly: the game slot holds it): the declared facts by
 * name, how many of each are waiting for the next step, and the counters. Handlers are looked up
 * by name in the game definition (src/game/facts.ts); the queue itself is the world's ingest
 * buffer of type {@link GAME_FACT_INGEST_TYPE}, so the recorder sees every fact applied and a
 * replay re-applies them from the log.
 *
 *   deliverToWorld(world, 'settle', payload)  ── JSON copy, checked ──► ingest 'game.fact' [name, payload]
 *                                             └─ the same fact, its JSON text ──► waiting (FIFO, checkpointed)
 *   next step, ingest phase (floor lane `critical`): apply(world, frozen payload), in delivery order
 *                                                    (the waiting entry holding that very fact leaves)
 *
 * `waiting` mirrors the ingest queue: one entry per fact queued by `deliverToWorld` (or put back by a
 * restore), in the same order, holding the very `[name, payload]` array queued, so the apply tells a
 * queued fact (it is the waiting head) from one re-applied from an input log (a replay: never waiting).
 * A checkpoint copies the waiting facts' JSON texts (src/persist/fact-sections.ts).
 */

/** Ingest type of game facts (every name shares it, so facts apply in delivery order across names). */
export const GAME_FACT_INGEST_TYPE = 'game.fact';

/**
 * Most facts waiting for a step in one world, all names together (a world-wide bound next to each
 * name's `capacity`): one more is refused (`deliverToWorld` returns false, counted `limited`).
 */
export const MAX_PENDING_FACTS = 65_536;
/** Most bytes of payload JSON (UTF-8) waiting for a step in one world: what a checkpoint copies at most. */
export const MAX_PENDING_FACT_BYTES = 8 << 20;

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
  /**
   * Delivered while the world is a replay (not queued, the log holds what the live world applied), or
   * restored waiting from the replay's starting checkpoint (the log holds them too: not applied twice).
   */
  discardedInReplay: number;
  /** Refused because the world's waiting facts were at `MAX_PENDING_FACTS` or their payloads at `MAX_PENDING_FACT_BYTES`. */
  limited: number;
  /** Waiting in a checkpoint but not put back at its restore: the game no longer declares the name, or its queue had no room left (capacities lowered). */
  dropped: number;
}

/** A fact waiting for a step: the `[name, payload]` array in the ingest queue and its payload's JSON text. */
export interface WaitingFact {
  readonly fact: readonly [string, unknown];
  readonly json: string;
  /** UTF-8 bytes of `json`. */
  readonly bytes: number;
}

/** A world's game facts (the game slot's `facts`). */
export interface GameFactState {
  readonly byName: ReadonlyMap<string, FactEntry>;
  /** Facts waiting for the next step, per name. */
  readonly pending: Map<string, number>;
  /** The facts waiting, oldest first from `head` (entries before it have been applied). */
  readonly waiting: (WaitingFact | undefined)[];
  head: number;
  /** UTF-8 bytes of the waiting facts' payload JSON (at most {@link MAX_PENDING_FACT_BYTES}). */
  waitingBytes: number;
  readonly counters: GameFactCounters;
}

/** Fresh fact state for the declared entries. */
export const createFactState = (entries: readonly FactEntry[]): GameFactState => ({
  byName: new Map(entries.map((e) => [e.name, e])),
  pending: new Map(entries.map((e) => [e.name, 0])),
  waiting: [],
  head: 0,
  waitingBytes: 0,
  counters: { delivered: 0, applied: 0, full: 0, invalid: 0, failed: 0, discardedInReplay: 0, limited: 0, dropped: 0 },
});

/** How many facts wait for a step. */
export const waitingCount = (state: GameFactState): number => state.waiting.length - state.head;

/** Add a queued fact at the end of the waiting list (its name's pending count grows). */
export const addWaiting = (state: GameFactState, w: WaitingFact): void => {
  state.waiting.push(w);
  state.waitingBytes += w.bytes;
  state.pending.set(w.fact[0], (state.pending.get(w.fact[0]) ?? 0) + 1);
};

/**
 * Take `fact` off the waiting list if it is the oldest waiting one (a queued fact being applied);
 * false for any other (a fact re-applied from an input log). The list is reset once empty — the
 * ingest drains the `critical` lane completely every step — or compacted when mostly applied slots,
 * so it never grows much past what waits.
 */
export const takeWaiting = (state: GameFactState, fact: unknown): boolean => {
  const w = state.waiting[state.head];
  if (w === undefined || w.fact !== fact) return false;
  state.waiting[state.head++] = undefined;
  state.waitingBytes -= w.bytes;
  const name = w.fact[0];
  state.pending.set(name, Math.max(0, (state.pending.get(name) ?? 0) - 1));
  if (state.head === state.waiting.length) {
    state.waiting.length = 0;
    state.head = 0;
  } else if (state.head >= 1024 && state.head * 2 >= state.waiting.length) {
    // Never empty at a step's end (a fact's apply delivers another every step): drop the applied
    // slots now and then (amortized O(1) per fact), so the list holds what waits, not its history.
    state.waiting.splice(0, state.head);
    state.head = 0;
  }
  return true;
};
