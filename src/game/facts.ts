/**
 * Game facts: results that come from outside the step (a ledger answer, loaded player data, an
 * HTTP call of the game's own) brought back into the world the supported way (docs/GAME-API.md
 * "Facts from outside the step").
 *
 *   purchaseForPlayer(...).then((res) => deliverToWorld(world, 'settle', { ... }))   (any time)
 *        JSON copy, checked (plain data, ≤ maxBytes) ─► ingest 'game.fact' [name, payload]
 *   next step, ingest phase: the fact's `apply(world, payload)`, in delivery order
 *        the recorder logs it as it applies; a replay re-applies it from the log, and a
 *        `deliverToWorld` made during the replay (its async source answered anew) queues nothing
 *
 * Bounded: at most `capacity` facts of a name, and {@link MAX_PENDING_FACTS} facts /
 * {@link MAX_PENDING_FACT_BYTES} bytes of payload JSON in all, wait for a step; one more is refused
 * (returns false, counted `full` / `limited`). Waiting facts are not in the state hash; a checkpoint
 * keeps them (src/persist/fact-sections.ts) and its restore puts them back in the queue
 * ({@link restoreWaitingFacts}), so they apply in the restored world's first step.
 */
import { checkWorld } from '../core/check-world.js';
import { gameFactInvalid } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import {
  addWaiting,
  createFactState,
  GAME_FACT_INGEST_TYPE,
  MAX_PENDING_FACT_BYTES,
  MAX_PENDING_FACTS,
  takeWaiting,
  waitingCount,
  type FactEntry,
  type GameFactCounters,
  type GameFactState,
} from './fact-state.js';
import type { GameWorld } from './pipeline.js';
import { plainJsonText } from './plain-json.js';

export { GAME_FACT_INGEST_TYPE, MAX_PENDING_FACT_BYTES, MAX_PENDING_FACTS, type GameFactCounters } from './fact-state.js';

/** Default most facts of one name waiting for a step, per world. */
export const DEFAULT_FACT_CAPACITY = 1024;
/** Default largest fact payload: its JSON text in UTF-8 bytes. */
export const DEFAULT_FACT_MAX_BYTES = 4096;
/** Largest `maxBytes` a fact may declare (a fact is logged whole by the recorder). */
export const MAX_FACT_BYTES = 65_536;
/** Largest `capacity` a fact may declare. */
export const MAX_FACT_CAPACITY = 65_536;

/**
 * A fact of the game: a named result from outside the step, applied inside the next step by
 * `apply(world, payload)` (ingest phase). The payload is a frozen copy of what was delivered
 * (plain JSON data). A throw is counted (`failed`) and the fact discarded; the world goes on.
 */
export interface FactDef<P = unknown> {
  /** 1-64 characters of A-Z a-z 0-9 _ . : -, unique among the game's facts. */
  name: string;
  apply(world: GameWorld, payload: P): void;
  /** Most facts of this name waiting for a step (default {@link DEFAULT_FACT_CAPACITY}; 1..{@link MAX_FACT_CAPACITY}). */
  capacity?: number;
  /** Largest payload, JSON bytes (default {@link DEFAULT_FACT_MAX_BYTES}; 16..{@link MAX_FACT_BYTES}). */
  maxBytes?: number;
}

/** Define a fact (identity; ties `deliverToWorld`'s payload type to the handler's). */
export const defineFact = <P>(def: FactDef<P>): FactDef<P> => def;

