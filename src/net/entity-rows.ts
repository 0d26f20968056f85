/**
 * The per-step entity rows of replication (`WorldNet.ent`, layout in world-net.ts) and the
 * session query that fills them in grid-slot order (rows and fallback rows: interest-scan.ts).
 */
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import type { GameSlot } from '../game/slot.js';
import { cellRange } from '../tiers/grid-build.js';
import { isPlayer } from './interest-select.js';
import { EntityField, PLAYER_KIND } from './protocol.js';
import { cacheEntityFields, writeEntityFields } from './replicated-fields.js';
import { ensure, putInt, writeArrayHeader, writeInt } from './snapshot-writer.js';
import { E_ENTER, E_ENTER_END, E_KT, E_POS, E_POS_END, E_X, E_Y, ENT_STRIDE, MARK_STRIDE, type WorldNet } from './world-net.js';

/** What the rows read from a world: its stores and the game's replicated-field table. */
export type RowsWorld = World<WorldCore & GameSlot>;

/**
 * Quantize entity e once this run into its row of `net.ent` (run stamp, wire x, y, kind | tier
 * << 16) and encode its x+y update entry `[e, 3, x, y]` into `net.shared` (most sessions need
 * that one). Its enter entry is encoded on first use ({@link enterEntry}). The position is the
 * row's `rowPos` when the query loaded it this run (the same value as Position, read once).
 */
export const cacheEntity = (world: RowsWorld, net: WorldNet, e: number, row: number): void => {
  const ent = net.ent,
    sh = net.shared,
    scale = net.config.positionScale,
    r = row * ENT_STRIDE,
    run = net.run,
    rowPos = net.rowPos;
  let fx: number, fy: number;
  if (net.posRun[row] === run) {
    fx = rowPos[2 * row];
    fy = rowPos[2 * row + 1];
  } else {
    const { Position } = world.stores;
    fx = Position.x[e];
    fy = Position.y[e];
    rowPos[2 * row] = fx;
    rowPos[2 * row + 1] = fy;
    net.posRun[row] = run;
  }
  const ex = Math.round(fx * scale),
    ey = Math.round(fy * scale);
  const player = isPlayer(net.select.playerBits, e);
  const kind = player ? PLAYER_KIND : world.stores.Npc.kind[e],
    tier = player ? 0 : world.stores.Tier.tier[e];
  // Custom fields are quantized with the row: updates compare them (replicated-fields.ts).
  const ext = world.game === null ? null : world.game.replicated;
  if (ext !== null) cacheEntityFields(ext, e, kind);
  ent[r] = run;
  ent[r + E_X] = ex;
  ent[r + E_Y] = ey;
  ent[r + E_KT] = kind | (tier << 16);
  ent[r + E_ENTER] = -1;
  ent[r + E_POS] = sh.pos;
  writeArrayHeader(sh, 4);
  writeInt(sh, e);
  writeInt(sh, EntityField.X | EntityField.Y);
  writeInt(sh, ex);
  writeInt(sh, ey);
  ent[r + E_POS_END] = sh.pos;
};

/**
 * `cacheEntity` unless the row is already cached this run: the encoder's refresh path (quality 3
 * only) calls it, and `beginRun` every run on one entity, so its call has type feedback before the
 * first quality-3 snapshot and does not deoptimize the encoder (docs/NET-SCALE.md). The query
 * keeps its own inline test (calling this from the query's loop cost ≈ 10 % of the phase).
 */
export const cacheRow = (world: RowsWorld, net: WorldNet, ent: Int32Array, run: number, e: number, row: number): void => {
  if (ent[row * ENT_STRIDE] !== run) cacheEntity(world, net, e, row);
};

/**
 * Entity e's enter entry `[e, x, y, kind, tier, ...fields]` for this run (row cached), encoded
 * into `net.enterShared` on first use; returns its start (its end is `ent[row × ENT_STRIDE +
 * E_ENTER_END]`), custom fields (quantized by {@link cacheEntity}) included.
 */
export const enterEntry = (world: RowsWorld, net: WorldNet, e: number, row: number): number => {
  const ent = net.ent,
    r = row * ENT_STRIDE;
  const at = ent[r + E_ENTER];
  if (at >= 0) return at;
  const sh = net.enterShared,
    kt = ent[r + E_KT],
    kind = kt & 0xffff;
  const ext = world.game === null ? null : world.game.replicated;
  const nf = ext === null ? 0 : ext.n[e];
  const start = sh.pos;
  writeArrayHeader(sh, 5 + nf);
  writeInt(sh, e);
  writeInt(sh, ent[r + E_X]);
  writeInt(sh, ent[r + E_Y]);
  writeInt(sh, kind);
  writeInt(sh, kt >>> 16);
  if (ext !== null && nf > 0) writeEntityFields(sh, ext, e);
  ent[r + E_ENTER] = start;
  ent[r + E_ENTER_END] = sh.pos;
  return start;
};

/**
 * The session's view: ids of the entities within r of (x, y) into `net.visible`, their cache
 * rows into `net.visRow` (interest-scan.ts: the same set as `world.spatial.queryRadius`, in
 * slot order, rows cached on first touch), each marked with `mark` in `net.marks` (replication's
 * visible tag); `net.viewPlayers` = players among them. Returns the count.
 *
 * One scan loop, then the rows it found uncached are cached in a batch (`cacheSlotRows`; issue
 * 11: at 100k NPCs every candidate's current position, and every newly cached row's kind and
 * tier, is a cache miss at a random entity id, and a short loop lets the CPU overlap them).
 */
