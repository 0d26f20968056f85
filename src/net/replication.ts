/**
 * Per-world replication: the state the replicate phase needs (sessions of the world, per-step
 * entity cache, diff scratch, writers) and the function that builds and sends every session's
 * delta snapshot.
 *
 * Encode once, share: each visible entity is quantized (x, y → int wire units, kind, tier) at
 * most once per step into world-sized typed arrays stamped with the replicate run; sessions
 * then diff those integers against their own known set and write msgpack bytes directly.
 *
 * Wall time (`now`) is operational only: the snapshot's send time for latency measurement.
 */
import { $internal, entityExists, hasComponent, type InternalWorld } from 'bitecs';
import type { World } from 'bitecs';
import type { StepContext, WorldCore } from '../core/world-core.js';
import type { GameSlot } from '../game/slot.js';
import type { IntentsSlot } from '../intents/intent-queue.js';
import type { TiersSlot } from '../tiers/tiers-slot.js';
import { keepNearest, markPlayers } from './interest-select.js';
import { EntityField, MsgType, PLAYER_KIND } from './protocol.js';
import {
  bitCount,
  cacheEntityFields,
  changedFieldMask,
  knownRows,
  moveKnownRow,
  storeKnownRow,
  writeChangedFields,
  writeEntityFields,
} from './replicated-fields.js';
import { ensureKnown, type Session } from './session.js';
import { ensure, writeArrayHeader, writeBytes, writeFloat64, writeInt, type ByteWriter } from './snapshot-writer.js';
import type { WorldNet } from './world-net.js';

export { createWorldNet, type IntentLike, type NetTransport, type WorldNet, type WorldNetStats } from './world-net.js';

/** Append bytes [start, end) of `src` (a few bytes: a loop beats creating a subarray). */
const copyShared = (w: ByteWriter, src: Uint8Array, start: number, end: number): void => {
  ensure(w, end - start);
  const b = w.bytes;
  let p = w.pos;
  for (let i = start; i < end; i++) b[p++] = src[i];
  w.pos = p;
};

/** Snapshot-wide inputs of one session's encoding. */
/**
 * What replication reads from a world: the core, the tiers slot (spatial index, behavior table),
 * the intent queue and the game slot (its table of custom replicated fields, if any).
 */
export type ReplicationWorld = World<WorldCore & TiersSlot & IntentsSlot & GameSlot>;

/** Does the world's pipeline run a tiering phase (which rebuilds `world.spatial` every step)? */
const hasTieringPhase = (world: ReplicationWorld): boolean => {
  for (let i = 0; i < world.pipeline.length; i++) if (world.pipeline[i].phase === 'tiering') return true;
  return false;
};

export interface SnapshotFrame {
  step: number;
  worldTime: number;
  sendTime: number;
  /** Radius multiplier from the interest quality ladder. */
  radiusScale: number;
  /** Far entities (beyond detailedRadius) replicated every N steps; 1 = always. */
  farEvery: number;
  /**
   * Interest set recomputed every N steps per session (1 = every step). In between, the
   * session's known entities are refreshed (no enters or leaves except removed entities).
   */
  requeryEvery: number;
  /**
   * Steps between two snapshots of one session (net option `snapshotHz`; 1 = every step, the
   * default when absent). The cadences above (`farEvery`, `requeryEvery`) count the session's
   * own snapshots: its snapshot ordinal is ⌊(step + conn id) / snapshotEvery⌋.
   */
  snapshotEvery?: number;
}

/** The session's snapshot ordinal at this frame (= step + conn id when every step is a snapshot step). */
export const snapshotOrdinal = (f: SnapshotFrame, s: Session): number => {
  const every = f.snapshotEvery;
  return every === undefined || every <= 1 ? f.step + s.conn.id : Math.floor((f.step + s.conn.id) / every);
};

/**
 * Encode one session's delta snapshot into `net.out` and update its known set to what the
 * bytes say. Returns the byte length. Exported for the bench (encoding without sockets).
 */
