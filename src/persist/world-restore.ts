/**
 * Restore a world checkpoint (as world-snapshot.ts captured and encoded it) into a fresh world
 * that continues identically: checked before anything is built, loaded field by field, a game's
 * stores, timers and waiting facts by the rules of game-changes.ts.
 */
import { growStoreRows, SceneState, STORE_NAMES, storesRestored, type Store } from '../../components/index.js';
import type { FieldArray } from '../../components/alloc.js';
import { createSimWorld, destroySimWorld, type CreateWorldOptions, type SimWorld } from '../world/sim-world.js';
import { ErrorCode, isWorldtickError } from '../errors.js';
import { checkSnapshotHeader, checkSnapshotSchema, type SnapshotExpect } from './snapshot-checks.js';
import { restoreEntities } from './entity-state.js';
import { checkpointCorrupt, inflateSnapshot, snapshotChecksum, unpackSections } from './snapshot-format.js';
import { growSelected, growTierList } from '../tiers/tier-state.js';
import { restoreContinuation } from '../tiers/tier-continuation.js';
import { coarseMovementOn } from '../tiers/coarse-movement.js';
import { physicsOptionOf, restorePhysics } from '../physics/physics-checkpoint.js';
import { loadTimers } from '../game/timer-state.js';
import { readTimerSections } from './timer-sections.js';
import { restoreWaitingFacts, type SavedFact } from '../game/facts.js';
import { readFactSections } from './fact-sections.js';
import { readWorldDataSection } from './world-data-section.js';
import { loadWorldData } from '../game/world-data.js';
import { checkGame, savedGameVersion, countDropped, hasGameChanges, restoreGameFields, type GameChanges } from './game-changes.js';
import { NPC_SIM_SCALARS, WORLD_SNAPSHOT_SCHEMA, type WorldSnapshotHeader } from './world-snapshot-header.js';

/** Copy a saved field into a live one (rows beyond either length are left as they are; values convert if the type changed). */
const copyField = (arr: FieldArray | undefined, src: FieldArray): void => {
  if (!arr) return;
  arr.set(src.length > arr.length ? src.subarray(0, arr.length) : src);
};

const need = (sections: Map<string, FieldArray>, name: string): FieldArray => {
  const a = sections.get(name);
  if (!a) throw checkpointCorrupt(`missing section ${name}`);
  return a;
};

/** Options of {@link restoreWorld}: what a restored world gets besides its checkpoint. */
export type RestoreOptions = Pick<CreateWorldOptions, 'systems' | 'physics'> & {
  /** The record the world is restored for: a checkpoint of another world id or capacity is refused as corrupt. */
  expect?: SnapshotExpect;
  /** Bound of the inflated checkpoint, bytes (default `MAX_SNAPSHOT_RAW_BYTES`): a deflate bomb stops there. */
  maxRawBytes?: number;
  /** CRC-32 of the inflated bytes as written (the row's `meta.crc32`): a mismatch is refused as corrupt. */
  crc32?: number;
  /**
   * Install the world's game slot (`installGame`, src/game) on the fresh world before the state is
   * loaded: the game's component stores must exist to get their members and values back.
   */
  install?: (world: SimWorld) => void;
  /** Told what differs between the checkpoint's game data and the installed game, when anything does (game-changes.ts). */
  changes?: (changes: GameChanges) => void;
  /**
   * Run on the restored world when its checkpoint records a lower version of the installed game
   * (`from`): the game's `migrate` hook (src/game/migrate.ts), after the state is loaded. A start
   * or a takeover passes it (src/persist/restore.ts); a replay does not (its starting checkpoint is
   * of the migrated world). What it throws is thrown, the world destroyed.
   */
  migrate?: (world: SimWorld, from: number) => void;
};

/**
 * Build a fresh world from stored checkpoint bytes (as {@link encodeCapture} made them).
 * Throws `WT_ERR_CHECKPOINT_CORRUPT` on unreadable data, `WT_ERR_CHECKPOINT_INCOMPATIBLE` on game data
 * the installed game cannot hold (game-changes.ts), `WT_ERR_CHECKPOINT_TOO_NEW` on a checkpoint
 * of a newer schema or container format whose bytes `crc32` verified (nothing built; unverified, such
 * a version is taken as damage: `WT_ERR_CHECKPOINT_CORRUPT`). Given no `physics`, the world gets
 * the checkpoint's physics block (schema 7; none in older ones). The world is not in any runner yet.
 */
