/**
 * The buffer of one ingest fact type: a Map (latestByKey) or a ring (queue), with its
 * counters. Plain data plus free functions; {@link IngestBuffers} owns them.
 *
 *   queue ring (size ≤ bound):   head ─► [k,f][k,f][k,f] ◄─ tail      (count = pending)
 *   latestByKey: Map<key, fact>, insertion order = first arrival of the key this step
 *
 * A ring starts at {@link QUEUE_RING_INITIAL} slots and doubles when full, up to the type's bound
 * (`hard`): every world defines the ledger's critical queue with a bound of 2^18 facts, and a ring
 * allocated at its bound cost each world 4 MiB before its first purchase (bench/many-worlds.ts).
 * A grown ring is given back when empty at compaction ({@link shrinkRing}).
 */
import type { CoreWorld } from '../core/world-core.js';

/** Outcome of one push (see `IngestBuffers.push`). */
export type PushOutcome = 'accepted' | 'coalesced' | 'dropped' | 'rejected';

/** Counters of one fact type, totals since it was defined (also its public stats). */
export interface IngestCounters {
  /** Facts queued as new pending entries. */
  accepted: number;
  /** Facts that replaced a pending fact of the same key (latestByKey). */
  coalesced: number;
  /** Pending facts evicted to make room (dropOldest). */
  dropped: number;
  /** Facts refused at push (rejectNewest, or a critical buffer at its hard bound). */
  rejected: number;
  /** Pushes refused for a bad key (not an integer 0..2^32-1). */
  invalid: number;
  /** Facts whose apply threw (discarded, counted). */
  applyErrors: number;
  /** Facts applied in total. */
  drained: number;
  /** Facts applied by the last ingest phase. */
  drainedLastStep: number;
}

/** The counter names, for copying them out without listing them again. */
export const INGEST_COUNTERS: readonly (keyof IngestCounters)[] = [
  'accepted',
  'coalesced',
  'dropped',
  'rejected',
  'invalid',
  'applyErrors',
  'drained',
  'drainedLastStep',
];

/** One fact type's buffer and counters. */
export interface TypeBuffer extends IngestCounters {
  type: string;
  mode: 'latestByKey' | 'queue';
  lane: string;
  capacity: number;
  /** Most pending facts: capacity, or hardCapacity for a critical type. */
  hard: number;
  policy: 'dropOldest' | 'rejectNewest';
  critical: boolean;
  apply: (world: CoreWorld, key: number, fact: unknown) => void;
  /** latestByKey storage. */
  map: Map<number, unknown> | null;
  /** queue storage (ring of at most `hard` slots, grown on demand: {@link QUEUE_RING_INITIAL}). */
  keys: Float64Array | null;
  facts: unknown[] | null;
  head: number;
  count: number;
  /** Output slot of {@link popOne} (no tuple allocated per fact). */
  outKey: number;
  outFact: unknown;
  arrivalsThisStep: number;
  rate: number;
  /** Most pending facts seen since the last compaction. */
  highWater: number;
  /** The last error an `apply` threw, until `IngestBuffers.takeApplyError` reads it (null: none). */
  lastApplyError: unknown;
  /** Wall ms spent applying this type's facts: in total, and in the last ingest phase (a slow handler shows here). */
  applyMs: number;
  applyMsLastStep: number;
}

/** Slots of a new queue ring (or `hard`, if smaller); it doubles when full, up to `hard`. */
export const QUEUE_RING_INITIAL = 16;

