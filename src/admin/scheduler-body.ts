/**
 * The body of `PUT /api/v1/worlds/{id}/scheduler/config`, as operators write it, turned into a
 * scheduler-config patch:
 *
 * - the patch itself: `{ "simulation": {...}, "controller": {...} }` (partial, merged);
 * - flat simulation keys (`{ "maxNpcTicksPerStep": 25, "tickIntervalSeconds": 2.0 }`, the
 *   original design's curl example): taken as the `simulation` block;
 * - the GET envelope `{ "worldId", "configVersion", "config" }`: what GET returns can be PUT back
 *   unchanged; `configVersion`, when given, must still be current (409 otherwise).
 *
 * The same setting given flat and nested is a coded conflict listing both keys. A change of a
 * creation-time key on a running world is refused (never stored without effect).
 */
import { CREATION_TIME_KEYS, mergeSchedulerConfig, SCHEDULER_CONFIG_SPEC, type SchedulerConfig } from '../config/scheduler-config.js';
import type { ObjectSpec } from '../config/schema.js';
import { configInvalid, ErrorCode, isWorldtickError, WorldtickError } from '../errors.js';
import { badRequest } from './http-errors.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys of the `simulation` block, accepted flat at the top level of a PUT body. */
export const FLAT_SIMULATION_KEYS: ReadonlySet<string> = new Set(
  Object.keys((SCHEDULER_CONFIG_SPEC.fields.simulation as ObjectSpec).fields),
);

const ENVELOPE_KEYS = new Set(['worldId', 'configVersion', 'config']);

const own = (o: Record<string, unknown>, k: string, v: unknown): void => {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
};

/** The current state a body is checked against. */
export interface ConfigTarget {
  id: string;
  config: SchedulerConfig;
  configVersion: number;
}

/**
 * Turn a PUT body into a scheduler-config patch. Throws 400 (`WT_ERR_ADMIN_BAD_REQUEST`,
 * `WT_ERR_CONFIG_KEY_CONFLICT`) or 409 (`WT_ERR_CONFIG_VERSION_STALE`). A non-object body is
 * returned as is (the merge reports it).
 */
export const normalizeConfigBody = (body: unknown, world: ConfigTarget): unknown => {
  if (!isObj(body)) return body;
  let patch: Record<string, unknown> = body;
  if (Object.hasOwn(body, 'config')) {
    const extra = Object.keys(body).filter((k) => !ENVELOPE_KEYS.has(k));
    if (extra.length)
      throw badRequest(
        'a body with "config" is the GET envelope {worldId, configVersion, config}: give the patch inside config',
        extra.slice(0, 100).map((k) => `${k.slice(0, 64)} is not a field of the envelope`),
      );
    if (body.worldId !== undefined && body.worldId !== world.id)
      throw badRequest(`worldId ${JSON.stringify(String(body.worldId).slice(0, 64))} does not match the world in the path (${world.id})`, [
        'worldId must match the path',
      ]);
    if (body.configVersion !== undefined && body.configVersion !== world.configVersion)
      throw new WorldtickError(
        ErrorCode.CONFIG_VERSION_STALE,
        `configVersion ${JSON.stringify(body.configVersion)} is not current (${world.configVersion}): GET the config again`,
        {
          details: { configVersion: world.configVersion },
        },
      );
    if (!isObj(body.config)) return body.config;
    patch = body.config;
  }
  const flat = Object.keys(patch).filter((k) => FLAT_SIMULATION_KEYS.has(k));
  if (flat.length === 0) return patch;
  const nested = patch.simulation;
  if (nested !== undefined && isObj(nested)) {
    const both = flat.filter((k) => Object.hasOwn(nested, k));
    if (both.length) {
      const keys = both.flatMap((k) => [k, `simulation.${k}`]);
      throw new WorldtickError(
        ErrorCode.CONFIG_KEY_CONFLICT,
        `the same setting is given flat and in "simulation": ${keys.join(', ')}; give each once`,
        { details: { keys } },
      );
    }
  } else if (nested !== undefined) return patch; // "simulation must be an object" from the merge
  const out: Record<string, unknown> = {};
  const sim: Record<string, unknown> = isObj(nested) ? { ...nested } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'simulation') continue;
    if (FLAT_SIMULATION_KEYS.has(k)) own(sim, k, v);
    else own(out, k, v);
  }
  own(out, 'simulation', sim);
  return out;
};

/**
 * Validate a patch against a running world: every problem of the merge plus a change of a
 * creation-time key (`simulation.spatialCellSize`, `simulation.intentQueueCapacity`). Throws
 * `WT_ERR_CONFIG_INVALID` listing them all; returns nothing (apply with `updateWorldConfig`).
 */
export const checkRunningWorldPatch = (world: ConfigTarget, patch: unknown): void => {
  const problems: string[] = [];
  const sim = isObj(patch) && isObj(patch.simulation) ? patch.simulation : null;
  if (sim) {
    for (const k of CREATION_TIME_KEYS) {
      if (Object.hasOwn(sim, k) && sim[k] !== world.config.simulation[k])
        problems.push(
          `simulation.${k} is read when the world is created and cannot change on a running world (now ${world.config.simulation[k]}; create a new world instead)`,
        );
    }
  }
  try {
    mergeSchedulerConfig(world.config, patch);
  } catch (err) {
    if (!isWorldtickError(err, ErrorCode.CONFIG_INVALID)) throw err;
    problems.push(...(err.details as { problems: string[] }).problems);
  }
  if (problems.length) throw configInvalid(problems);
};
