/**
 * Shared region frames (net option `viewMode: 'regions'`, docs/NET-SCALE.md "Region frames"):
 * instead of an exact delta per session, every session whose player stands in a region cell is
 * sent the same bytes — the full state of every entity inside the cell's box grown by the
 * interest radius, encoded once per replicate run, on the first session that needs it.
 *
 *   lattice over world.bounds, side `regionCellSize` (0 = interestRadius):
 *
 *        ┌───────────────────────┐  box of cell c = [x0 − r, x1 + r] × [y0 − r, y1 + r]
 *        │    ┌─────────┐        │  any player inside [x0, x1) × [y0, y1) sees only
 *        │    │ cell c  │   r    │  entities inside the box: the frame is a superset
 *        │    └─────────┘        │  of its exact view
 *        └───────────────────────┘
 *
 * Frame: `[24, step, worldTime, sendTime, acks, cell, radius, maxEntities, entities]`, `acks` =
 * `[playerId, lastInputSeq, ...]` of the players in the cell (the only per-session field of a
 * snapshot), `entities` = the same entries as a snapshot's enter (the shared per-run entry of
 * entity-rows.ts `cacheEntity`, copied, never re-encoded). A frame would hold more than
 * `regionMaxEntitiesFactor × maxEntitiesPerSession` entities → the cell is marked dense for the run
 * and its sessions fall back to exact snapshots (bounded bytes).
 *
 * A session sent a region frame has its known set cleared (the frame replaced the client's view),
 * so its next exact snapshot is all enters; the client clears its view when an exact snapshot
 * follows a region frame (docs/PROTOCOL.md). Entities reached here use their fallback cache rows
 * (`slotRows + id`, interest-scan.ts), so this module relies only on `cacheEntity` and the grids.
 */
import { playerRow } from '../../components/player-table.js';
import { entityExists } from 'bitecs';
import { cacheEntity, enterEntry } from './entity-rows.js';
import { copyShared } from './entry-writer.js';
import { cellRange } from '../tiers/grid-build.js';
import { KIND_SPECTATOR } from '../tiers/spatial-index.js';
import { MsgType } from './protocol.js';
import type { ReplicationWorld } from './replication.js';
import type { SnapshotFrame } from './snapshot-frame.js';
import type { Session } from './session.js';
import type { RegionFrames } from './region-state.js';
import { createWriter, writeArrayHeader, writeBytes, writeFloat64, writeInt, type ByteWriter } from './snapshot-writer.js';
import { E_ENTER_END, ENT_STRIDE, type WorldNet } from './world-net.js';

/** Region state for `net`'s world (lattice from the world's bounds and the net config). */
export const createRegionFrames = (world: ReplicationWorld, net: WorldNet): RegionFrames => {
  const cfg = net.config;
  const size = cfg.regionCellSize > 0 ? cfg.regionCellSize : cfg.interestRadius;
  const b = world.bounds;
  const cols = Math.max(1, Math.ceil((b.maxX - b.minX) / size));
  const rows = Math.max(1, Math.ceil((b.maxY - b.minY) / size));
  return {
    minX: b.minX,
    minY: b.minY,
    size,
    cols,
    rows,
    radius: cfg.interestRadius,
    cap: Math.max(1, Math.floor(cfg.regionMaxEntitiesFactor * cfg.maxEntitiesPerSession)),
    run: -1,
    byCell: new Map(),
    off: new Int32Array(64),
    len: new Int32Array(64),
    pStart: new Int32Array(64),
    pEnd: new Int32Array(64),
    ppos: new Float32Array(256),
    nPlayers: 0,
    frames: createWriter(64 * 1024),
    body: createWriter(16 * 1024),
    acks: createWriter(1024),
    stats: { framesSent: 0, framesEncoded: 0, denseFallbacks: 0, denseCells: 0, sparseFallbacks: 0 },
  };
};

/** Region cell of a position (clamped into the lattice: positions outside the bounds live in edge cells). */
export const regionCellOf = (rf: RegionFrames, x: number, y: number): number => {
  let cx = Math.floor((x - rf.minX) / rf.size);
  let cy = Math.floor((y - rf.minY) / rf.size);
  if (cx < 0) cx = 0;
  else if (cx >= rf.cols) cx = rf.cols - 1;
  if (cy < 0) cy = 0;
  else if (cy >= rf.rows) cy = rf.rows - 1;
  return cy * rf.cols + cx;
};

/** Slack (world units) added to a box so rounding of the cell test can never leave a view entity out. */
const SLACK = 1e-3;

