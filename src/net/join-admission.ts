/**
 * Join admission: at most `net.maxJoinsPerStep` hellos of one world start their join per step of
 * that world, so a join storm — from one address or many — cannot put more join work on the event
 * loop than that (a join costs the server its store reads and session commit, the enter fact, the
 * welcome and a first snapshot: ≈ 2 ms of CPU each, and the commit's fsync; docs/PROTOCOL.md "Join
 * admission"). Existing players' steps, inputs and snapshots go first.
 *
 *   hello ─► admit ─┬─ a slot left this step (and a process token), nobody queued ──► the join goes on now
 *                   ├─ else, fewer than maxJoinQueue waiting ──► queued (FIFO), its messages held
 *                   └─ else ──► WORLD_FULL, closed 4009 (counted joinQueueFull)
 *   end of each step of the world ─► the queue's head, up to the step's slots, goes on (arrival order)
 *   sweep ─► a hello queued for net.helloTimeoutMs ─► UNAVAILABLE, closed 1013 (joinWaitTimeouts)
 *   close ─► leaves the queue (nothing kept)
 *
 * On top, a process-wide bound (`net.maxJoinsPerSecond`, join-rate.ts): a join also takes a token
 * of the game server's bucket, shared by every world it serves. A hello that has a slot of its
 * world but finds no token waits in the same queue (counted joinsProcessWaited). One drain at the
 * end of a turn in which worlds with hellos waiting stepped serves them all in turn, one hello per
 * world per round, the world served longest ago first, until the tokens or the slots run out: a
 * storm on one world cannot starve another world's hello.
 *
 * A step's slots are counted by the world's step number (`world.clock.step`), so no timer refills
 * them: the first hello seen after a step finds its slots (unused ones of earlier steps are not
 * kept). Steps run back to back to catch up (a late loop) are served by one drain at the end of
 * their turn, with the slots of each (at most {@link SLOT_STEPS}): a late loop does not also slow
 * the joins down (within the process bound's burst). A socket admitted once is not asked again (a hello served again after a store
 * retry). The registry asks after its join-buffer check and its identity wait (session-registry.ts):
 * a hello waiting for its identity's join takes no slot. Wall time only; the world is never written here.
 */
import { CloseCode, WireErrorCode } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import { JoinRate } from './join-rate.js';
import type { Conn } from './session.js';
import type { SessionWire } from './world-sessions.js';

/**
 * Most steps' worth of slots one drain hands out: steps run back to back in one turn to catch up
 * (a late loop) are served by one drain, which gets the slots of each of them, up to this many.
 */
export const SLOT_STEPS = 4;

/** The settings of join admission (net-admission-config.ts, part of `NetConfig`). */
export interface JoinAdmissionConfig {
  /** Hellos of one world that start their join per step of it; 0 = no bound (no queue). */
  maxJoinsPerStep: number;
  /** Hellos of one world waiting for a slot; one more is refused WORLD_FULL (4009). */
  maxJoinQueue: number;
  /** Hellos that start their join per wall second in all worlds together (join-rate.ts); 0 = no bound. */
  maxJoinsPerSecond: number;
}

/** Counters of join admission (`/stats`, `/metrics`). */
export interface JoinAdmissionCounters {
  /** Hellos that waited in a world's join queue (each counted once, when queued). */
  joinsQueued: number;
  /** Hellos refused because their world's join queue held `net.maxJoinQueue` already. */
  joinQueueFull: number;
  /** Hellos that waited `net.helloTimeoutMs` in the join queue: answered UNAVAILABLE, closed 1013. */
  joinWaitTimeouts: number;
  /** Hellos held in their world's join queue by the process-wide `maxJoinsPerSecond` while their world had a slot for them (each counted once). */
  joinsProcessWaited: number;
}

interface Waiter {
  readonly conn: Conn;
  /** performance.now() when it was queued. */
  readonly since: number;
  readonly run: () => void;
  /** Counted in joinsProcessWaited already. */
  paced: boolean;
}

