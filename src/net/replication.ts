/**
 * Per-world replication: the state the replicate phase needs (sessions of the world, per-step
 * entity cache, diff scratch, writers) and the function that builds and sends every session's
 * delta snapshot.
 *
 * Encode once, share: each visible entity is quantized (x, y → int wire units, kind, tier) and
 * its x+y update entry encoded at most once per step (its enter entry on first use), into one
 * interleaved row per entity (`net.ent`, stamped with the replicate run: one cache line per
 * entity instead of one per column); sessions then diff those integers against their own known
 * set and copy the shared bytes (adjacent entries as one run) or write the few changed fields
 * straight into their frame. Measured history: docs/NET-SCALE.md.
 *
 * Wall time (`now`) is operational only: the snapshot's send time for latency measurement.
 */
import { playerRow } from '../../components/player-table.js';
import { $internal, entityExists, query, type InternalWorld } from 'bitecs';
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import type { ControllerSlot } from '../controller/controller.js';
import type { GameSlot } from '../game/slot.js';
import type { IntentsSlot } from '../intents/intent-queue.js';
import type { TiersSlot } from '../tiers/tiers-slot.js';
import { KIND_SPECTATOR } from '../tiers/spatial-index.js';
import { cacheEntity, cacheRow, enterEntry, queryView } from './entity-rows.js';
import { buildPlayerGrid } from './interest-scan.js';
import { keepNearest, markPlayers } from './interest-select.js';
import { copyShared, writeUpdate } from './entry-writer.js';
import { MsgType, PLAYER_KIND } from './protocol.js';
import { changedFieldMask, knownRows, moveKnownRow, storeKnownRow, writeChangedFields } from './replicated-fields.js';
import { ensureKnown, KNOWN_STRIDE, type Session } from './session.js';
import { writeArrayHeader, writeBytes, writeFloat64, writeInt } from './snapshot-writer.js';
import { snapshotOrdinal, type SnapshotFrame } from './snapshot-frame.js';
import { E_ENTER_END, E_KT, E_POS, E_POS_END, E_X, E_Y, ENT_STRIDE, M_AT, M_REMOVED, MARK_STRIDE, type WorldNet } from './world-net.js';

export { createWorldNet, type IntentLike, type NetTransport, type WorldNet, type WorldNetStats } from './world-net.js';

/**
 * What replication reads from a world: the core, the tiers slot (spatial index, behavior table),
 * the intent queue, the game slot (its table of custom replicated fields, if any) and the
 * controller slot (the process CPU share the active players' spread is gated on).
 */
export type ReplicationWorld = World<WorldCore & TiersSlot & IntentsSlot & GameSlot & ControllerSlot>;

/** Does the world's pipeline run a tiering phase (which rebuilds `world.spatial` every step)? */
const hasTieringPhase = (world: ReplicationWorld): boolean => {
  for (let i = 0; i < world.pipeline.length; i++) if (world.pipeline[i].phase === 'tiering') return true;
  return false;
};

/**
 * The quality-3 refresh (a snapshot between two queries): the first `count` entries of the
 * session's known set minus dead ids, appended to `net.visible` / `net.visRow` from `n`, each at
 * the cache row it had in its last snapshot when that row still holds it (a slot of the NPC grid —
 * what a query would see — or of this run's player grid); else at its fallback row once bitecs'
 * entity index says it is alive (read directly: entityExists per id was the most expensive line
 * of this path). A spectator other than the session's own player is dropped (it leaves). Returns
 * the new count.
 */
const refreshView = (world: ReplicationWorld, net: WorldNet, s: Session, count: number, n0: number): number => {
  const index = (world as ReplicationWorld & InternalWorld)[$internal].entityIndex;
  const { sparse, dense, aliveCount, versioning } = index;
  const kindOf = world.spatial.kindOf,
    self = s.player;
  const kn = s.known,
    rows = net.visRow,
    visible = net.visible,
    fb = net.slotRows;
  const g = net.npcGrid,
    gItems = g === null ? null : g.items,
    gn = g === null ? 0 : g.n,
    pItems = net.pgrid.items,
    pn = net.pgrid.n;
  let n = n0;
  for (let i = 0; i < count; i++) {
    const id = kn[i * KNOWN_STRIDE],
      row = kn[i * KNOWN_STRIDE + 4];
    if (row < gn ? gItems !== null && gItems[row] === id : row < gn + pn && row < fb && pItems[row - gn] === id) {
      rows[n] = row;
      visible[n++] = id;
      continue;
    }
    // A spectator (turned one since it was queried) is in no other session's view: it leaves.
    if (kindOf[id] === KIND_SPECTATOR && id !== self) continue;
    const d = sparse[id];
    if (versioning ? entityExists(world, id) : d !== undefined && d < aliveCount && dense[d] === id) {
      rows[n] = fb + id;
      visible[n++] = id;
    }
  }
  return n;
};