export const encodeSessionSnapshot = (world: ReplicationWorld, net: WorldNet, s: Session, f: SnapshotFrame): number => {
  const { Position, Player, Npc, Tier } = world.stores;
  const cfg = net.config;
  const scale = cfg.positionScale;
  const run = net.run;
  let mark = ++net.mark;
  const { visMark, knownMark, knownAt, cacheRun, qx, qy, qKind, qTier, visible } = net;
  const pxw = Position.x[s.player],
    pyw = Position.y[s.player];
  let n = 0;
  const ordinal = snapshotOrdinal(f, s);
  if (f.requeryEvery <= 1 || ordinal % f.requeryEvery === 0)
    n = net.spatial.queryRadius(pxw, pyw, s.interestRadius * f.radiusScale, visible);
  else {
    // Refresh: the known set minus dead ids. bitecs' entity index read directly (entityExists
    // per id was the most expensive line of the replicate phase in the 5,000-session profile).
    const index = (world as ReplicationWorld & InternalWorld)[$internal].entityIndex;
    const kId = s.knownId;
    if (index.versioning)
      for (let i = 0; i < s.knownCount; i++) {
        if (entityExists(world, kId[i])) visible[n++] = kId[i];
      }
    else {
      const { sparse, dense, aliveCount } = index;
      for (let i = 0; i < s.knownCount; i++) {
        const id = kId[i],
          d = sparse[id];
        if (d !== undefined && d < aliveCount && dense[d] === id) visible[n++] = id;
      }
    }
  }
  if (n > cfg.maxEntitiesPerSession) {
    // Denser than the cap: keep the own player, then the nearest and most important.
    net.stats.truncatedEntities += n - cfg.maxEntitiesPerSession;
    n = keepNearest(world, net.select, visible, n, cfg.maxEntitiesPerSession, s.player, pxw, pyw);
  }
  // Crowd level (other players in view) for the session's priority (session-priority.ts).
  const pm = net.select.playerMark,
    pStamp = net.select.stamp;
  let crowd = 0;
  for (let i = 0; i < n; i++) {
    const e = visible[i];
    visMark[e] = mark;
    if (pm[e] === pStamp) crowd++;
  }
  s.crowd = visMark[s.player] === mark ? crowd - 1 : crowd;
  if (visMark[s.player] !== mark && entityExists(world, s.player)) {
    // The own player is always in the view (a query may miss it, e.g. at a clamped edge).
    if (n < cfg.maxEntitiesPerSession) visible[n++] = s.player;
    else {
      n = keepNearest(world, net.select, visible, n, cfg.maxEntitiesPerSession, s.player, pxw, pyw);
      mark = ++net.mark; // one entity was dropped: mark the kept set afresh
      for (let i = 0; i < n; i++) visMark[visible[i]] = mark;
    }
    visMark[s.player] = mark;
  }

  // Room for every visible entity up front, so the known arrays can be hoisted into locals.
  ensureKnown(s, s.knownCount + n);
  const kId = s.knownId,
    kX = s.knownX,
    kY = s.knownY,
    kKind = s.knownKind,
    kTier = s.knownTier;
  // Ids removed since this session's last snapshot leave (and re-enter if the id was reused).
  const removedRun = net.removedRun,
    syncRun = s.syncRun;
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
    const id = kId[i];
    if (visMark[id] !== mark || removedRun[id] > syncRun) {
      writeInt(leaves, id);
      nLeave++;
      count--;
      kId[i] = kId[count];
      kX[i] = kX[count];
      kY[i] = kY[count];
      kKind[i] = kKind[count];
      kTier[i] = kTier[count];
      if (kExt !== null) moveKnownRow(kExt, stride, count, i);
    } else {
      knownMark[id] = mark;
      knownAt[id] = i;
      i++;
    }
  }

  const farGate = f.farEvery > 1 && ordinal % f.farEvery !== 0;
  const det2 = cfg.detailedRadius * cfg.detailedRadius;
  const enters = net.enters,
    updates = net.updates,
    sh = net.shared;
  const enterOff = net.enterOff,
    posOff = net.posOff,
    posEnd = net.posEnd;
  const px = Position.x,
    py = Position.y;
  enters.pos = 0;
  updates.pos = 0;
  let nEnter = 0,
    nUpdate = 0;
  for (let i = 0; i < n; i++) {
    const e = visible[i];
    if (cacheRun[e] !== run) {
      // Encode once per step, shared by every session that sees e.
      cacheRun[e] = run;
      const ex = (qx[e] = Math.round(px[e] * scale));
      const ey = (qy[e] = Math.round(py[e] * scale));
      if (hasComponent(world, e, Player)) {
        qKind[e] = PLAYER_KIND;
        qTier[e] = 0;
      } else {
        qKind[e] = Npc.kind[e];
        qTier[e] = Tier.tier[e];
      }
      // The two entries most sessions need, encoded once: [e, x, y, kind, tier, ...fields] and [e, 3, x, y].
      const nf = ext === null ? 0 : cacheEntityFields(ext, e, qKind[e]);
      enterOff[e] = sh.pos;
      writeArrayHeader(sh, 5 + nf);
      writeInt(sh, e);
      writeInt(sh, ex);
      writeInt(sh, ey);
      writeInt(sh, qKind[e]);
      writeInt(sh, qTier[e]);
      if (nf > 0) writeEntityFields(sh, ext!, e);
      posOff[e] = sh.pos;
      writeArrayHeader(sh, 4);
      writeInt(sh, e);
      writeInt(sh, EntityField.X | EntityField.Y);
      writeInt(sh, ex);
      writeInt(sh, ey);
      posEnd[e] = sh.pos;
    }
    if (farGate) {
      const dx = px[e] - pxw,
        dy = py[e] - pyw;
      if (dx * dx + dy * dy > det2) continue; // far and not due: keep what the client has
    }
    const x = qx[e],
      y = qy[e];
    if (knownMark[e] === mark) {
      const k = knownAt[e];
      const kind = qKind[e],
        tier = qTier[e];
      const dX = kX[k] !== x,
        dY = kY[k] !== y;
      const extMask = kExt === null ? 0 : changedFieldMask(ext!, kExt, e, k, kKind[k] !== kind);
      if (kKind[k] === kind && kTier[k] === tier && extMask === 0) {
        if (!dX && !dY) continue;
        if (dX && dY) {
          // The common case: position only, both axes — copy the shared bytes.
          copyShared(updates, sh.bytes, posOff[e], posEnd[e]);
          kX[k] = x;
          kY[k] = y;
          nUpdate++;
          continue;
        }
      }
      let mask = 0,
        nf = 2;
      if (dX) {
        mask |= EntityField.X;
        nf++;
      }
      if (dY) {
        mask |= EntityField.Y;
        nf++;
      }
      if (kKind[k] !== kind) {
        mask |= EntityField.KIND;
        nf++;
      }
      if (kTier[k] !== tier) {
        mask |= EntityField.TIER;
        nf++;
      }
      if (extMask !== 0) {
        mask |= extMask;
        nf += bitCount(extMask);
      }
      writeArrayHeader(updates, nf);
      writeInt(updates, e);
      writeInt(updates, mask);
      if (dX) {
        writeInt(updates, x);
        kX[k] = x;
      }
      if (dY) {
        writeInt(updates, y);
        kY[k] = y;
      }
      if (mask & EntityField.KIND) {
        writeInt(updates, kind);
        kKind[k] = kind;
      }
      if (mask & EntityField.TIER) {
        writeInt(updates, tier);
        kTier[k] = tier;
      }
      if (extMask !== 0) writeChangedFields(updates, ext!, kExt!, e, k, extMask);
      nUpdate++;
    } else {
      const k = count++;
      kId[k] = e;
      kX[k] = x;
      kY[k] = y;
      kKind[k] = qKind[e];
      kTier[k] = qTier[e];
      if (kExt !== null) storeKnownRow(ext!, kExt, e, k);
      copyShared(enters, sh.bytes, enterOff[e], posOff[e]);
      nEnter++;
    }
  }
  s.knownCount = count;

  const out = net.out;
  out.pos = 0;
  writeArrayHeader(out, 8);
  writeInt(out, MsgType.SNAPSHOT);
  writeInt(out, f.step);
  writeFloat64(out, f.worldTime);
  writeFloat64(out, f.sendTime);
  writeInt(out, Player.lastInputSeq[s.player]);
  writeArrayHeader(out, nEnter);
  writeBytes(out, enters);
  writeArrayHeader(out, nUpdate);
  writeBytes(out, updates);
  writeArrayHeader(out, nLeave);
  writeBytes(out, leaves);
  return out.pos;
};

