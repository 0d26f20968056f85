/**
 * A world's replication state (the world's `net` slot): its sessions, counters, the per-step
 * shared entity cache and the scratch writers the replicate phase reuses (replication.ts).
 * Everything is sized to the world's capacity once; nothing is allocated per step.
 */
import type { CoreWorld } from '../core/world-core.js';
import type { Grid } from '../tiers/spatial-index.js';
import type { CellRange } from '../tiers/grid-build.js';
import { createPlayerGrid, type PlayerGrid } from './interest-scan.js';
import { createSelectScratch, type SelectScratch } from './interest-select.js';
import {
  createClassStats,
  createLadderStats,
  createOverloadState,
  type ClassStats,
  type LadderStats,
  type OverloadState,
} from './session-priority.js';
import type { NetConfig } from './net-config.js';
import type { RegionFrames } from './region-state.js';
import type { Parked, Session } from './session.js';
import { createWriter, type ByteWriter } from './snapshot-writer.js';
import type { SnapshotFrame } from './snapshot-frame.js';

/**
 * Ints per entity row of `WorldNet.ent` (32 bytes) and the fields of a row: run stamp, wire x,
 * y, kind | tier << 16 (the known set's packing), the enter entry's bytes in `enterShared`
 * ([start, end), encoded on first use: start -1 until then) and the x+y update entry's bytes in
 * `shared` ([start, end)).
 */
export const ENT_STRIDE = 8;
export const E_X = 1;
export const E_Y = 2;
export const E_KT = 3;
export const E_ENTER = 4;
export const E_ENTER_END = 5;
export const E_POS = 6;
export const E_POS_END = 7;
/** Ints per entity row of `WorldNet.marks` (16 bytes) and the fields after the tag. */
export const MARK_STRIDE = 4;
export const M_AT = 1;
export const M_REMOVED = 2;

/** Counters of one world's replication (plain numbers; summed by `GameServer.stats()`). */
export interface WorldNetStats {
  sessions: number;
  parked: number;
  snapshotsSent: number;
  snapshotBytes: number;
  /** Sessions skipped for a step because their socket buffer was over the threshold. */
  skippedBackpressure: number;
  /**
   * Snapshots sent into a socket that still held bytes of an earlier frame (under the skip threshold):
   * its client is behind, and on loopback the send also runs that client's TCP receive path.
   */
  sentBuffered: number;
  /** Visible entities beyond `maxEntitiesPerSession` left out of a snapshot. */
  truncatedEntities: number;
  eventsSent: number;
  /** Intents whose player has no session (disconnected) — discarded. */
  eventsDropped: number;
  /** Wall ms of the last replicate phase (all sessions). */
  lastReplicateMs: number;
  /** Wall ms of the last replicate phase spent in socket sends (the rest is mostly encoding). */
  lastSendMs: number;
  /** Process CPU ms (user + system, all threads) during the last replicate phase: unlike wall ms, not inflated by preemption. */
  lastReplicateCpuMs: number;
  /** Step of the last replicate phase. */
  lastStep: number;
  /** Session-steps left out by a quality-ladder cooldown (level ≥ 3). */
  cooldownSkips: number;
  /** Session-steps deferred by the replicate budget under load (priority < 3 only). */
  deferred: number;
  /** Per-class counters, indexed by class code (session-priority.ts). */
  byClass: ClassStats[];
  /** Quality-ladder levels and moves. */
  ladder: LadderStats;
  /** Sessions ended by a kick (closed 4020), by who asked: the game (`kickPlayer`) or the admin API. */
  kicks: { game: number; admin: number };
  /** Sessions ended by their client's `leave` (closed 1000 `left`; the player removed, not parked). */
  leaves: number;
}

/** Intents source of the tiers issue (`world.intents`), consumed structurally. */
export interface IntentLike {
  npc: number;
  player: number;
  kind: number | string;
  at: number;
  expiresAt: number;
}
export interface IntentSource {
  drain(max: number, fn: (intent: IntentLike) => void): number;
}

