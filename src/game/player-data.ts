/**
 * Player data from game code: small JSON values per (durable player id, key) that survive
 * restarts and follow the player across sessions, worlds and instances sharing a store — a
 * player's lifetime stats, settings, unlocked levels. Coins and items belong in the ledger
 * (`grantPlayerReward`); this is for the rest.
 *
 *   loadPlayerData(world, player, key)                     → { status: 'ok', value, version }
 *   savePlayerData(world, player, key, value, { version }) → { status: 'ok', version: version + 1 }
 *        or { status: 'rejected', code: 'PD_VERSION_STALE', version: stored }   (another writer won)
 *
 * Every key has a version (0: never written; 1 after the first save; +1 per save or delete). A save names the
 * version it read, so two instances can never silently overwrite each other; `version: 'any'` is an
 * explicit last-writer-wins. `player` is a player entity of `world` or a durable player id
 * (`playerIdOf`), so data can be saved after the entity is gone. Calls are group-committed by the
 * runtime's service (src/player-data/player-data-service.ts); a promise resolves `ok` once durable.
 * Runtime conditions are answered, never thrown (a system may call without awaiting); bad arguments
 * (a bug in the game) throw `WT_ERR_PLAYER_DATA_INVALID` synchronously.
 */
import { checkWorld } from '../core/check-world.js';
import { PlayerDataCode, playerDataInvalid } from '../errors.js';
import { PLAYER_DATA_LIMITS, type PlayerDataResult } from '../player-data/player-data-types.js';
import type { GameWorld } from './pipeline.js';
import { playerIdOf } from './rewards.js';

export { PLAYER_DATA_LIMITS, type PlayerDataResult, type PlayerDataUnavailableReason } from '../player-data/player-data-types.js';

/** The version a save or delete expects: the one a load returned (0: no value stored yet), or `'any'`. */
export interface PlayerDataWriteOptions {
  version: number | 'any';
}

const KEY_RE = /^[A-Za-z0-9_.:-]+$/;
const PLAYER_ID_RE = /^[\x21-\x7e]{1,128}$/;
const MAX_DEPTH = 32;