/**
 * Encode one session's delta snapshot into `net.out` and update its known set to what the
 * bytes say. Returns the byte length. Exported for the bench (encoding without sockets).
 *
 * Marks (`net.marks`, one 4-int row per entity): `tag` = mark ⇔ visible to this session,
 * mark + 1 ⇔ visible and known (then `at` is its index in the known set). Each session takes
 * two fresh mark values, so nothing is cleared between sessions.
 */
export const encodeSessionSnapshot = (world: ReplicationWorld, net: WorldNet, s: Session, f: SnapshotFrame): number => {
  const { Position, Player } = world.stores;
  const cfg = net.config;
  const run = net.run;
  net.mark += 2;
  let mark = net.mark;
  const { ent, marks, visible } = net;
  const pxw = Position.x[s.player],
    pyw = Position.y[s.player];
  let n = 0;
  const ordinal = snapshotOrdinal(f, s);
  // The session's known rows are cold (thousands of sessions since its last snapshot): touch one
  // int per cache line now, independent loads the CPU overlaps with the query below, instead of
  // one miss after another in the leave pass.
  {
    const kn = s.known,
      end = s.knownCount * KNOWN_STRIDE;
    let t = 0;
    for (let i = 0; i < end; i += 16) t ^= kn[i];
    net.touched = t;
  }
  const rows = net.visRow,
    fb = net.slotRows;
  // The query marks what it finds (the tag of the mark loop below, which it then skips).
  let marked = false;
  // The refresh runs for every session (with nothing to refresh after a query), so its call and
  // the code around it have type feedback before the controller's first quality-3 step.
  const requery = ordinal % Math.max(1, f.requeryEvery) === 0;
  if (requery) {
    n = queryView(world, net, pxw, pyw, s.interestRadius * f.radiusScale, mark);
    marked = true;
  }
  // After a query it refreshes the first known entry into scratch past the view (the result is
  // dropped): its loop body then has type feedback in every mode (docs/NET-SCALE.md).
  const nr = refreshView(world, net, s, requery ? Math.min(1, s.knownCount) : s.knownCount, n);
  n = requery ? n : nr;
  if (n > cfg.maxEntitiesPerSession) {
    // Denser than the cap: keep the own player, then the nearest and most important.
    net.stats.truncatedEntities += n - cfg.maxEntitiesPerSession;
    n = keepNearest(world, net.select, visible, n, cfg.maxEntitiesPerSession, s.player, pxw, pyw);
    for (let i = 0; i < n; i++) rows[i] = fb + visible[i];
    net.mark += 2; // the query's marks include dropped entities: mark the kept set afresh
    mark = net.mark;
    marked = false;
  }
  // Mark the view, encode entities first seen this run, count other players (the crowd level of
  // the session's priority, session-priority.ts).
  // After a query (already marked and cached) the loop runs on the last entry only (idempotent,
  // its count dropped), so the loop has type feedback before the first quality-3 refresh.
  let viewCrowd = 0;
  for (let i = marked ? Math.max(0, n - 1) : 0; i < n; i++) {
    const e = visible[i],
      row = rows[i];
    cacheRow(world, net, ent, run, e, row);
    const r = row * ENT_STRIDE;
    marks[e * MARK_STRIDE] = mark;
    viewCrowd += (ent[r + E_KT] & 0xffff) === PLAYER_KIND ? 1 : 0;
  }
  const crowd = marked ? net.viewPlayers : viewCrowd;
  const self = s.player;
  s.crowd = marks[self * MARK_STRIDE] === mark ? crowd - 1 : crowd;
  if (marks[self * MARK_STRIDE] !== mark && entityExists(world, self)) {
    // The own player is always in the view (a query may miss it, e.g. at a clamped edge).
    if (ent[(fb + self) * ENT_STRIDE] !== run) cacheEntity(world, net, self, fb + self);
    if (n < cfg.maxEntitiesPerSession) {
      rows[n] = fb + self;
      visible[n++] = self;
    } else {
      n = keepNearest(world, net.select, visible, n, cfg.maxEntitiesPerSession, self, pxw, pyw);
      net.mark += 2; // one entity was dropped: mark the kept set afresh
      mark = net.mark;
      for (let i = 0; i < n; i++) {
        const e = visible[i];
        marks[e * MARK_STRIDE] = mark;
        rows[i] = fb + e;
        if (ent[(fb + e) * ENT_STRIDE] !== run) cacheEntity(world, net, e, fb + e);
      }
    }
    marks[self * MARK_STRIDE] = mark;
  }
  const known = mark + 1;

  // Room for every visible entity up front, so the known arrays can be hoisted into locals.
  ensureKnown(s, s.knownCount + n);
  const kn = s.known;
  // Ids removed since this session's last snapshot leave (and re-enter if the id was reused).
  const syncRun = s.syncRun;
  s.syncRun = run;
  // Game-defined fields (replicated-fields.ts): null for the default wire.
  const ext = world.game === null ? null : world.game.replicated;
  const kExt = ext === null ? null : knownRows(ext, s, s.knownCount + n);
  const stride = ext === null ? 0 : ext.stride;

  // Leaves: known entities no longer visible (swap-remove keeps the known set dense).
  const leaves = net.leaves;
  leaves.pos = 0;
  let nLeave = 0;
  let count = s.knownCount;
  for (let i = 0; i < count; ) {
    const i4 = i * KNOWN_STRIDE,
      id = kn[i4],
      m = id * MARK_STRIDE;
    if (marks[m] !== mark || marks[m + M_REMOVED] > syncRun) {
      writeInt(leaves, id);
      nLeave++;
      count--;
      const c4 = count * KNOWN_STRIDE;
      kn[i4] = kn[c4];
      kn[i4 + 1] = kn[c4 + 1];
      kn[i4 + 2] = kn[c4 + 2];
      kn[i4 + 3] = kn[c4 + 3];
      kn[i4 + 4] = kn[c4 + 4];
      if (kExt !== null) moveKnownRow(kExt, stride, count, i);
    } else {
      marks[m] = known;
      marks[m + M_AT] = i;
      i++;
    }
  }

  // Evaluated for every session, and the far test below for every entity (farEvery 1: ordinal % 1
  // is 0, nothing is gated), so this code has type feedback before the controller first asks for a
  // staler far ring: a branch first taken then deoptimized the encoder mid-run, and the phase cost
  // ≈ 3× for several steps right when the frame was already over budget (docs/NET-SCALE.md, 100k).
  const farGate = ordinal % Math.max(1, f.farEvery) !== 0;
  const det2 = cfg.detailedRadius * cfg.detailedRadius;
  const enters = net.enters,
    updates = net.updates,
    sh = net.shared,
    ehb = net.enterShared;
  // Positions of the rows (loaded with them, in slot order): the same values as Position.x/y[e].
  const rowPos = net.rowPos;
  enters.pos = 0;
  updates.pos = 0;
  let nEnter = 0,
    nUpdate = 0;
  // Pending run [runA, runB) of shared x+y update bytes: rows cached one after the other have
  // adjacent entries, so a view in slot order copies them as a few blocks, not entry by entry.
  let runA = 0,
    runB = 0;
  for (let i = 0; i < n; i++) {
    const e = visible[i],
      row = rows[i],
      r = row * ENT_STRIDE;
    const dx = rowPos[2 * row] - pxw,
      dy = rowPos[2 * row + 1] - pyw;
    const far = dx * dx + dy * dy > det2;
    if (farGate && far) continue; // far and not due: keep what the client has
    const x = ent[r + E_X],
      y = ent[r + E_Y],
      kt = ent[r + E_KT],
      m = e * MARK_STRIDE;
    if (marks[m] === known) {
      const k = marks[m + M_AT],
        k4 = k * KNOWN_STRIDE;
      kn[k4 + 4] = row;
      const dX = kn[k4 + 1] !== x,
        dY = kn[k4 + 2] !== y,
        kkt = kn[k4 + 3];
      const extMask = kExt === null || ext === null ? 0 : changedFieldMask(ext, kExt, e, k, (kkt & 0xffff) !== (kt & 0xffff));
      if (kkt === kt && extMask === 0) {
        if (!dX && !dY) continue;
        if (dX && dY) {
          // The common case: position only, both axes — the shared entry, merged into the run.
          const a = ent[r + E_POS];
          if (a !== runB) {
            if (runB > runA) copyShared(updates, sh, runA, runB);
            runA = a;
          }
          runB = ent[r + E_POS_END];
          kn[k4 + 1] = x;
          kn[k4 + 2] = y;
          nUpdate++;
          continue;
        }
      }
      if (runB > runA) copyShared(updates, sh, runA, runB);
      runA = runB = 0;
      writeUpdate(updates, e, x, y, kt, kkt, dX, dY, extMask);
      if (dX) kn[k4 + 1] = x;
      if (dY) kn[k4 + 2] = y;
      kn[k4 + 3] = kt;
      if (extMask !== 0 && ext !== null && kExt !== null) writeChangedFields(updates, ext, kExt, e, k, extMask);
      nUpdate++;
    } else {
      const k = count++,
        k4 = k * KNOWN_STRIDE;
      kn[k4] = e;
      kn[k4 + 1] = x;
      kn[k4 + 2] = y;
      kn[k4 + 3] = kt;
      kn[k4 + 4] = row;
      if (kExt !== null && ext !== null) storeKnownRow(ext, kExt, e, k);
      const at = enterEntry(world, net, e, row);
      copyShared(enters, ehb, at, ent[r + E_ENTER_END]);
      nEnter++;
    }
  }
  if (runB > runA) copyShared(updates, sh, runA, runB);
  s.knownCount = count;

  const out = net.out;
  out.pos = 0;
  writeArrayHeader(out, 8);
  writeInt(out, MsgType.SNAPSHOT);
  writeInt(out, f.step);
  writeFloat64(out, f.worldTime);
  writeFloat64(out, f.sendTime);
  let prow = s.playerRow;
  if (Player.eid[prow] !== s.player || prow === 0) prow = s.playerRow = playerRow(world.stores, s.player);
  writeInt(out, Player.lastInputSeq[prow]);
  writeArrayHeader(out, nEnter);
  writeBytes(out, enters);
  writeArrayHeader(out, nUpdate);
  writeBytes(out, updates);
  writeArrayHeader(out, nLeave);
  writeBytes(out, leaves);
  return out.pos;
};

