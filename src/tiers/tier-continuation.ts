/**
 * The part of the tiered simulation's state a checkpoint needs for a bit-exact continuation of
 * sliced near passes (src/tiers/near-slices.ts) and coarse movement
 * (src/tiers/coarse-movement.ts), as plain scalars and typed-array sections (src/persist/
 * world-snapshot.ts stores them next to the rest of `world.npcSim`). A running sliced NPC-grid
 * rebuild is not saved: a restored world starts a new one when its margin asks, and no tier or
 * position depends on the grid's slot layout (scans check current positions exactly).
 */
import type { NpcSimState } from './tier-state.js';
import { growInt32, growTierList } from './tier-state.js';

/** Scalar fields of `npcSim` saved by checkpoints for these parts. */
export const CONTINUATION_SCALARS = [
  'nearPhase',
  'nearCursor',
  'nearTotal',
  'nearPassMs',
  'candCount',
  'nearNext',
  'nearFinite',
  'nearCount',
  'nearSize',
  'nearBuilt',
  'nearScratchClean',
  'touchedCount',
  'floorCount',
  'upperCount',
  'moveCursor',
] as const;

type Section = Int32Array | Uint16Array | Uint8Array | Float32Array;

/** The sections (name → array view, copied by the caller) for a checkpoint of `s`; `rows` entity rows. */
export const continuationSections = (s: NpcSimState, rows: number): { name: string; data: Section }[] => [
  { name: 'npcSim.movedStep', data: s.movedStep.subarray(0, rows) },
  { name: 'npcSim.scanList', data: s.scanList.subarray(0, s.nearPhase === 1 ? s.nearTotal : 0) },
  { name: 'npcSim.upper', data: s.upper.subarray(0, s.upperCount) },
  { name: 'npcSim.touched', data: s.touched.subarray(0, s.touchedCount) },
  { name: 'npcSim.cand', data: s.cand.subarray(0, s.candCount) },
  { name: 'npcSim.near', data: s.near.subarray(0, Math.max(s.nearCount, s.nearNext)) },
  { name: 'npcSim.nearMark', data: s.nearMark.subarray(0, rows) },
  { name: 'npcSim.floorTier', data: s.floorTier.subarray(0, rows) },
  { name: 'npcSim.floored', data: s.floored.subarray(0, s.floorCount) },
  { name: 'npcSim.listKey.0', data: s.listKey[0].subarray(0, s.tierCount[0]) },
  { name: 'npcSim.listKey.1', data: s.listKey[1].subarray(0, s.tierCount[1]) },
  { name: 'npcSim.listKey.2', data: s.listKey[2].subarray(0, s.tierCount[2]) },
];

/** Id lists restored at their saved length (grown when the fresh state is shorter). */
const GROWN = ['scanList', 'upper', 'touched', 'cand', 'near', 'floored'] as const;
/** Per-entity-row arrays restored over their fresh (capacity-sized) state. */
const ROWS = ['movedStep', 'nearMark', 'floorTier'] as const;

/**
 * Restore what {@link continuationSections} and {@link CONTINUATION_SCALARS} saved into `s`
 * (after the tier lists were restored). `get` returns a section or undefined: a checkpoint
 * written before these parts existed has none, and the state keeps its fresh defaults.
 */
export const restoreContinuation = (
  s: NpcSimState,
  get: (name: string) => ArrayLike<number> | undefined,
  scalars: Record<string, number | boolean>,
): void => {
  for (const k of CONTINUATION_SCALARS) {
    const v = scalars[k];
    if (typeof v === typeof s[k]) Reflect.set(s, k, v);
  }
  for (const k of ROWS) {
    const saved = get(`npcSim.${k}`);
    if (saved) s[k].set(saved);
  }
  for (const k of GROWN) {
    const saved = get(`npcSim.${k}`);
    if (!saved) continue;
    s[k] = growInt32(s[k], saved.length);
    s[k].set(saved);
  }
  for (let t = 0; t < 3; t++) {
    const key = get(`npcSim.listKey.${t}`);
    if (!key) continue;
    growTierList(s, t, key.length);
    s.listKey[t].set(key);
  }
};
