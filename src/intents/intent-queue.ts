/**
 * The bounded per-world queue of NPC-initiated intents ("NPC 42 wants to talk to player 7").
 *
 * A ring buffer of power-of-two capacity, stored as parallel typed arrays (plain data, no
 * per-intent objects or closures). Producers are the behavior/interaction systems; the consumer
 * is the network replicate phase, which calls {@link IntentQueue.drain}. Overflow drops the
 * OLDEST intent (newer intents are more relevant to a player) and counts it; intents whose
 * `expiresAt` has passed when drained are dropped and counted. All times are world seconds.
 *
 *   head (oldest)            tail (next write)
 *     v                        v
 *   [ i3 | i4 | i5 | i6 | .. | __ | __ ]   index = seq & mask
 */
import type { WorldClock, WorldCore } from '../core/world-core.js';

/** Intent kinds (stable numeric codes, sent on the wire). */
export const IntentKind = { talk: 0, trade: 1, wave: 2, follow: 3, warn: 4 } as const;
export type IntentName = keyof typeof IntentKind;
/** Intent names indexed by code. */
export const INTENT_NAMES: readonly IntentName[] = ['talk', 'trade', 'wave', 'follow', 'warn'];

/**
 * One intent, as handed to a {@link IntentQueue.drain} callback. The object is REUSED for every
 * call of the callback: copy the fields you keep.
 */
export interface Intent {
  /** The NPC entity that wants something. */
  npc: number;
  /** Target player entity, -1 for none. */
  player: number;
  /** {@link IntentKind} code. */
  kind: number;
  /** World seconds the intent was raised (it is ready from then on). */
  at: number;
  /** World seconds after which it is stale and dropped. */
  expiresAt: number;
}

/** Counters of an intent queue (monotonic). */
export interface IntentCounters {
  enqueued: number;
  delivered: number;
  /** Dropped because the queue was full (oldest first). */
  droppedOverflow: number;
  /** Dropped at drain because `expiresAt` had passed. */
  droppedExpired: number;
}

/** A bounded queue of intents. See the module comment. */
export interface IntentQueue {
  /** Capacity (a power of two). */
  readonly capacity: number;
  readonly counters: IntentCounters;
  /** Intents currently held. */
  size(): number;
  /**
   * Add an intent. When full, the oldest is dropped (counted in `droppedOverflow`). Returns
   * false when it dropped one to make room.
   */
  push(npc: number, player: number, kind: number, at: number, expiresAt: number): boolean;
  /**
   * Hand up to `max` ready, unexpired intents to `fn`, oldest first, removing them. Expired ones
   * met on the way are removed and counted, not handed out. Intents raised in the future
   * (`at > now`) stay queued and stop the drain (order is preserved). Returns how many `fn` got.
   */
  drain(max: number, fn: (intent: Intent) => void): number;
  /** Remove everything (counts nothing). */
  clear(): void;
  /** Bytes held by the ring's arrays. */
  bytes(): number;
}

const pow2AtLeast = (n: number): number => {
  let c = 1;
  while (c < n) c <<= 1;
  return c;
};

/**
 * Create an intent queue of at least `capacity` entries (rounded up to a power of two) that
 * reads "now" from `clock` (world seconds) when draining.
 */
export const createIntentQueue = (capacity: number, clock: Pick<WorldClock, 'now'>): IntentQueue => {
  const cap = pow2AtLeast(Math.max(1, Math.floor(capacity)));
  const mask = cap - 1;
  const npc = new Int32Array(cap);
  const player = new Int32Array(cap);
  const kind = new Uint8Array(cap);
  const at = new Float64Array(cap);
  const expiresAt = new Float64Array(cap);
  const counters: IntentCounters = { enqueued: 0, delivered: 0, droppedOverflow: 0, droppedExpired: 0 };
  const scratch: Intent = { npc: 0, player: -1, kind: 0, at: 0, expiresAt: 0 };
  let head = 0; // sequence number of the oldest
  let tail = 0; // sequence number of the next write
  return {
    capacity: cap,
    counters,
    size: () => tail - head,
    push(n, p, k, a, e) {
      let ok = true;
      if (tail - head === cap) {
        head++;
        counters.droppedOverflow++;
        ok = false;
      }
      const i = tail & mask;
      npc[i] = n;
      player[i] = p;
      kind[i] = k;
      at[i] = a;
      expiresAt[i] = e;
      tail++;
      counters.enqueued++;
      return ok;
    },
    drain(max, fn) {
      const now = clock.now;
      let given = 0;
      while (head < tail && given < max) {
        const i = head & mask;
        if (at[i] > now) break;
        head++;
        if (expiresAt[i] <= now) {
          counters.droppedExpired++;
          continue;
        }
        scratch.npc = npc[i];
        scratch.player = player[i];
        scratch.kind = kind[i];
        scratch.at = at[i];
        scratch.expiresAt = expiresAt[i];
        given++;
        counters.delivered++;
        fn(scratch);
      }
      return given;
    },
    clear() {
      head = tail;
    },
    bytes: () => npc.byteLength + player.byteLength + kind.byteLength + at.byteLength + expiresAt.byteLength,
  };
};

/** The slot intents add to a world: the bounded queue of NPC-initiated intents, drained by replication. */
export interface IntentsSlot {
  intents: IntentQueue;
}

/** A world's intents slot: a queue of `simulation.intentQueueCapacity` on the world's clock. */
export const createIntentsSlot = (core: WorldCore): IntentsSlot => ({
  intents: createIntentQueue(core.config.simulation.intentQueueCapacity, core.clock),
});