/**
 * Start a replicate run (before any `encodeSessionSnapshot`): bump the entity-cache stamp and
 * point the run at the world's spatial index. A pipeline without a tiering phase (tests,
 * benches, a custom game) does not rebuild that index, so replication rebuilds it here.
 */
export const beginRun = (world: ReplicationWorld, net: WorldNet): void => {
  net.run++;
  net.shared.pos = 0;
  net.enterShared.pos = 0;
  const { ent, marks } = net;
  if (net.run > 0x3fffffff) {
    net.run = 1;
    for (let r = 0; r < ent.length; r += ENT_STRIDE) ent[r] = 0;
    net.posRun.fill(0);
    for (let m = 0; m < marks.length; m += MARK_STRIDE) marks[m + M_REMOVED] = 0;
    for (let i = 0; i < net.sessions.length; i++) net.sessions[i].syncRun = 0;
  }
  for (let i = 0; i < net.removed.length; i++) marks[net.removed[i] * MARK_STRIDE + M_REMOVED] = net.run;
  net.removed.length = 0;
  if (net.mark > 0x3fffffff) {
    net.mark = 0;
    for (let m = 0; m < marks.length; m += MARK_STRIDE) marks[m] = 0;
  }
  markPlayers(world, net.select);
  const spatial = world.spatial;
  if (!hasTieringPhase(world)) {
    spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
    spatial.rebuildPlayers(world, 0);
  }
  net.spatial = spatial;
  net.npcGrid = spatial.npcGrid;
  net.margin = spatial.margin();
  const { Position, Player } = world.stores;
  // Spectators stay out of it: they are in no other session's view (interest-scan.ts).
  net.pgrid = buildPlayerGrid(net.pgrid, spatial.npcGrid, query(world, [Position, Player]), Position.x, Position.y, spatial.kindOf);
  // One entity cached through cacheRow every run (its fallback row holds what any later cache of
  // it writes, so frames are unchanged): the call inside has type feedback before the encoder's
  // first quality-3 refresh calls it for an uncached row.
  if (net.sessions.length > 0) {
    const p = net.sessions[0].player;
    if (entityExists(world, p)) cacheRow(world, net, net.ent, net.run, p, net.slotRows + p);
  }
};