/** A validated fact of a game definition. */
export interface CompiledFact extends FactDef {
  readonly index: number;
  readonly capacity: number;
  readonly maxBytes: number;
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Validate a game's facts (problems appended, named by path). */
export const compileFacts = (defs: readonly FactDef<never>[], problems: string[]): CompiledFact[] => {
  const out: CompiledFact[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(defs)) {
    problems.push('facts must be an array of fact definitions (defineFact)');
    return out;
  }
  defs.forEach((raw, i) => {
    const d = raw as FactDef | undefined;
    const where = `facts[${i}]`;
    if (typeof d !== 'object' || d === null) {
      problems.push(`${where} must be { name, apply, capacity?, maxBytes? }`);
      return;
    }
    let ok = true;
    if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) {
      problems.push(`${where}.name must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
      ok = false;
    } else if (seen.has(d.name)) {
      problems.push(`${where}: fact ${d.name} is defined twice`);
      ok = false;
    } else seen.add(d.name);
    if (typeof d.apply !== 'function') {
      problems.push(`${where}.apply must be a function`);
      ok = false;
    }
    const capacity = d.capacity ?? DEFAULT_FACT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_FACT_CAPACITY) {
      problems.push(`${where}.capacity must be an integer between 1 and ${MAX_FACT_CAPACITY}`);
      ok = false;
    }
    const maxBytes = d.maxBytes ?? DEFAULT_FACT_MAX_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 16 || maxBytes > MAX_FACT_BYTES) {
      problems.push(`${where}.maxBytes must be an integer between 16 and ${MAX_FACT_BYTES}`);
      ok = false;
    }
    if (ok) out.push({ ...d, index: out.length, capacity, maxBytes });
  });
  return out;
};

const deepFreeze = (v: unknown): unknown => {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  for (const x of Object.values(v)) deepFreeze(x);
  return Object.freeze(v);
};

/**
 * Give a world the facts of its game: the `game.fact` ingest type (one queue for every name, so
 * facts apply in delivery order; floor lane `critical`: drained completely every step, never cut
 * by the controller) and the fact state. Null when the game declares no facts (no ingest type).
 */
export const installFacts = (world: SimWorld, facts: readonly CompiledFact[]): GameFactState | null => {
  if (facts.length === 0) return null;
  const entries: FactEntry[] = facts.map((f) => ({ name: f.name, index: f.index, capacity: f.capacity, maxBytes: f.maxBytes }));
  const state = createFactState(entries);
  const handlers = new Map(facts.map((f) => [f.name, f.apply]));
  const { counters } = state;
  if (!world.ingest.has(GAME_FACT_INGEST_TYPE))
    world.ingest.define(GAME_FACT_INGEST_TYPE, {
      mode: 'queue',
      // The per-name bounds are checked first (deliverToWorld); the buffer holds them all.
      capacity: Math.min(
        entries.reduce((n, e) => n + e.capacity, 0),
        1 << 20,
      ),
      lane: 'critical',
      dropPolicy: 'rejectNewest',
      apply: (_w, _key, fact) => {
        // Live: [name, payload] as deliverToWorld pushed it; replayed: as the log holds it.
        const name = Array.isArray(fact) && fact.length === 2 && typeof fact[0] === 'string' ? (fact[0] as string) : null;
        const run = name === null ? undefined : handlers.get(name);
        if (name === null || run === undefined) {
          counters.failed++;
          throw gameFactInvalid(name ?? '?', 'not a fact of the game (a malformed or foreign log entry)');
        }
        // A queued fact leaves the waiting list; one re-applied from an input log was never on it.
        if (takeWaiting(state, fact) && world.game?.replay) {
          // Put back by the restore of a replay's starting checkpoint: the log holds it, at the step the live world applied it.
          counters.discardedInReplay++;
          return;
        }
        counters.applied++;
        try {
          run(world, deepFreeze((fact as unknown[])[1]));
        } catch (err) {
          counters.failed++;
          throw err;
        }
      },
    });
  return state;
};

/**
 * Queue fact `name` with payload `value` (a fresh copy parsed from `json`, `bytes` long): in the ingest
 * buffer and on the waiting list. False when the buffer refuses it.
 */
const queueFact = (world: GameWorld, state: GameFactState, index: number, name: string, f: Omit<SavedFact, 'name'>): boolean => {
  const { json, bytes } = f;
  const fact: readonly [string, unknown] = [name, f.value];
  if (world.ingest.push(GAME_FACT_INGEST_TYPE, index, fact) === 'rejected') return false;
  addWaiting(state, { fact, json, bytes });
  return true;
};

/**
 * Deliver fact `fact` (a declared fact or its name) with `payload` to `world`: a copy of the payload
 * (plain JSON data: null, booleans, finite numbers, strings, arrays, plain objects; at most the
 * fact's `maxBytes` of JSON) is queued and the fact's `apply` runs with it inside the next step's
 * ingest phase, after the facts delivered before it. Call it from anywhere: a promise callback, a
 * timer of your own, a system (applied in the next step), a message handler or join/leave hook (these
 * run in the ingest phase before the facts are drained: applied in the same step).
 *
 * Returns true when queued, false when `capacity` facts of this name are already waiting (counted
 * `full`) or the world's waiting facts are at {@link MAX_PENDING_FACTS} or would pass
 * {@link MAX_PENDING_FACT_BYTES} of payload JSON with this one (counted `limited`); nothing is queued
 * then: the game decides — e.g. the market's reservation timer resubmits the purchase later. (Not a
 * throw: the usual caller is a promise callback, where a throw would be an unhandled rejection.) While the world is a replay (src/replay) nothing is queued and it returns true:
 * the log holds the facts the live world applied, at the steps it applied them.
 * Throws `WT_ERR_GAME_FACT_INVALID` (counted `invalid`) for a world without a game or facts, an
 * undeclared name, or a bad payload; nothing is queued then.
 */
export const deliverToWorld = <P>(world: GameWorld, fact: FactDef<P> | string, payload: P): boolean => {
  checkWorld(world, 'deliverToWorld');
  const name = typeof fact === 'string' ? fact : typeof fact === 'object' && fact !== null ? fact.name : undefined;
  const state = world.game?.facts;
  if (typeof name !== 'string') throw gameFactInvalid('?', 'fact must be a fact definition or its name');
  if (!state) throw gameFactInvalid(name, world.game ? 'the game declares no facts' : 'the world has no game');
  const entry = state.byName.get(name);
  if (!entry) {
    state.counters.invalid++;
    throw gameFactInvalid(name, 'not a fact of the game (declare it in defineGame({ facts }))');
  }
  const text = plainJsonText(payload, entry.maxBytes);
  if (!text.ok) {
    state.counters.invalid++;
    throw gameFactInvalid(name, text.problem);
  }
  if (world.game?.replay) {
    state.counters.discardedInReplay++;
    return true;
  }
  if ((state.pending.get(name) ?? 0) >= entry.capacity) {
    state.counters.full++;
    return false;
  }
  const bytes = text.bytes;
  if (waitingCount(state) >= MAX_PENDING_FACTS || state.waitingBytes + bytes > MAX_PENDING_FACT_BYTES) {
    state.counters.limited++;
    return false;
  }
  if (!queueFact(world, state, entry.index, name, { json: text.json, bytes, value: JSON.parse(text.json) as unknown })) {
    state.counters.full++;
    return false;
  }
  state.counters.delivered++;
  return true;
};

/** A fact waiting in a checkpoint, as src/persist/fact-sections.ts reads and checks it: name, payload JSON text, its UTF-8 bytes, its value. */
export interface SavedFact {
  readonly name: string;
  readonly json: string;
  readonly bytes: number;
  /** `JSON.parse(json)`, checked plain JSON data; handed to the handler (frozen) as it is. */
  readonly value: unknown;
}

/**
 * Put a checkpoint's waiting facts back in a restored world's queue, in their delivery order, before
 * anything else can queue one: they apply in the ingest phase of the world's first step, ahead of
 * every fact delivered after the restore — where they stood when the checkpoint was taken (a
 * checkpoint is taken between steps: they were due in the next one). A name the game no longer
 * declares is dropped (counted `dropped`); so is one the queue no longer has room for (a game that
 * lowered its capacities). Not counted `delivered` again. No-op for a world whose game declares no facts.
 */
export const restoreWaitingFacts = (world: GameWorld, facts: readonly SavedFact[]): void => {
  const state = world.game?.facts;
  if (!state) return;
  for (const f of facts) {
    const entry = state.byName.get(f.name);
    if (!entry || !queueFact(world, state, entry.index, f.name, f)) state.counters.dropped++;
  }
};

/**
 * A world's fact counters, how many facts wait per name and the bytes of their payload JSON (copies),
 * or null without facts.
 */
export const gameFactStats = (world: GameWorld): (GameFactCounters & { pending: Record<string, number>; pendingBytes: number }) | null => {
  checkWorld(world, 'gameFactStats');
  const s = world.game?.facts;
  if (!s) return null;
  return { ...s.counters, pending: Object.fromEntries(s.pending), pendingBytes: s.waitingBytes };
};
