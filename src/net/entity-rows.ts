/**
 * The per-step entity rows of replication (`WorldNet.ent`, layout in world-net.ts) and the
 * session query that fills them in grid-slot order (rows and fallback rows: interest-scan.ts).
 */
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import type { GameSlot } from '../game/slot.js';
import { cellRange } from './interest-scan.js';
import { EntityField, PLAYER_KIND } from './protocol.js';
import { cacheEntityFields, writeEntityFields } from './replicated-fields.js';
import { writeArrayHeader, writeInt } from './snapshot-writer.js';
import { E_ENTER, E_KIND, E_POS, E_POS_END, E_TIER, E_X, E_Y, ENT_STRIDE, type WorldNet } from './world-net.js';

/** What the rows read from a world: its stores and the game's replicated-field table. */
export type RowsWorld = World<WorldCore & GameSlot>;

/**
 * Quantize entity e and encode its two shared entries once this run: the enter entry
 * `[e, x, y, kind, tier, ...fields]` and the x+y update entry `[e, 3, x, y]` (most sessions need
 * one of the two). The row of e in `net.ent` gets the run stamp, wire values and byte offsets.
 */
export const cacheEntity = (world: RowsWorld, net: WorldNet, e: number, row: number): void => {
  const { Position, Npc, Tier } = world.stores;
  const ent = net.ent,
    sh = net.shared,
    scale = net.config.positionScale,
    r = row * ENT_STRIDE;
  const fx = Position.x[e],
    fy = Position.y[e];
  net.rowPos[2 * row] = fx;
  net.rowPos[2 * row + 1] = fy;
  net.posRun[row] = net.run;
  const ex = Math.round(fx * scale),
    ey = Math.round(fy * scale);
  const player = net.select.playerMark[e] === net.select.stamp;
  const kind = player ? PLAYER_KIND : Npc.kind[e],
    tier = player ? 0 : Tier.tier[e];
  const ext = world.game === null ? null : world.game.replicated;
  const nf = ext === null ? 0 : cacheEntityFields(ext, e, kind);
  ent[r] = net.run;
  ent[r + E_X] = ex;
  ent[r + E_Y] = ey;
  ent[r + E_KIND] = kind;
  ent[r + E_TIER] = tier;
  ent[r + E_ENTER] = sh.pos;
  writeArrayHeader(sh, 5 + nf);
  writeInt(sh, e);
  writeInt(sh, ex);
  writeInt(sh, ey);
  writeInt(sh, kind);
  writeInt(sh, tier);
  if (ext !== null && nf > 0) writeEntityFields(sh, ext, e);
  ent[r + E_POS] = sh.pos;
  writeArrayHeader(sh, 4);
  writeInt(sh, e);
  writeInt(sh, EntityField.X | EntityField.Y);
  writeInt(sh, ex);
  writeInt(sh, ey);
  ent[r + E_POS_END] = sh.pos;
};

/**
 * The session's view: ids of the entities within r of (x, y) into `net.visible`, their cache
 * rows into `net.visRow` (interest-scan.ts: the same set as `world.spatial.queryRadius`, in
 * slot order, rows cached on first touch). Returns the count.
 */
export const queryView = (world: RowsWorld, net: WorldNet, x: number, y: number, r: number): number => {
  const g = net.npcGrid;
  if (g === null || !(r >= 0)) return 0;
  const { visible, visRow: rows, ent, rowPos: pos, posRun, range } = net;
  const { x: px, y: py } = world.stores.Position;
  const run = net.run;
  const R = r + net.margin,
    R2 = R * R,
    r2 = r * r;
  let n = 0;
  cellRange(g, x, y, R, range);
  const { cols, cellStart, items, itemX, itemY } = g;
  for (let cy = range.y0; cy <= range.y1; cy++) {
    const j1 = cellStart[cy * cols + range.x1 + 1]; // a row's cells are contiguous
    for (let j = cellStart[cy * cols + range.x0]; j < j1; j++) {
      const dx = itemX[j] - x,
        dy = itemY[j] - y;
      if (dx * dx + dy * dy > R2) continue;
      // Candidate (within r + margin of its rebuild position): its current position, loaded
      // once per run; encoded only once it is actually in someone's view.
      const e = items[j];
      if (posRun[j] !== run) {
        posRun[j] = run;
        pos[2 * j] = px[e];
        pos[2 * j + 1] = py[e];
      }
      const ex = pos[2 * j] - x,
        ey = pos[2 * j + 1] - y;
      if (ex * ex + ey * ey <= r2) {
        if (ent[j * ENT_STRIDE] !== run) cacheEntity(world, net, e, j);
        rows[n] = j;
        visible[n++] = e;
      }
    }
  }
  // Players: the replication-owned grid of current positions (no margin).
  const pg = net.pgrid;
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
      rows[n] = row;
      visible[n++] = e;
    }
  }
  return n;
};
