/**
 * The client's local entity view, maintained by applying snapshots in order. Pure data and
 * functions (no sockets): usable in a browser, a bot or a test.
 */
import { EntityField, type ReplicatedKinds, type SnapshotMsg } from '../net/protocol.js';

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
}

/** An empty view (`fieldTable` from `welcome.fields` decodes a game's custom fields). */
export const createView = (positionScale: number, fieldTable: ReplicatedKinds | null = null): EntityView => ({
  entities: new Map(),
  step: -1,
  positionScale,
  inconsistencies: 0,
  fieldTable,
});

/** Apply one snapshot (enter → add, update → changed fields, leave → remove). */
export const applySnapshot = (v: EntityView, s: SnapshotMsg): void => {
  const scale = v.positionScale;
  for (const id of s.leave) if (!v.entities.delete(id)) v.inconsistencies++;
  for (const e of s.enter) {
    const [id, qx, qy, kind, tier] = e as [number, number, number, number, number];
    const ent: ViewEntity = { id, qx, qy, x: qx / scale, y: qy / scale, kind, tier };
    const custom = e.length > 5 ? v.fieldTable?.get(kind) : undefined;
    if (custom) {
      const fields: Record<string, number> = {};
      for (let j = 0; j < custom.names.length && 5 + j < e.length; j++) fields[custom.names[j]] = e[5 + j] / custom.scales[j];
      ent.fields = fields;
    }
    v.entities.set(id, ent);
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
