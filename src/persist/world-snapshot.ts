/**
 * World checkpoints: capture a world's whole simulation state at a step boundary (a synchronous
 * copy) and encode it (compressed off the loop); world-restore.ts restores it into a fresh world
 * that continues identically: same state hash after the same further steps (with the controller
 * off). The header's shape and schema number: world-snapshot-header.ts.
 *
 * Captured: every component store field up to the highest id ever allocated — the built-in stores
 * (the player table up to its highest row in use, likewise the chain-timer table;
 * components/player-table.ts, chain-timers.ts) and, since schema 2, a game's component stores
 * (`world.game.stores`, generic over their fields); the bitecs entity
 * state (entity-state.ts); clock, step, counters, config and configVersion, PRNG; the tiered
 * simulation's continuation state (tier lists, pending pass scratch, rotation, the spatial
 * index's grids and player boxes) and the tier statistics.
 * Since schema 5 also a game's facts waiting for a step (fact-sections.ts), put back in the
 * restored world's queue; since schema 8 the game's world data (world-data-section.ts). Not captured (documented in docs/DURABILITY.md): controller window and
 * mode (restart in `normal`), other ingest buffers (inputs in flight; clients resend), intents (ephemeral NPC → player
 * messages), periodic tasks' schedule (re-declared from options at start), jobs in flight —
 * an NPC whose scene was `requested` is set back to `none`, so the scene is asked for again.
 */
import { STORE_NAMES, storeRowCount, type Store } from '../../components/index.js';
import type { SimWorld } from '../world/sim-world.js';
import type { SchedulerConfig } from '../config/scheduler-config.js';
import { captureEntities, maxEntityId } from './entity-state.js';
import { deflateSnapshot, packSections, type SectionIn, type SectionWriter } from './snapshot-format.js';
import { CONTINUATION_SCALARS, continuationSections } from '../tiers/tier-continuation.js';
import { capturePhysics } from '../physics/physics-checkpoint.js';
import { captureTimers } from './timer-sections.js';
import { captureFacts } from './fact-sections.js';
import { captureWorldData } from './world-data-section.js';
import { NPC_SIM_SCALARS, WORLD_SNAPSHOT_SCHEMA, type WorldSnapshotHeader } from './world-snapshot-header.js';

export { WORLD_SNAPSHOT_SCHEMA, type WorldSnapshotHeader } from './world-snapshot-header.js';
export { restoreWorld, type RestoreOptions } from './world-restore.js';

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
export const captureWorld = (world: SimWorld, into?: (bytes: number) => Uint8Array): WorldCapture => {
  const t0 = performance.now();
  const rows = maxEntityId(world) + 1;
  const ent = captureEntities(world);
  const sections: (SectionIn | SectionWriter)[] = [...ent.sections];
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
  const data = world.game ? captureWorldData(world.game.data) : null;
  if (data) sections.push(...data.sections);
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
    ...(data?.header ? { gameData: data.header } : {}),
    ...(phys ? { physics: phys.header } : {}),
  };
  const packed = packSections({ ...header }, sections, into);
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