/** Problems of a value that is not plain JSON data (null, booleans, finite numbers, strings, arrays, plain objects). */
const jsonProblem = (v: unknown, path: string, depth: number): string | null => {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path} is not a finite number`;
  if (depth >= MAX_DEPTH) return `${path} is nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = jsonProblem(v[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${path} is not a plain object, array or JSON value`;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = jsonProblem(x, `${path}.${k.slice(0, 32)}`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  return `${path} is ${typeof v}, not JSON data`;
};

const keyProblem = (key: unknown): string | null =>
  typeof key === 'string' && key.length <= PLAYER_DATA_LIMITS.maxKeyLength && KEY_RE.test(key)
    ? null
    : `key must be 1-${PLAYER_DATA_LIMITS.maxKeyLength} characters of A-Z a-z 0-9 _ . : -`;

const versionOf = (o: PlayerDataWriteOptions | undefined, problems: string[]): number | null => {
  const v = o?.version;
  if (v === 'any') return null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  problems.push("options.version must be the version a load returned (an integer >= 0, 0: never written) or 'any'");
  return null;
};

/** The durable id of `player` (an entity of `world`, or an id), null when an entity is not a bound player. */
const resolvePlayer = (world: GameWorld, player: number | string, problems: string[]): string | null => {
  if (typeof player === 'string') {
    if (!PLAYER_ID_RE.test(player)) problems.push('player id must be 1-128 printable ASCII characters (playerIdOf)');
    return player;
  }
  if (!Number.isSafeInteger(player) || player < 0) {
    problems.push('player must be an entity id (integer >= 0) or a durable player id');
    return null;
  }
  return playerIdOf(world, player);
};

/** Validate `key` and `player` into `problems`; the player's durable id (null: an entity that is not a bound player). */
const targetOf = (world: GameWorld, player: number | string, key: string, problems: string[]): string | null => {
  const kp = keyProblem(key);
  if (kp) problems.push(kp);
  return resolvePlayer(world, player, problems);
};

const check = (problems: string[]): void => {
  if (problems.length) throw playerDataInvalid(problems);
};

const unavailable = (key: string): Promise<PlayerDataResult> =>
  Promise.resolve({ status: 'rejected', key, code: PlayerDataCode.UNAVAILABLE, reason: 'no-store' });
const notPlayer = (key: string): Promise<PlayerDataResult> => Promise.resolve({ status: 'rejected', key, code: PlayerDataCode.NOT_PLAYER });

/**
 * Load the value a player stored under `key`: `{ status: 'ok', value, version }`, `value` undefined
 * when none (`version` 0 if never written, else the version of the delete). Rejected `PD_UNAVAILABLE` (no store, store down), `PD_NOT_PLAYER` (an
 * entity that is not a bound player), `PD_VALUE_UNREADABLE` (the stored text is not JSON, a damaged row: `version` is the
 * stored one; a save over it with that version clears it). Throws `WT_ERR_PLAYER_DATA_INVALID` for a bad key or player.
 */
export const loadPlayerData = (world: GameWorld, player: number | string, key: string): Promise<PlayerDataResult> => {
  checkWorld(world, 'loadPlayerData');
  const problems: string[] = [];
  const id = targetOf(world, player, key, problems);
  check(problems);
  const svc = world.playerData;
  if (!svc) return unavailable(key);
  if (id === null) return notPlayer(key);
  return svc.load(id, key);
};

/**
 * Save `value` (plain JSON data, at most `PLAYER_DATA_LIMITS.maxValueBytes` as JSON) under `key` if
 * the stored version is `options.version` (0: never written; `'any'`: whatever is stored). Resolves
 * `ok` with the new version once durable; rejected `PD_VERSION_STALE` (with the stored `version`:
 * load again and retry), `PD_QUOTA_EXCEEDED` (the player's values would pass `maxBytesPerPlayer` or
 * `maxKeysPerPlayer`), `PD_UNAVAILABLE`, `PD_NOT_PLAYER` — each changes nothing. Throws
 * `WT_ERR_PLAYER_DATA_INVALID` for a bad key, player, version, or a value that is not JSON data or too large.
 */
export const savePlayerData = (
  world: GameWorld,
  player: number | string,
  key: string,
  value: unknown,
  options: PlayerDataWriteOptions,
): Promise<PlayerDataResult> => {
  checkWorld(world, 'savePlayerData');
  const problems: string[] = [];
  const id = targetOf(world, player, key, problems);
  const expected = versionOf(options, problems);
  let text = '';
  const vp = value === undefined ? 'value is undefined (delete with deletePlayerData)' : jsonProblem(value, 'value', 0);
  if (vp) problems.push(vp);
  else {
    text = JSON.stringify(value);
    const bytes = Buffer.byteLength(text);
    if (bytes > PLAYER_DATA_LIMITS.maxValueBytes)
      problems.push(`value is ${bytes} bytes as JSON, more than ${PLAYER_DATA_LIMITS.maxValueBytes} (PLAYER_DATA_LIMITS.maxValueBytes)`);
  }
  check(problems);
  const svc = world.playerData;
  if (!svc) return unavailable(key);
  if (id === null) return notPlayer(key);
  return svc.save(id, key, value, text, expected);
};

/**
 * Delete the value under `key` if the stored version is `options.version` (`'any'`: whatever it is).
 * Resolves `ok` with the new version (a delete is a write: a writer holding an older version is still
 * refused; nothing stored: nothing written, the stored version), or rejected as {@link savePlayerData}.
 */
export const deletePlayerData = (
  world: GameWorld,
  player: number | string,
  key: string,
  options: PlayerDataWriteOptions,
): Promise<PlayerDataResult> => {
  checkWorld(world, 'deletePlayerData');
  const problems: string[] = [];
  const id = targetOf(world, player, key, problems);
  const expected = versionOf(options, problems);
  check(problems);
  const svc = world.playerData;
  if (!svc) return unavailable(key);
  if (id === null) return notPlayer(key);
  return svc.delete(id, key, expected);
};

/**
 * Read-modify-write with retries: load `key`, compute the next value with `update(current, version)`
 * (`current` undefined when none stored), save it conditionally; on `PD_VERSION_STALE` start again,
 * at most `attempts` times (default 5). Resolves with the last save's result (or the load's
 * refusal). `update` must be a pure function of its arguments (it may run several times). A player
 * entity is resolved to its durable id once, at the call. Throws `WT_ERR_PLAYER_DATA_INVALID` at the
 * call for a bad key, player or `attempts`; the promise itself never rejects: an `update` that throws
 * or returns a value a save refuses (often built from client input) resolves `PD_UPDATE_FAILED` with
 * the `problem` (a rejection would be unhandled under `void updatePlayerData(...)` and end the process).
 */
export const updatePlayerData = (
  world: GameWorld,
  player: number | string,
  key: string,
  update: (current: unknown, version: number) => unknown,
  options: { attempts?: number } = {},
): Promise<PlayerDataResult> => {
  checkWorld(world, 'updatePlayerData');
  const problems: string[] = [];
  const id = targetOf(world, player, key, problems);
  const attempts = options.attempts ?? 5;
  if (!Number.isSafeInteger(attempts) || attempts < 1) problems.push('options.attempts must be an integer >= 1');
  if (typeof update !== 'function') problems.push('update must be a function (current, version) => the new value');
  check(problems);
  if (!world.playerData) return unavailable(key);
  if (id === null) return notPlayer(key);
  return runUpdate(world, id, key, update, attempts);
};

const runUpdate = async (
  world: GameWorld,
  id: string,
  key: string,
  update: (current: unknown, version: number) => unknown,
  attempts: number,
): Promise<PlayerDataResult> => {
  let last: PlayerDataResult = { status: 'rejected', key, code: PlayerDataCode.VERSION_STALE };
  for (let i = 0; i < attempts; i++) {
    const cur = await loadPlayerData(world, id, key);
    if (cur.status !== 'ok') return cur;
    try {
      last = await savePlayerData(world, id, key, update(cur.value, cur.version), { version: cur.version });
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      return { status: 'rejected', key, code: PlayerDataCode.UPDATE_FAILED, problem: problem.slice(0, 500) };
    }
    if (last.status === 'ok' || last.code !== PlayerDataCode.VERSION_STALE) return last;
  }
  return last;
};
