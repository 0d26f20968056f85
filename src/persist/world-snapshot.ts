/**
 * World checkpoints: capture a world's whole simulation state at a step boundary (a synchronous
 * copy), encode it (compressed off the loop), and restore it into a fresh world that continues
 * identically: same state hash after the same further steps (with the controller off).
 *
 * Captured: every component store field up to the highest id ever allocated — the built-in stores
 * (the player table up to its highest row in use, likewise the chain-timer table;
 * components/player-table.ts, chain-timers.ts) and, since schema 2, a game's component stores
 * (`world.game.stores`, generic over their fields); the bitecs entity
 * state (entity-state.ts); clock, step, counters, config and configVersion, PRNG; the tiered
 * simulation's continuation state (tier lists, pending pass scratch, rotation, the spatial
 * index's grids and player boxes) and the tier statistics.
 * Since schema 5 also a game's facts waiting for a step (fact-sections.ts), put back in the
 * restored world's queue. Not captured (documented in docs/DURABILITY.md): controller window and
 * mode (restart in `normal`), other ingest buffers (inputs in flight; clients resend), intents (ephemeral NPC → player
 * messages), periodic tasks' schedule (re-declared from options at start), jobs in flight —
 * an NPC whose scene was `requested` is set back to `none`, so the scene is asked for again.
 */
import { growStoreRows, SceneState, STORE_NAMES, storeRowCount, storesRestored, type Store } from '../../components/index.js';
import type { FieldArray } from '../../components/alloc.js';
import { createSimWorld, destroySimWorld, type CreateWorldOptions, type SimWorld } from '../world/sim-world.js';
import { ErrorCode, isWorldtickError } from '../errors.js';
import { checkSnapshotHeader, checkSnapshotSchema, type SnapshotExpect } from './snapshot-checks.js';
import type { SchedulerConfig } from '../config/scheduler-config.js';
import { captureEntities, maxEntityId, restoreEntities, type EntityHeader } from './entity-state.js';
import {
  checkpointCorrupt,
  deflateSnapshot,
  inflateSnapshot,
  packSections,
  snapshotChecksum,
  unpackSections,
  type SectionIn,
} from './snapshot-format.js';
import { growSelected, growTierList } from '../tiers/tier-state.js';
import { CONTINUATION_SCALARS, continuationSections, restoreContinuation } from '../tiers/tier-continuation.js';
import { coarseMovementOn } from '../tiers/coarse-movement.js';
import { capturePhysics, physicsOptionOf, restorePhysics, type PhysicsCheckpointHeader } from '../physics/physics-checkpoint.js';
import { loadTimers, type SavedTimers } from '../game/timer-state.js';
import { captureTimers, readTimerSections } from './timer-sections.js';
import { restoreWaitingFacts, type SavedFact } from '../game/facts.js';
import { captureFacts, readFactSections, type SavedFactsHeader } from './fact-sections.js';
import { checkGame, savedGameVersion, countDropped, hasGameChanges, restoreGameFields, type GameChanges } from './game-changes.js';

/** Scalars of the tiered simulation state restored as they were. */
const NPC_SIM_SCALARS = [
  'selectedCount',
  'lastPassStep',
  'lastNpcCount',
  'lastPlayerCount',
  'lastConfigVersion',
  'passPending',
  'pendingScanMs',
  'rotationCursor',
  'rotationNext',
  'rotationPeriod',
] as const;

/**
 * Schema of the world snapshot header and sections (inside container format
 * {@link SNAPSHOT_FORMAT_VERSION}: changes of the schema are additive, so a build reads older
 * checkpoints of its container format; an incompatible change bumps the container format instead).
 * A build refuses a checkpoint of a newer schema or format with `WT_ERR_CHECKPOINT_TOO_NEW` before
 * anything of it is applied: reading only what it knows would silently drop the rest (builds up to
 * schema 5 without this check did read newer ones that way).
 * What each schema added (1 to 7): docs/DURABILITY.md "Format versions". Absent = 1.
 */
export const WORLD_SNAPSHOT_SCHEMA = 7;

/** The JSON header of a world snapshot. */
export interface WorldSnapshotHeader {
  /** {@link WORLD_SNAPSHOT_SCHEMA} of the writer (absent: 1). */
  schema?: number;
  worldId: string;
  capacity: number;
  seed: number;
  size: number;
  clock: { now: number; step: number; paused: boolean; originNow?: number; originStep?: number; originDt?: number };
  counters: { steps: number; droppedSteps: number; droppedSeconds: number; faults: number };
  config: SchedulerConfig;
  configVersion: number;
  entities: EntityHeader;
  npcSim: Record<string, number | boolean>;
  tierStats: Record<string, number | number[]>;
  spatial: { playerCapacity: number; speed: number; margin: number; playerMargin: number; bound: boolean };
  /** The game whose world this is (`defineGame({ name, version })`; absent: no game, or written before it was stored). */
  game?: { name: string; version: number };
  /** Store fields written, as `store.field`. */
  fields: string[];
  /** The game's component fields written (schema 2), as `Component.field`: section `gfield.Component.field`. */
  gameFields?: string[];
  /** The game's timers (schema 3; src/game/timer-state.ts; schema 4: pending ones in `timers.*` sections): absent when the game has none. */
  gameTimers?: SavedTimers;
  /** The game's facts waiting for a step (schema 5; rows of the `facts.*` sections): absent when none wait. */
  gameFacts?: SavedFactsHeader;
  /**
   * A world with physics (src/physics/physics-checkpoint.ts): whether its last step ran with level
   * of detail (the step that turns it off catches lagging NPCs up); sections `physics.*` and `nav.*`
   * hold its bodies' last good positions and its navigation, `config` (schema 7) its physics block. Absent
   * (older checkpoints): the flag is taken as whether the restored world would run with level of detail now.
   */
  physics?: PhysicsCheckpointHeader;
}