const grow = (rf: RegionFrames, k: number): void => {
  if (k < rf.off.length) return;
  const n = rf.off.length * 2;
  const g = (a: Int32Array): Int32Array => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  rf.off = g(rf.off);
  rf.len = g(rf.len);
  rf.pStart = g(rf.pStart);
  rf.pEnd = g(rf.pEnd);
};

const addPlayerPos = (rf: RegionFrames, x: number, y: number): void => {
  if (2 * rf.nPlayers + 2 > rf.ppos.length) {
    const b = new Float32Array(rf.ppos.length * 2);
    b.set(rf.ppos);
    rf.ppos = b;
  }
  rf.ppos[2 * rf.nPlayers] = x;
  rf.ppos[2 * rf.nPlayers + 1] = y;
  rf.nPlayers++;
};

/** Append entity e's shared enter entry to `body` (cached this run at its fallback row). */
const addEntity = (world: ReplicationWorld, net: WorldNet, body: ByteWriter, e: number): void => {
  const row = net.slotRows + e,
    r = row * ENT_STRIDE;
  const ent = net.ent;
  if (ent[r] !== net.run) cacheEntity(world, net, e, row);
  const start = enterEntry(world, net, e, row),
    end = ent[r + E_ENTER_END];
  copyShared(body, net.enterShared, start, end);
};

/**
 * Encode the frame of `cell` for this run into `rf.frames` (frame index k). Returns false when
 * the cell is over the cap (then marked dense).
 */
const buildFrame = (world: ReplicationWorld, net: WorldNet, rf: RegionFrames, f: SnapshotFrame, cell: number, k: number): boolean => {
  const { Position, Player } = world.stores;
  const px = Position.x,
    py = Position.y;
  const cx = cell % rf.cols,
    cy = (cell - cx) / rf.cols;
  const x0 = rf.minX + cx * rf.size,
    y0 = rf.minY + cy * rf.size;
  const half = rf.size / 2,
    mx = x0 + half,
    my = y0 + half;
  const reach = half + rf.radius + SLACK;
  const bx0 = mx - reach,
    bx1 = mx + reach,
    by0 = my - reach,
    by1 = my + reach;
  const body = rf.body,
    acks = rf.acks;
  body.pos = 0;
  acks.pos = 0;
  let n = 0,
    nAck = 0;
  const cap = rf.cap;
  rf.pStart[k] = rf.nPlayers;
  const g = net.npcGrid;
  if (g !== null) {
    // NPCs: grid cells around the box grown by the index margin, then each one's current position.
    const range = net.range;
    cellRange(g, mx, my, reach + net.margin, range);
    const { cols, cellStart, items } = g;
    for (let gy = range.y0; gy <= range.y1; gy++) {
      const j1 = cellStart[gy * cols + range.x1 + 1];
      for (let j = cellStart[gy * cols + range.x0]; j < j1; j++) {
        const e = items[j];
        const x = px[e],
          y = py[e];
        if (x < bx0 || x > bx1 || y < by0 || y > by1) continue;
        if (++n > cap) return false;
        addEntity(world, net, body, e);
      }
    }
    // Players: the replication-owned grid of current positions.
    const pg = net.pgrid;
    if (pg.n > 0) {
      cellRange(g, mx, my, reach, range);
      const { cellStart: ps, items: pi, x: pxs, y: pys } = pg;
      for (let gy = range.y0; gy <= range.y1; gy++) {
        const k1 = ps[gy * cols + range.x1 + 1];
        for (let q = ps[gy * cols + range.x0]; q < k1; q++) {
          const x = pxs[q],
            y = pys[q];
          if (x < bx0 || x > bx1 || y < by0 || y > by1) continue;
          if (++n > cap) return false;
          const e = pi[q];
          addEntity(world, net, body, e);
          addPlayerPos(rf, x, y);
          if (regionCellOf(rf, x, y) === cell) {
            writeInt(acks, e);
            writeInt(acks, Player.lastInputSeq[playerRow(world.stores, e)]);
            nAck++;
          }
        }
      }
    }
  }
  rf.pEnd[k] = rf.nPlayers;
  const out = rf.frames;
  const start = out.pos;
  writeArrayHeader(out, 9);
  writeInt(out, MsgType.REGION);
  writeInt(out, f.step);
  writeFloat64(out, f.worldTime);
  writeFloat64(out, f.sendTime);
  writeArrayHeader(out, 2 * nAck);
  writeBytes(out, acks);
  writeInt(out, cell);
  writeFloat64(out, rf.radius);
  writeInt(out, net.config.maxEntitiesPerSession);
  writeArrayHeader(out, n);
  writeBytes(out, body);
  rf.off[k] = start;
  rf.len[k] = out.pos - start;
  return true;
};