export const queryView = (world: RowsWorld, net: WorldNet, x: number, y: number, r: number, mark: number): number => {
  const g = net.npcGrid;
  net.viewPlayers = 0;
  if (g === null || !(r >= 0)) return 0;
  const { visible, visRow: rows, ent, rowPos: pos, posRun, range, marks } = net;
  const { x: px, y: py } = world.stores.Position;
  const run = net.run;
  const R = r + net.margin,
    R2 = R * R,
    r2 = r * r;
  cellRange(g, x, y, R, range);
  const { cols, cellStart, items, itemX, itemY } = g;
  // Candidates within r + margin of their rebuild position (the grid's slot arrays, in order),
  // then their current position (loaded once per run), then the exact test. A slot whose position
  // is loaded here has no cached row yet (caching a row loads its position first), so its cold
  // `ent` row is not read just to find it uncached; rows to cache are collected and cached after
  // the scan (`cacheSlotRows`), which keeps this loop short enough for the CPU to overlap the
  // random position loads of several candidates (issue 11: at 100k NPCs each is a cache miss).
  let n = 0,
    nm = 0,
    players = 0;
  const miss = net.missRows;
  for (let cy = range.y0; cy <= range.y1; cy++) {
    const j1 = cellStart[cy * cols + range.x1 + 1]; // a row's cells are contiguous
    for (let j = cellStart[cy * cols + range.x0]; j < j1; j++) {
      const dx = itemX[j] - x,
        dy = itemY[j] - y;
      if (dx * dx + dy * dy > R2) continue;
      const e = items[j];
      const fresh = posRun[j] !== run;
      if (fresh) {
        posRun[j] = run;
        pos[2 * j] = px[e];
        pos[2 * j + 1] = py[e];
      }
      const ex = pos[2 * j] - x,
        ey = pos[2 * j + 1] - y;
      if (ex * ex + ey * ey > r2) continue;
      if (fresh || ent[j * ENT_STRIDE] !== run) miss[nm++] = j;
      else players += (ent[j * ENT_STRIDE + E_KT] & 0xffff) === PLAYER_KIND ? 1 : 0;
      marks[e * MARK_STRIDE] = mark;
      rows[n] = j;
      visible[n++] = e;
    }
  }
  if (nm > 0) players += cacheSlotRows(world, net, items, miss, nm);
  // Players: the replication-owned grid of current positions (no margin).
  const pg = net.pgrid;
  net.viewPlayers = players;
  if (pg.n === 0) return n;
  cellRange(g, x, y, r, range);
  const base = g.n,
    fb = net.slotRows;
  const { cellStart: ps, items: pi, x: pxs, y: pys } = pg;
  for (let cy = range.y0; cy <= range.y1; cy++) {
    const k1 = ps[cy * cols + range.x1 + 1];
    for (let k = ps[cy * cols + range.x0]; k < k1; k++) {
      const ex = pxs[k] - x,
        ey = pys[k] - y;
      if (ex * ex + ey * ey > r2) continue;
      const e = pi[k];
      const row = base + k < fb ? base + k : fb + e;
      if (ent[row * ENT_STRIDE] !== run) cacheEntity(world, net, e, row);
      if ((ent[row * ENT_STRIDE + E_KT] & 0xffff) === PLAYER_KIND) players++;
      marks[e * MARK_STRIDE] = mark;
      rows[n] = row;
      visible[n++] = e;
    }
  }
  net.viewPlayers = players;
  return n;
};

/**
 * `cacheEntity` for `m` NPC-grid slot rows `list`[0, m) whose positions this run are loaded (in
 * `rowPos`), in two passes: kind and tier of every row first (random loads, overlapped), then
 * quantize and encode the x+y update entries (same values and bytes as `cacheEntity`). Returns
 * how many of them are players.
 */
const cacheSlotRows = (world: RowsWorld, net: WorldNet, items: Int32Array, list: Int32Array, m: number): number => {
  const { ent, rowPos } = net;
  const run = net.run;
  const pm = net.select.playerBits;
  const { Npc, Tier } = world.stores;
  const kinds = Npc.kind,
    tiers = Tier.tier;
  let players = 0;
  for (let i = 0; i < m; i++) {
    const row = list[i],
      e = items[row];
    const kt = isPlayer(pm, e) ? PLAYER_KIND : kinds[e] | (tiers[e] << 16);
    ent[row * ENT_STRIDE + E_KT] = kt;
    players += (kt & 0xffff) === PLAYER_KIND ? 1 : 0;
  }
  const ext = world.game === null ? null : world.game.replicated;
  const scale = net.config.positionScale;
  const sh = net.shared;
  ensure(sh, m * SHARED_XY_MAX);
  const b = sh.bytes;
  let p = sh.pos;
  for (let i = 0; i < m; i++) {
    const row = list[i],
      e = items[row],
      r = row * ENT_STRIDE;
    const ex = Math.round(rowPos[2 * row] * scale),
      ey = Math.round(rowPos[2 * row + 1] * scale);
    if (ext !== null) cacheEntityFields(ext, e, ent[r + E_KT] & 0xffff);
    ent[r] = run;
    ent[r + E_X] = ex;
    ent[r + E_Y] = ey;
    ent[r + E_ENTER] = -1;
    ent[r + E_POS] = p;
    b[p++] = 0x94; // fixarray of 4
    p = putInt(b, p, e);
    b[p++] = XY_MASK;
    p = putInt(b, p, ex);
    p = putInt(b, p, ey);
    ent[r + E_POS_END] = p;
  }
  sh.pos = p;
  return players;
};
/** The x+y update mask (a positive fixint: one byte) and the most bytes of an x+y entry (header, 3 × 5-byte ints, mask). */
const XY_MASK = EntityField.X | EntityField.Y;
const SHARED_XY_MAX = 17;