/** How replication talks to sockets (the game server implements it). */
export interface NetTransport {
  /** Send bytes; returns uWS status 1 sent, 0 buffered, 2 dropped, or -1 socket closed. */
  send(s: Session, bytes: Uint8Array): number;
  /** Bytes buffered on the session's socket (0 if closed). */
  buffered(s: Session): number;
  /** Close a session's socket with a code (after the replicate loop). */
  close(s: Session, code: number, reason: string): void;
  /** Encode an event frame. */
  event(kind: number | string, npc: number, at: number, expiresAt: number): Uint8Array;
  /** Wall clock, Unix epoch milliseconds (snapshot send time). */
  now(): number;
}

/** Scratch of the replicate phase (replicate-phase.ts): priority order of the sessions, reused frames. */
export interface PhaseScratch {
  /** Session indices in replication order. */
  order: Int32Array;
  /** Priority of each session (by index in `sessions`). */
  prio: Uint8Array;
  /** Sessions per priority bucket, and bucket start offsets into `order`. */
  counts: Int32Array;
  starts: Int32Array;
  frame: SnapshotFrame;
  sessionFrame: SnapshotFrame;
  /** Sustained-overload detector (session-priority.ts `updateOverload`). */
  overload: OverloadState;
}

/** Replication state of one world (the world's `net` slot). */
export interface WorldNet {
  readonly worldId: string;
  readonly config: NetConfig;
  readonly transport: NetTransport;
  sessions: Session[];
  /** Player entity id → session (for events). */
  byPlayer: Map<number, Session>;
  /**
   * Player entity id → its parked entry while away (from park until its resume is applied, expiry
   * or eviction): where the game's messages to it are kept (game-backlog.ts).
   */
  away: Map<number, Parked>;
  stats: WorldNetStats;
  run: number;
  mark: number;
  /** Players in the view of the last `queryView` (entity-rows.ts). */
  viewPlayers: number;
  /** Sink of the encoder's cache-warming reads (replication.ts), so they are not optimized away. */
  touched: number;
  /** Per-entity cache of the run, one ENT_STRIDE row per cache row (layout above). */
  ent: Int32Array;
  /**
   * Per-run x+y update entries, in the order rows were cached (offsets in `ent`): rows cached by
   * one query in slot order are contiguous, so a session copies runs of them at once.
   */
  shared: ByteWriter;
  /** Per-run enter entries, encoded when a session first needs one (offsets in `ent`). */
  enterShared: ByteWriter;
  /**
   * Per-entity session marks, row e × MARK_STRIDE: tag (visible / visible and known to the
   * session being encoded), index in its known set, and the run in which the id was removed.
   */
  marks: Int32Array;
  /** Ids despawned by the game server since the last run (their ids may be recycled). */
  removed: number[];
  visible: number[];
  /** Cache row of each entity in `visible` (interest-scan.ts: slot rows, then fallback rows `slotRows + id`). */
  visRow: Int32Array;
  /** Slot rows of `ent` (capacity + 1); fallback rows follow. */
  slotRows: number;
  /** Current position of each cached row (x, y), loaded with the row. */
  rowPos: Float32Array;
  /** Run in which a row's `rowPos` was loaded (a candidate of a query, maybe not in any view). */
  posRun: Int32Array;
  /** The world's NPC grid and its query margin, this run (`beginRun`). */
  npcGrid: Grid | null;
  margin: number;
  /** Players by cell, current positions, this run. */
  pgrid: PlayerGrid;
  /** Scratch of a query (entity-rows.ts): the grid slots of its rows to cache. */
  missRows: Int32Array;
  /** Scratch cell range of a query. */
  range: CellRange;
  /** Scratch of the nearest/most-important selection when a view is over the cap. */
  select: SelectScratch;
  enters: ByteWriter;
  updates: ByteWriter;
  leaves: ByteWriter;
  out: ByteWriter;
  /** Index used this run (the world's spatial index). Set by `beginRun`. */
  spatial: SpatialQuery;
  deliver: (intent: IntentLike) => void;
  closing: Session[];
  /** Scratch of the replicate phase (priority order). */
  phase: PhaseScratch;
  /** Shared region frames (net option `viewMode: 'regions'`, region-frames.ts), created on first use. */
  regions?: RegionFrames;
  /** Called at the end of every replicate phase (the step is done): join admission serves its queue (join-admission.ts). */
  stepped: (() => void) | null;
  /**
   * Players the game kicked during this step (`kickPlayer`, src/game/kick.ts) and the close reasons:
   * handed to `kick` at the end of the replicate phase, after the step's server messages were sent.
   */
  kicks: Array<{ player: number; reason: string }>;
  /** Set by the session registry: close the session of a player the game kicked (session-kick.ts). */
  kick: ((player: number, reason: string) => void) | null;
}