/** Players (the replication-owned player grid, current positions) standing in region `cell` whose corner is (x0, y0). */
const playersInCell = (net: WorldNet, rf: RegionFrames, cell: number, x0: number, y0: number): number => {
  const g = net.npcGrid,
    pg = net.pgrid;
  if (g === null || pg.n === 0) return 0;
  const half = rf.size / 2;
  const range = net.range;
  cellRange(g, x0 + half, y0 + half, half + SLACK, range);
  const { cellStart: ps, x: pxs, y: pys } = pg;
  const cols = g.cols;
  let n = 0;
  for (let gy = range.y0; gy <= range.y1; gy++) {
    const k1 = ps[gy * cols + range.x1 + 1];
    for (let q = ps[gy * cols + range.x0]; q < k1; q++) if (regionCellOf(rf, pxs[q], pys[q]) === cell) n++;
  }
  return n;
};

/**
 * The shared region frame for session `s` this run, or null when the session must get an exact
 * snapshot (its cell is over the cap or has fewer than `regionMinPlayers` players, its player is
 * not placed, or its radius is not the frames').
 * The returned bytes are a view of the run's frame buffer: send them before the next call.
 * Sets `s.crowd` (other players within its radius) as the exact path does.
 */
export const regionFrameFor = (
  world: ReplicationWorld,
  net: WorldNet,
  rf: RegionFrames,
  s: Session,
  f: SnapshotFrame,
): Uint8Array | null => {
  const self = s.player;
  if (self < 0 || s.interestRadius !== net.config.interestRadius || !entityExists(world, self)) return null;
  // A spectator is in no region frame (the player grid leaves it out): its own view is exact.
  if (world.spatial.kindOf[self] === KIND_SPECTATOR) return null;
  const { Position } = world.stores;
  const x = Position.x[self],
    y = Position.y[self];
  if (Number.isNaN(x) || Number.isNaN(y)) return null; // NaN position: the exact path's rules apply
  if (rf.run !== net.run) {
    rf.run = net.run;
    // The run's radius: the controller's quality may scale every session's radius (frameFor).
    rf.radius = net.config.interestRadius * f.radiusScale;
    rf.byCell.clear();
    rf.frames.pos = 0;
    rf.nPlayers = 0;
  }
  const cell = regionCellOf(rf, x, y);
  // The cell box must contain the player (a position outside the bounds is clamped to an edge cell).
  const cx = cell % rf.cols,
    cy = (cell - cx) / rf.cols;
  const x0 = rf.minX + cx * rf.size,
    y0 = rf.minY + cy * rf.size;
  if (x < x0 - SLACK || x > x0 + rf.size + SLACK || y < y0 - SLACK || y > y0 + rf.size + SLACK) return null;
  let k = rf.byCell.get(cell);
  if (k === undefined) {
    k = rf.byCell.size;
    grow(rf, k);
    rf.byCell.set(cell, k);
    if (playersInCell(net, rf, cell, x0, y0) < net.config.regionMinPlayers) {
      rf.len[k] = -2;
      rf.pEnd[k] = rf.pStart[k] = rf.nPlayers;
    } else if (buildFrame(world, net, rf, f, cell, k)) rf.stats.framesEncoded++;
    else {
      rf.len[k] = -1;
      rf.pEnd[k] = rf.pStart[k] = rf.nPlayers;
      rf.stats.denseCells++;
    }
  }
  if (rf.len[k] < 0) {
    if (rf.len[k] === -1) rf.stats.denseFallbacks++;
    else rf.stats.sparseFallbacks++;
    return null;
  }
  // Crowd level (session-priority.ts): other players within the session's radius.
  const r2 = rf.radius * rf.radius,
    pp = rf.ppos;
  let crowd = 0;
  for (let i = rf.pStart[k]; i < rf.pEnd[k]; i++) {
    const dx = pp[2 * i] - x,
      dy = pp[2 * i + 1] - y;
    if (dx * dx + dy * dy <= r2) crowd++;
  }
  s.crowd = crowd > 0 ? crowd - 1 : 0;
  return rf.frames.bytes.subarray(rf.off[k], rf.off[k] + rf.len[k]);
};

export type { RegionFrames, RegionStats } from './region-state.js';