/** One world's slots and queue (kept while the world is served: its slots count per step, queued or not). */
interface Gate {
  /** The step whose slots `left` counts. */
  step: number;
  /** Slots left this step (Infinity with `maxJoinsPerStep` 0: the process bound alone). */
  left: number;
  /** Steps ended since the queue's last drain (this turn's catch-up burst). */
  burst: number;
  /** Waiting hellos in arrival order; closed or expired ones are taken out at once. */
  readonly queue: Waiter[];
}

/** What `admit` decided. */
export type Admission = 'now' | 'queued' | 'full';

/**
 * Join admission of one game server, over every world it serves. A class: it owns the queues of
 * held sockets.
 */
export class JoinAdmission {
  readonly counters: JoinAdmissionCounters = { joinsQueued: 0, joinQueueFull: 0, joinWaitTimeouts: 0, joinsProcessWaited: 0 };
  readonly #cfg: JoinAdmissionConfig;
  /** The process-wide bound's tokens. */
  readonly #rate: JoinRate;
  /** Every world's gate; the order is the turn order of the drain (a world served a hello moves to the end). */
  readonly #gates = new Map<SimWorld, Gate>();
  /** Sockets let through once (their hello may be served again without a new slot). */
  readonly #admitted = new WeakSet<Conn>();
  /** The world each waiting socket is queued in. */
  readonly #waiting = new Map<Conn, SimWorld>();
  /** A drain of every queue is due at the end of this turn (one setImmediate for all worlds). */
  #draining = false;

  constructor(cfg: JoinAdmissionConfig) {
    this.#cfg = cfg;
    this.#rate = new JoinRate(cfg.maxJoinsPerSecond);
  }