/** The slot replication adds to a world: set by the game server while it serves the world, else null. */
export interface NetSlot {
  net: WorldNet | null;
}

/** A world's net slot (not served). */
export const createNetSlot = (): NetSlot => ({ net: null });

/** Interest queries replication makes (the world's spatial index, src/tiers/spatial-index.ts). */
export interface SpatialQuery {
  /** Fill `out` with ids of entities within `r` world units of (x, y); returns how many. */
  queryRadius(x: number, y: number, r: number, out: number[]): number;
}

/** Create a world's replication state. */
export const createWorldNet = (world: CoreWorld, config: NetConfig, transport: NetTransport): WorldNet => {
  const n = world.capacity + 1;
  const net: WorldNet = {
    worldId: world.id,
    config,
    transport,
    sessions: [],
    byPlayer: new Map(),
    away: new Map(),
    stats: {
      sessions: 0,
      parked: 0,
      snapshotsSent: 0,
      snapshotBytes: 0,
      skippedBackpressure: 0,
      sentBuffered: 0,
      truncatedEntities: 0,
      eventsSent: 0,
      eventsDropped: 0,
      lastReplicateMs: 0,
      lastSendMs: 0,
      lastReplicateCpuMs: 0,
      lastStep: -1,
      cooldownSkips: 0,
      deferred: 0,
      byClass: createClassStats(),
      ladder: createLadderStats(),
      kicks: { game: 0, admin: 0 },
      leaves: 0,
    },
    run: 0,
    mark: 0,
    touched: 0,
    viewPlayers: 0,
    ent: new Int32Array(2 * n * ENT_STRIDE),
    shared: createWriter(64 * 1024),
    enterShared: createWriter(16 * 1024),
    marks: new Int32Array(n * MARK_STRIDE),
    removed: [],
    visRow: new Int32Array(n),
    slotRows: n,
    rowPos: new Float32Array(4 * n),
    posRun: new Int32Array(2 * n),
    npcGrid: null,
    margin: 0,
    pgrid: createPlayerGrid(0),
    missRows: new Int32Array(n),
    range: { x0: 0, x1: 0, y0: 0, y1: 0 },
    visible: [],
    select: createSelectScratch(world.capacity),
    enters: createWriter(),
    updates: createWriter(),
    leaves: createWriter(),
    out: createWriter(16 * 1024),
    spatial: { queryRadius: () => 0 },
    deliver: () => {},
    stepped: null,
    kicks: [],
    kick: null,
    closing: [],
    phase: {
      order: new Int32Array(64),
      prio: new Uint8Array(64),
      counts: new Int32Array(5),
      starts: new Int32Array(5),
      // Fractional fields start fractional (every field is written before each use): in V8 a field
      // first holding small integers, later a fraction (radiusScale 1 → 0.75 when the controller
      // first degrades), changes the object's map and deoptimized every function reading frames.
      frame: { step: 0, worldTime: 0.5, sendTime: 0.5, radiusScale: 0.5, farEvery: 1, requeryEvery: 1, snapshotEvery: 1 },
      sessionFrame: { step: 0, worldTime: 0.5, sendTime: 0.5, radiusScale: 0.5, farEvery: 1, requeryEvery: 1, snapshotEvery: 1 },
      overload: createOverloadState(),
    },
  };
  net.deliver = (intent) => {
    const s = net.byPlayer.get(intent.player);
    if (!s || s.conn.closed) {
      net.stats.eventsDropped++;
      return;
    }
    const r = transport.send(s, transport.event(intent.kind, intent.npc, intent.at, intent.expiresAt));
    if (r >= 0 && r !== 2) net.stats.eventsSent++;
    else net.stats.eventsDropped++;
  };
  return net;
};