export const createTypeBuffer = (
  type: string,
  mode: 'latestByKey' | 'queue',
  capacity: number,
  hard: number,
  policy: 'dropOldest' | 'rejectNewest',
  critical: boolean,
  lane: string,
  apply: TypeBuffer['apply'],
): TypeBuffer => ({
  type,
  mode,
  lane,
  capacity,
  hard,
  policy,
  critical,
  apply,
  map: mode === 'latestByKey' ? new Map() : null,
  keys: mode === 'queue' ? new Float64Array(Math.min(hard, QUEUE_RING_INITIAL)) : null,
  facts: mode === 'queue' ? new Array<unknown>(Math.min(hard, QUEUE_RING_INITIAL)).fill(undefined) : null,
  head: 0,
  count: 0,
  outKey: 0,
  outFact: undefined,
  accepted: 0,
  coalesced: 0,
  dropped: 0,
  rejected: 0,
  invalid: 0,
  applyErrors: 0,
  drained: 0,
  drainedLastStep: 0,
  arrivalsThisStep: 0,
  rate: 0,
  highWater: 0,
  lastApplyError: null,
  applyMs: 0,
  applyMsLastStep: 0,
});

/** Facts pending in a buffer. */
export const pendingOf = (b: TypeBuffer): number => (b.map ? b.map.size : b.count);

/**
 * Add one fact. Returns the outcome, or `'full'` when a critical buffer is at its hard bound
 * (the caller turns that into a coded error). Counters are updated here.
 */
export const pushFact = (b: TypeBuffer, key: number, fact: unknown): PushOutcome | 'full' => {
  const map = b.map;
  if (map) {
    if (map.has(key)) {
      map.set(key, fact); // keeps the key's position: order is first arrival
      b.coalesced++;
      return 'coalesced';
    }
  }
  const pending = pendingOf(b);
  let outcome: PushOutcome = 'accepted';
  if (b.critical) {
    if (pending >= b.hard) return 'full';
  } else if (pending >= b.capacity) {
    if (b.policy === 'rejectNewest') {
      b.rejected++;
      return 'rejected';
    }
    evictOldest(b);
    b.dropped++;
    outcome = 'dropped';
  }
  if (map) map.set(key, fact);
  else {
    if (b.count === b.keys!.length) resizeRing(b, Math.min(b.hard, b.count * 2));
    const i = (b.head + b.count) % b.keys!.length;
    b.keys![i] = key;
    b.facts![i] = fact;
    b.count++;
  }
  b.accepted++;
  const p = pendingOf(b);
  if (p > b.highWater) b.highWater = p;
  return outcome;
};

const evictOldest = (b: TypeBuffer): void => {
  if (b.map) {
    const first = b.map.keys().next();
    if (!first.done) b.map.delete(first.value);
    return;
  }
  b.facts![b.head] = undefined;
  b.head = (b.head + 1) % b.keys!.length;
  b.count--;
};

/** Move a queue's pending facts, oldest first, into a new ring of `slots` (≥ count) slots. */
const resizeRing = (b: TypeBuffer, slots: number): void => {
  const keys = b.keys!;
  const facts = b.facts!;
  const nextKeys = new Float64Array(slots);
  const nextFacts = new Array<unknown>(slots).fill(undefined);
  for (let n = 0, i = b.head; n < b.count; n++, i = (i + 1) % keys.length) {
    nextKeys[n] = keys[i];
    nextFacts[n] = facts[i];
  }
  b.keys = nextKeys;
  b.facts = nextFacts;
  b.head = 0;
};

/**
 * Give back a queue ring grown past `minSlots` (and {@link QUEUE_RING_INITIAL}) once it is empty:
 * a new one of the initial size. Returns true when it did.
 */
export const shrinkRing = (b: TypeBuffer, minSlots: number): boolean => {
  if (b.keys === null || b.count > 0 || b.keys.length <= Math.max(minSlots, QUEUE_RING_INITIAL)) return false;
  resizeRing(b, Math.min(b.hard, QUEUE_RING_INITIAL));
  return true;
};

/** Remove the oldest pending fact into `b.outKey` / `b.outFact`. Caller checks pending > 0. */
export const popOne = (b: TypeBuffer): void => {
  const map = b.map;
  if (map) {
    const it = map.entries().next();
    if (it.done) return;
    b.outKey = it.value[0];
    b.outFact = it.value[1];
    map.delete(it.value[0]);
    return;
  }
  b.outKey = b.keys![b.head];
  b.outFact = b.facts![b.head];
  b.facts![b.head] = undefined;
  b.head = (b.head + 1) % b.keys!.length;
  b.count--;
};