/** A captured (copied) world, ready to be encoded off the loop. */
export interface WorldCapture {
  worldId: string;
  step: number;
  worldTime: number;
  config: SchedulerConfig;
  /** The packed, uncompressed bytes. */
  packed: Uint8Array;
  /** Wall ms the synchronous copy took. */
  copyMs: number;
}

const plainStats = (o: object): Record<string, number | number[]> => {
  const out: Record<string, number | number[]> = {};
  for (const [k, v] of Object.entries(o)) out[k] = ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : (v as number);
  return out;
};

/**
 * Copy the world's state (synchronous; call it between steps, never inside one). Cost: one
 * memcpy per store field up to the highest id, plus the entity lists (see bench `durability`).
 */
export const captureWorld = (world: SimWorld): WorldCapture => {
  const t0 = performance.now();
  const rows = maxEntityId(world) + 1;
  const ent = captureEntities(world);
  const sections: SectionIn[] = [...ent.sections];
  const fields: string[] = [];
  for (const name of STORE_NAMES) {
    const store = world.stores[name] as Store;
    const n = storeRowCount(world.stores, name, rows);
    for (const key of Object.keys(store)) {
      fields.push(`${name}.${key}`);
      sections.push({ name: `field.${name}.${key}`, data: store[key].subarray(0, n) });
    }
  }
  // A game's component stores (src/game): generic over whatever fields each declares.
  const gameFields: string[] = [];
  for (const [name, store] of world.game?.stores ?? []) {
    for (const key of Object.keys(store)) {
      gameFields.push(`${name}.${key}`);
      sections.push({ name: `gfield.${name}.${key}`, data: store[key].subarray(0, rows) });
    }
  }
  const s = world.npcSim;
  for (let t = 0; t < 4; t++) sections.push({ name: `npcSim.tierList.${t}`, data: s.tierList[t].subarray(0, s.tierCount[t]) });
  const slots = Math.max(0, s.lastNpcCount, world.spatial.npcGrid.n);
  sections.push(
    { name: 'npcSim.best2', data: s.best2.subarray(0, slots) },
    { name: 'npcSim.slotNearest', data: s.slotNearest.subarray(0, slots) },
  );
  sections.push(
    { name: 'npcSim.selected', data: s.selected.subarray(0, s.selectedCount) },
    { name: 'npcSim.selectedTier', data: s.selectedTier.subarray(0, s.selectedCount) },
  );
  sections.push({ name: 'npcSim.playerX', data: s.playerX }, { name: 'npcSim.playerY', data: s.playerY });
  sections.push(...continuationSections(s, rows));
  sections.push({ name: 'rng', data: world.rng });
  const phys = world.physics ? capturePhysics(world.physics, rows) : null;
  if (phys) sections.push(...phys.sections);
  const sp = world.spatial.exportState();
  sections.push(
    { name: 'spatial.npcCellStart', data: sp.npcCellStart },
    { name: 'spatial.npcItems', data: sp.npcItems },
    { name: 'spatial.npcItemX', data: sp.npcItemX },
    { name: 'spatial.npcItemY', data: sp.npcItemY },
    { name: 'spatial.npcCellOf', data: sp.npcCellOf },
    { name: 'spatial.playerItems', data: sp.playerItems },
    { name: 'spatial.kindOf', data: sp.kindOf },
  );
  // Timers are data (name, due, JSON payload text): sections of the body, a small part in the header.
  const timers = world.game ? captureTimers(world.game.timers) : null;
  const gameTimers = timers?.header;
  if (timers) sections.push(...timers.sections);
  const facts = world.game?.facts ? captureFacts(world.game.facts) : null;
  if (facts) sections.push(...facts.sections);
  const npcSim: Record<string, number | boolean> = {};
  for (const k of NPC_SIM_SCALARS) npcSim[k] = s[k];
  for (const k of CONTINUATION_SCALARS) npcSim[k] = s[k];
  const header: WorldSnapshotHeader = {
    schema: WORLD_SNAPSHOT_SCHEMA,
    worldId: world.id,
    capacity: world.capacity,
    seed: world.seed,
    size: world.bounds.maxX - world.bounds.minX,
    clock: { ...world.clock },
    counters: { ...world.counters },
    config: structuredClone(world.config),
    configVersion: world.configVersion,
    entities: ent.header,
    npcSim,
    tierStats: plainStats(world.tierStats),
    spatial: { playerCapacity: sp.playerCapacity, speed: sp.speed, margin: sp.margin, playerMargin: sp.playerMargin, bound: sp.bound },
    ...(world.game ? { game: { name: world.game.name, version: world.game.version } } : {}),
    fields,
    ...(gameFields.length ? { gameFields } : {}),
    ...(gameTimers ? { gameTimers } : {}),
    ...(facts?.header ? { gameFacts: facts.header } : {}),
    ...(phys ? { physics: phys.header } : {}),
  };
  const packed = packSections({ ...header }, sections);
  return {
    worldId: world.id,
    step: world.clock.step,
    worldTime: world.clock.now,
    config: header.config,
    packed,
    copyMs: performance.now() - t0,
  };
};

/** Compress a capture for storage (zlib on the thread pool: off the event loop). */
export const encodeCapture = (capture: WorldCapture): Promise<Uint8Array> => deflateSnapshot(capture.packed);

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
