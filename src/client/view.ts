/**
 * The client's local entity view, maintained by applying snapshots in order. Pure data and
 * functions (no sockets): usable in a browser, a bot or a test.
 */
import { EntityField, type SnapshotMsg } from '../net/protocol.js';

/** One entity as the client knows it. `qx/qy` are wire units; `x/y` world units. */
export interface ViewEntity {
  id: number;
  qx: number;
  qy: number;
  x: number;
  y: number;
  kind: number;
  tier: number;
}

/** Entities by id, plus the step of the last applied snapshot. */
export interface EntityView {
  entities: Map<number, ViewEntity>;
  step: number;
  /** Wire units per world unit (from welcome). */
  positionScale: number;
  /** Updates or leaves for ids the view did not hold (a protocol violation; should stay 0). */
  inconsistencies: number;
}

export const createView = (positionScale: number): EntityView => ({ entities: new Map(), step: -1, positionScale, inconsistencies: 0 });

/** Apply one snapshot (enter → add, update → changed fields, leave → remove). */
export const applySnapshot = (v: EntityView, s: SnapshotMsg): void => {
  const scale = v.positionScale;
  for (const id of s.leave) if (!v.entities.delete(id)) v.inconsistencies++;
  for (const e of s.enter) {
    const [id, qx, qy, kind, tier] = e as [number, number, number, number, number];
    v.entities.set(id, { id, qx, qy, x: qx / scale, y: qy / scale, kind, tier });
  }
  for (const u of s.update) {
    const ent = v.entities.get(u[0]!);
    if (!ent) { v.inconsistencies++; continue; }
    const mask = u[1]!;
    let i = 2;
    if (mask & EntityField.X) { ent.qx = u[i++]!; ent.x = ent.qx / scale; }
    if (mask & EntityField.Y) { ent.qy = u[i++]!; ent.y = ent.qy / scale; }
    if (mask & EntityField.KIND) ent.kind = u[i++]!;
    if (mask & EntityField.TIER) ent.tier = u[i++]!;
  }
  v.step = s.step;
};
