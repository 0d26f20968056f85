/**
 * The client's local entity view, maintained by applying snapshots in order. Pure data and
 * functions (no sockets): usable in a browser, a bot or a test.
 */
import { EntityField, PLAYER_KIND, type RegionMsg, type ReplicatedKinds, type SnapshotMsg } from '../net/protocol.js';

/** One entity as the client knows it. `qx/qy` are wire units; `x/y` world units. */
export interface ViewEntity {
  id: number;
  qx: number;
  qy: number;
  x: number;
  y: number;
  kind: number;
  tier: number;
  /** The game's custom replicated fields of this entity's kind, by name (dequantized: wire / scale). */
  fields?: Record<string, number>;
}

/** Entities by id, plus the step of the last applied snapshot. */
export interface EntityView {
  entities: Map<number, ViewEntity>;
  step: number;
  /** Wire units per world unit (from welcome). */
  positionScale: number;
  /** Updates or leaves for ids the view did not hold (a protocol violation; should stay 0). */
  inconsistencies: number;
  /** The game's custom replicated fields per kind (from welcome), or null. */
  fieldTable: ReplicatedKinds | null;
  /** The last frame applied was a region frame (an exact snapshot after it starts from an empty view). */
  fromRegion?: boolean;
  /** Region frames applied. */
  regionFrames?: number;
}

/** An empty view (`fieldTable` from `welcome.fields` decodes a game's custom fields). */
export const createView = (positionScale: number, fieldTable: ReplicatedKinds | null = null): EntityView => ({
  entities: new Map(),
  step: -1,
  positionScale,
  inconsistencies: 0,
  fieldTable,
});

/** A view entity from an enter entry `[id, x, y, kind, tier, ...custom fields]`. */
const entityOf = (v: EntityView, e: number[]): ViewEntity => {
  const scale = v.positionScale;
  const [id, qx, qy, kind, tier] = e as [number, number, number, number, number];
  const ent: ViewEntity = { id, qx, qy, x: qx / scale, y: qy / scale, kind, tier };
  const custom = e.length > 5 ? v.fieldTable?.get(kind) : undefined;
  if (custom) {
    const fields: Record<string, number> = {};
    for (let j = 0; j < custom.names.length && 5 + j < e.length; j++) fields[custom.names[j]] = e[5 + j] / custom.scales[j];
    ent.fields = fields;
  }
  return ent;
};

/** Apply one snapshot (enter → add, update → changed fields, leave → remove). */
export const applySnapshot = (v: EntityView, s: SnapshotMsg): void => {
  const scale = v.positionScale;
  if (v.fromRegion) {
    // The server cleared its known set when it sent the region frame: this snapshot is all enters.
    v.entities.clear();
    v.fromRegion = false;
  }
  for (const id of s.leave) if (!v.entities.delete(id)) v.inconsistencies++;
  for (const e of s.enter) {
    const ent = entityOf(v, e);
    v.entities.set(ent.id, ent);
  }
  for (const u of s.update) {
    const ent = v.entities.get(u[0]);
    if (!ent) {
      v.inconsistencies++;
      continue;
    }
    const mask = u[1];
    let i = 2;
    if (mask & EntityField.X) {
      ent.qx = u[i++];
      ent.x = ent.qx / scale;
    }
    if (mask & EntityField.Y) {
      ent.qy = u[i++];
      ent.y = ent.qy / scale;
    }
    if (mask & EntityField.KIND) ent.kind = u[i++];
    if (mask & EntityField.TIER) ent.tier = u[i++];
    if (mask >= 16) {
      // Custom fields of the entity's (possibly new) kind, bits 16 << j in field order.
      const custom = v.fieldTable?.get(ent.kind);
      if (!custom) {
        v.inconsistencies++;
        continue;
      }
      const fields = (ent.fields ??= {});
      for (let j = 0; j < custom.names.length; j++) if (mask & (16 << j)) fields[custom.names[j]] = u[i++] / custom.scales[j];
    }
  }
  v.step = s.step;
};

/** Weight of a player's or detailed (tier 0) NPC's squared distance in the cap selection (the server's `IMPORTANT_WEIGHT`). */
const IMPORTANT = 0.25;

/**
 * Apply a region frame (docs/PROTOCOL.md "region"): it replaces the view with the frame's
 * entities within `m.radius` of the own player `playerId` (world units, from wire positions),
 * and when more than `m.maxEntities` remain, the own player plus the nearest by the server's
 * selection key (players and tier-0 NPCs count as half as far). Returns false (and counts an
 * inconsistency, leaving the view as it was) when the frame does not hold the own player.
 */
export const applyRegion = (v: EntityView, m: RegionMsg, playerId: number): boolean => {
  let self: number[] | null = null;
  for (const e of m.entities) if (e[0] === playerId) self = e;
  if (self === null) {
    v.inconsistencies++;
    return false;
  }
  const scale = v.positionScale;
  const sx = self[1] / scale,
    sy = self[2] / scale,
    r2 = m.radius * m.radius;
  const kept: { e: number[]; key: number }[] = [];
  for (const e of m.entities) {
    const dx = e[1] / scale - sx,
      dy = e[2] / scale - sy;
    const d2 = dx * dx + dy * dy;
    if (e[0] !== playerId && !(d2 <= r2)) continue;
    const key = e[0] === playerId ? -1 : e[3] === PLAYER_KIND || e[4] === 0 ? d2 * IMPORTANT : d2;
    kept.push({ e, key });
  }
  if (kept.length > m.maxEntities) {
    kept.sort((a, b) => a.key - b.key);
    kept.length = m.maxEntities;
  }
  v.entities.clear();
  for (const k of kept) {
    const ent = entityOf(v, k.e);
    v.entities.set(ent.id, ent);
  }
  v.step = m.step;
  v.fromRegion = true;
  v.regionFrames = (v.regionFrames ?? 0) + 1;
  return true;
};

/**
 * What one frame changed in the view, for a renderer that keeps a sprite per entity: `entered`
 * (new in the view), `updated` (still there and named by the frame: a snapshot's updates, every
 * kept entity of a region frame), `left` (ids gone). A `welcome` (a join, a resume, a reconnect)
 * starts a new view: every entity of the old one is in `left`.
 */
export interface ViewChange {
  step: number;
  entered: ViewEntity[];
  updated: ViewEntity[];
  left: number[];
}

/** The change from the ids `before` to `v` (`named`: the ids the frame updated, or null: every kept id). */
export const viewChange = (before: ReadonlySet<number>, v: EntityView, named: readonly number[] | null): ViewChange => {
  const ch: ViewChange = { step: v.step, entered: [], updated: [], left: [] };
  for (const id of before) if (!v.entities.has(id)) ch.left.push(id);
  for (const e of v.entities.values()) if (!before.has(e.id)) ch.entered.push(e);
  if (named === null) {
    for (const e of v.entities.values()) if (before.has(e.id)) ch.updated.push(e);
  } else
    for (const id of named) {
      const e = before.has(id) ? v.entities.get(id) : undefined;
      if (e) ch.updated.push(e);
    }
  return ch;
};