export const restoreWorld = async (stored: Uint8Array, opts: RestoreOptions = {}): Promise<SimWorld> => {
  const raw = await inflateSnapshot(stored, opts.maxRawBytes);
  const crc = opts.crc32 === undefined ? undefined : snapshotChecksum(raw);
  if (crc !== undefined && crc !== opts.crc32) throw checkpointCorrupt('checksum mismatch');
  let unpacked: ReturnType<typeof unpackSections<WorldSnapshotHeader>>;
  try {
    unpacked = unpackSections<WorldSnapshotHeader>(raw);
    // A newer build's checkpoint is refused first (WT_ERR_CHECKPOINT_TOO_NEW): its other fields may mean what this build does not know.
    checkSnapshotSchema(unpacked.header, WORLD_SNAPSHOT_SCHEMA);
  } catch (err) {
    // Bytes no checksum vouches for: a newer version in them is as likely a flipped bit (the store path
    // checks the row's own `meta.schema` / `meta.format` first, src/persist/restore.ts).
    if (crc === undefined && isWorldtickError(err, ErrorCode.CHECKPOINT_TOO_NEW))
      throw checkpointCorrupt(`${err.message.slice(0, 120)}, in bytes no checksum verified`);
    throw err;
  }
  const { header: h, sections } = unpacked;
  // Before anything is allocated from it: the header sizes every store (capacity) and the player grid.
  checkSnapshotHeader(h, opts.expect);
  const facts = readFactSections(h.gameFacts, sections); // checked before anything is built
  const data = readWorldDataSection(h.gameData, sections);
  let world: SimWorld;
  try {
    world = createSimWorld({
      id: h.worldId,
      capacity: h.capacity,
      seed: h.seed,
      size: h.size,
      config: h.config,
      ...(opts.systems ? { systems: opts.systems } : {}),
      physics: opts.physics !== undefined ? opts.physics : physicsOptionOf(h.physics, (n) => sections.get(n)),
    });
  } catch (err) {
    if (isWorldtickError(err)) throw err; // a config the build refuses: WT_ERR_CONFIG_INVALID
    throw checkpointCorrupt(`malformed: ${err instanceof Error ? err.message.slice(0, 120) : String(err)}`);
  }
  try {
    loadState(world, h, sections, opts, facts);
    // Schema 8; null in older checkpoints (a world that never set any). A migrate hook sees it.
    if (data !== null && world.game) loadWorldData(world.game.data, data);
    const from = savedGameVersion(h.game);
    if (opts.migrate && world.game && from !== null && from < world.game.version) opts.migrate(world, from);
  } catch (err) {
    destroySimWorld(world);
    if (isWorldtickError(err)) throw err;
    // A value of the right shape but out of range (an id past the stores, a list longer than its table...).
    throw checkpointCorrupt(`malformed: ${err instanceof Error ? err.message.slice(0, 120) : String(err)}`);
  }
  return world;
};