/** The frame parameters for this step from the controller's knobs (see docs/PROTOCOL.md). */
export const frameFor = (world: ReplicationWorld, ctx: StepContext, sendTime: number, out: SnapshotFrame): SnapshotFrame => {
  const q = ctx.budgets.interestQuality;
  let farEvery = Math.max(1, Math.floor(ctx.budgets.farReplicationEvery) || 1);
  if (q >= 1) farEvery = Math.max(2, farEvery * 2);
  out.step = ctx.step;
  out.worldTime = world.clock.now;
  out.sendTime = sendTime;
  out.radiusScale = q >= 2 ? 0.75 : 1;
  out.farEvery = farEvery;
  out.requeryEvery = q >= 3 ? 4 : 1;
  return out;
};

/**
 * Start a replicate run (before any `encodeSessionSnapshot`): bump the entity-cache stamp and
 * point the run at the world's spatial index. A pipeline without a tiering phase (tests,
 * benches, a custom game) does not rebuild that index, so replication rebuilds it here.
 */
export const beginRun = (world: ReplicationWorld, net: WorldNet): void => {
  net.run++;
  net.shared.pos = 0;
  for (let i = 0; i < net.removed.length; i++) net.removedRun[net.removed[i]] = net.run;
  net.removed.length = 0;
  if (net.run > 0x3fffffff) {
    net.run = 1;
    net.cacheRun.fill(0);
    net.removedRun.fill(0);
    for (let i = 0; i < net.sessions.length; i++) net.sessions[i].syncRun = 0;
  }
  if (net.mark > 0x3fffffff) {
    net.mark = 0;
    net.visMark.fill(0);
    net.knownMark.fill(0);
  }
  markPlayers(world, net.select);
  const spatial = world.spatial;
  if (!hasTieringPhase(world)) {
    spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
    spatial.rebuildPlayers(world, 0);
  }
  net.spatial = spatial;
};