  /** Hellos waiting in a join queue now (gauge). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * A hello of `conn` for `world`: `now` (go on), `queued` (`run` is called when a later step
   * frees a slot; the caller holds the socket's messages meanwhile) or `full` (the caller refuses it).
   */
  admit(conn: Conn, world: SimWorld, run: () => void): Admission {
    if ((this.#cfg.maxJoinsPerStep === 0 && !this.#rate.on) || this.#admitted.has(conn)) return 'now';
    const g = this.#gate(world);
    // A slot of its world is free for it (the hellos ahead, if any, wait for the process bound only).
    const slot = g.queue.length < g.left;
    if (slot && g.queue.length === 0 && this.#rate.take(performance.now())) {
      g.left--;
      this.#admitted.add(conn);
      this.#served(world, g);
      return 'now';
    }
    if (g.queue.length >= this.#cfg.maxJoinQueue) {
      this.counters.joinQueueFull++;
      return 'full';
    }
    g.queue.push({ conn, since: performance.now(), run, paced: slot });
    if (slot) this.counters.joinsProcessWaited++;
    this.#waiting.set(conn, world);
    this.counters.joinsQueued++;
    return 'queued';
  }

  /** A step of `world` ended: the queues get their slots once the turn's steps are over (one drain for every world). */
  stepped(world: SimWorld): void {
    const g = this.#gates.get(world);
    if (!g || g.queue.length === 0) return;
    g.burst++;
    if (this.#draining) return;
    this.#draining = true;
    setImmediate(() => {
      this.#draining = false;
      this.#drain();
    });
  }

  /**
   * Serve the waiting hellos that the worlds' slots and the process bound allow: each world that
   * stepped gets its steps' slots; then one hello per world per round, the world served longest ago
   * first (arrival order within a world), while tokens last.
   */
  #drain(): void {
    for (const [world, g] of this.#gates)
      if (g.burst > 0) {
        this.#refill(g, world, Math.min(SLOT_STEPS, g.burst));
        g.burst = 0;
      }
    const now = performance.now();
    const go: Waiter[] = [];
    for (let more = true; more; ) {
      more = false;
      for (const [world, g] of [...this.#gates]) {
        if (g.queue.length === 0 || g.left <= 0) continue;
        if (!this.#rate.take(now)) return this.#pace(go);
        const w = g.queue.shift();
        if (!w) continue;
        g.left--;
        this.#waiting.delete(w.conn);
        this.#admitted.add(w.conn);
        this.#served(world, g);
        go.push(w);
        more = true;
      }
    }
    for (const w of go) w.run();
  }

  /** The tokens ran out in a drain: count the hellos left waiting that had a slot of their world; serve `go`. */
  #pace(go: Waiter[]): void {
    for (const g of this.#gates.values())
      for (let i = 0; i < g.queue.length && i < g.left; i++) {
        const w = g.queue[i];
        if (!w || w.paced) continue;
        w.paced = true;
        this.counters.joinsProcessWaited++;
      }
    for (const w of go) w.run();
  }

  /** `world` started a join: its turn goes to the end of the drain's order (only matters with the process bound). */
  #served(world: SimWorld, g: Gate): void {
    if (!this.#rate.on) return;
    this.#gates.delete(world);
    this.#gates.set(world, g);
  }

  /** `conn` closed: out of its queue. */
  leave(conn: Conn): void {
    const world = this.#waiting.get(conn);
    if (world === undefined) return;
    this.#waiting.delete(conn);
    const g = this.#gates.get(world);
    if (!g) return;
    const i = g.queue.findIndex((w) => w.conn === conn);
    if (i >= 0) g.queue.splice(i, 1);
  }

  /** Take out and return the hellos queued for `timeoutMs` or longer (wall ms, `now` from performance.now()). */
  expire(now: number, timeoutMs: number): Conn[] {
    const out: Conn[] = [];
    for (const g of this.#gates.values()) {
      // Arrival order: the expired ones are the head of the queue.
      let n = 0;
      while (n < g.queue.length && now - (g.queue[n]?.since ?? now) >= timeoutMs) n++;
      for (const w of g.queue.splice(0, n)) {
        this.#waiting.delete(w.conn);
        out.push(w.conn);
      }
    }
    this.counters.joinWaitTimeouts += out.length;
    return out;
  }

  /** `world` is no longer served: its slots are forgotten and its waiting hellos served now (they find the world gone and are answered so). */
  release(world: SimWorld): void {
    const g = this.#gates.get(world);
    if (!g) return;
    this.#gates.delete(world);
    for (const w of g.queue) {
      this.#waiting.delete(w.conn);
      this.#admitted.add(w.conn);
      setImmediate(w.run);
    }
  }

  #gate(world: SimWorld): Gate {
    let g = this.#gates.get(world);
    if (!g) {
      g = { step: world.clock.step, left: this.#slots(1), burst: 0, queue: [] };
      this.#gates.set(world, g);
    } else if (g.queue.length === 0) this.#refill(g, world); // with a queue, the next drain refills
    return g;
  }

  /** A new step of the world: `steps` steps' worth of slots (the steps a drain serves), unused ones of earlier steps dropped. */
  #refill(g: Gate, world: SimWorld, steps = 1): void {
    if (g.step === world.clock.step) return;
    g.step = world.clock.step;
    g.left = this.#slots(steps);
  }

  /** `steps` steps' worth of a world's slots (no bound: Infinity, the process bound alone). */
  #slots(steps: number): number {
    const max = this.#cfg.maxJoinsPerStep;
    return max === 0 ? Number.POSITIVE_INFINITY : max * steps;
  }
}

/**
 * Ask `a` for a join slot for the hello of `conn`: true → go on now; else it waits in the world's
 * queue (`conn.helloPending`: its messages are held; `run` serves it later) or was refused
 * `WORLD_FULL` (close 4009, no strike).
 */
export const admitHello = (a: JoinAdmission, wire: SessionWire, conn: Conn, world: SimWorld, run: () => void): boolean => {
  const got = a.admit(conn, world, run);
  if (got === 'queued') conn.helloPending = true;
  if (got === 'full')
    wire.reply(conn, WireErrorCode.WORLD_FULL, 'too many hellos waiting to join this world; retry later', false, CloseCode.WORLD_FULL);
  return got === 'now';
};

/** Answer the hellos that waited `timeoutMs` for a join slot: `UNAVAILABLE`, closed 1013 (as a wait for an identity's join). */
export const expireJoinWaiters = (a: JoinAdmission, wire: SessionWire, now: number, timeoutMs: number): void => {
  for (const conn of a.expire(now, timeoutMs)) {
    conn.helloPending = false;
    const msg = `no join slot for this hello after net.helloTimeoutMs (${timeoutMs} ms): the world is busy with joins; retry`;
    wire.reply(conn, WireErrorCode.UNAVAILABLE, msg, false, CloseCode.TRY_AGAIN);
  }
};