/** Load a checked header and its sections into the fresh `world` (see {@link restoreWorld}). */
const loadState = (
  world: SimWorld,
  h: WorldSnapshotHeader,
  sections: Map<string, FieldArray>,
  opts: RestoreOptions,
  facts: readonly SavedFact[],
): void => {
  opts.install?.(world);
  checkGame(h.game, world.game);
  restoreEntities(world, h.entities, sections);
  const stores: Record<string, Store> = {};
  for (const name of STORE_NAMES) stores[name] = world.stores[name];
  // Store tables hold at most capacity + 1 rows (ids 1..capacity; the player and chain-timer tables likewise).
  const rows = (name: string): FieldArray => {
    const a = need(sections, name);
    if (a.length > world.capacity + 1) throw checkpointCorrupt(`section ${name} has ${a.length} rows, capacity ${world.capacity}`);
    return a;
  };
  for (const f of h.fields) {
    const [name, key] = f.split('.') as [string, string];
    const src = rows(`field.${f}`);
    const known = STORE_NAMES.find((n) => n === name);
    if (known) growStoreRows(world.stores, known, src.length);
    copyField(stores[name]?.[key], src); // a field this build no longer has: skipped
  }
  // Game stores (schema 2), by the rules of game-changes.ts: dropped, defaults, converted or refused.
  const savedFields = Array.isArray(h.gameFields) ? h.gameFields : [];
  const gameStores = world.game?.stores;
  const members = (c: string): FieldArray | undefined => sections.get(`gmembers.${c}`);
  const changes = restoreGameFields(gameStores, savedFields, rows, members, (h.schema ?? 1) >= 2, sections.get('members.Player'));
  storesRestored(world.stores);
  // Jobs in flight are not checkpointed: their NPCs ask again.
  const scene = world.stores.Npc.sceneState;
  for (let e = 0; e < scene.length; e++) if (scene[e] === SceneState.requested) scene[e] = SceneState.none;
  const c = world.clock;
  c.now = h.clock.now;
  c.step = h.clock.step;
  c.paused = h.clock.paused;
  for (const k of ['originNow', 'originStep', 'originDt'] as const) if (typeof h.clock[k] === 'number') c[k] = h.clock[k];
  for (const k of Object.keys(world.counters) as (keyof SimWorld['counters'])[])
    if (typeof h.counters[k] === 'number') world.counters[k] = h.counters[k];
  // After the clock: a repeating timer the checkpoint lacks starts at its first due time after now.
  const timerEntries = readTimerSections(h.gameTimers, sections);
  if (world.game) loadTimers(world.game.timers, h.gameTimers, world.clock.now, timerEntries);
  countDropped(changes, h.gameTimers, timerEntries, world.game, facts);
  if (opts.changes && hasGameChanges(changes)) opts.changes(changes);
  world.configVersion = h.configVersion;
  world.rng.set(need(sections, 'rng'));
  const s = world.npcSim;
  for (let t = 0; t < 4; t++) {
    const list = rows(`npcSim.tierList.${t}`);
    growTierList(s, t, list.length);
    s.tierList[t].set(list);
    s.tierCount[t] = list.length;
  }
  s.best2.set(need(sections, 'npcSim.best2'));
  s.slotNearest.set(need(sections, 'npcSim.slotNearest'));
  growSelected(s, rows('npcSim.selected').length);
  s.selected.set(need(sections, 'npcSim.selected'));
  s.selectedTier.set(need(sections, 'npcSim.selectedTier'));
  s.playerX = Float64Array.from(need(sections, 'npcSim.playerX'));
  s.playerY = Float64Array.from(need(sections, 'npcSim.playerY'));
  for (const k of NPC_SIM_SCALARS) if (typeof h.npcSim[k] === typeof s[k]) Reflect.set(s, k, h.npcSim[k]);
  restoreContinuation(s, (name) => sections.get(name), h.npcSim);
  for (const [k, v] of Object.entries(h.tierStats)) {
    const cur: unknown = Reflect.get(world.tierStats, k);
    if (ArrayBuffer.isView(cur) && Array.isArray(v)) (cur as Float64Array).set(v);
    else if (typeof cur === 'number' && typeof v === 'number') Reflect.set(world.tierStats, k, v);
  }
  const sp = h.spatial;
  world.spatial.importState(world, {
    npcCellStart: need(sections, 'spatial.npcCellStart') as Int32Array,
    npcItems: need(sections, 'spatial.npcItems') as Int32Array,
    npcItemX: need(sections, 'spatial.npcItemX') as Float32Array,
    npcItemY: need(sections, 'spatial.npcItemY') as Float32Array,
    npcCellOf: need(sections, 'spatial.npcCellOf') as Int32Array,
    playerItems: need(sections, 'spatial.playerItems') as Int32Array,
    kindOf: need(sections, 'spatial.kindOf') as Uint8Array,
    playerCapacity: sp.playerCapacity,
    speed: sp.speed,
    margin: sp.margin,
    playerMargin: sp.playerMargin,
    bound: sp.bound,
  });
  if (world.physics)
    restorePhysics(
      world.physics,
      h.physics?.lodOn,
      () => coarseMovementOn(world),
      (name) => sections.get(name),
    );
  // Last, into the fresh queue: they apply in the world's first step, before any fact delivered after.
  restoreWaitingFacts(world, facts);
};
