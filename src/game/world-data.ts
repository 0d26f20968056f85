/**
 * A world's game data (below the assembly: the game slot holds it, checkpoints carry it): one plain
 * JSON value per world — a round's roster of durable ids, a map's name, the scores — for what
 * components (numbers per entity) cannot hold. docs/GAME-API.md "World data".
 *
 *   setWorldData(world, v) ──► plain JSON, ≤ MAX_WORLD_DATA_BYTES? ──no──► throws, nothing changed
 *                                        │ yes
 *                                        ▼
 *              state = { json (the text: hashed, checkpointed), value (parsed from it, deep-frozen) }
 *                                        │
 *   getWorldData(world) ◄────────────────┘ the frozen value (no copy per read)
 *
 * World state like a component: written by step code only (a system, handler, hook, timer or
 * fact's apply), part of the state hash (src/game/hash.ts) so a replay checks it, saved in every
 * checkpoint (src/persist/world-data-section.ts) and restored with the world. Never sent to a
 * client, nor shown by the admin API.
 */
import { checkWorld } from '../core/check-world.js';
import { worldDataInvalid, worldDataTooLarge } from '../errors.js';
import { plainJsonText } from './plain-json.js';

/** Largest world data: its JSON text in UTF-8 bytes (64 KiB). */
export const MAX_WORLD_DATA_BYTES = 65_536;

/** A world's data as its game slot holds it (`world.game.data`). */
export interface WorldDataState {
  /** The JSON text of the value, as validated (`'null'` when unset). */
  json: string;
  /** The value parsed from `json`, deep-frozen. */
  value: unknown;
}

/** The slice of a world the functions here use. */
export interface WorldDataHolder {
  readonly id: string;
  readonly game: { readonly data: WorldDataState } | null;
}

/** Fresh state: no data (null). */
export const createWorldDataState = (): WorldDataState => ({ json: 'null', value: null });

const deepFreeze = (v: unknown): unknown => {
  if (typeof v === 'object' && v !== null) {
    for (const e of Object.values(v)) deepFreeze(e);
    Object.freeze(v);
  }
  return v;
};

/** Put JSON text already validated (by `setWorldData`, or a checkpoint's reader) in `state`. */
export const loadWorldData = (state: WorldDataState, json: string): void => {
  state.value = deepFreeze(JSON.parse(json));
  state.json = json;
};

/**
 * The world's data: what {@link setWorldData} last set (a deep-frozen copy of it: change a copy and
 * set that), or null when nothing was set or the world has no game. Reading allocates nothing.
 */
export const getWorldData = <T = unknown>(world: WorldDataHolder): Readonly<T> | null => {
  checkWorld(world, 'getWorldData');
  return (world.game?.data.value ?? null) as Readonly<T> | null;
};

/**
 * Replace the world's data with a copy of `value`: plain JSON data (null, booleans, finite numbers,
 * strings, arrays, plain objects; at most 32 levels deep; no `"__proto__"` key) of at most
 * {@link MAX_WORLD_DATA_BYTES} of JSON; `null` clears it. Call it from step code (a system, message
 * handler, hook, timer, fact's apply), as for any world state. Throws `WT_ERR_WORLD_DATA_INVALID`
 * (no game, not plain JSON data) or `WT_ERR_WORLD_DATA_TOO_LARGE`; the data is unchanged then.
 */
export const setWorldData = (world: WorldDataHolder, value: unknown): void => {
  checkWorld(world, 'setWorldData');
  const state = world.game?.data;
  if (!state) throw worldDataInvalid(world.id, 'the world has no game');
  const text = plainJsonText(value, MAX_WORLD_DATA_BYTES);
  if (!text.ok) {
    if (text.tooLarge) throw worldDataTooLarge(world.id, MAX_WORLD_DATA_BYTES);
    throw worldDataInvalid(world.id, text.problem.replace(/^payload/, 'value'));
  }
  loadWorldData(state, text.json);
};
