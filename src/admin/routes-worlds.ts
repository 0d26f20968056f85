/**
 * `/api/v1/worlds/...` routes: list, create, delete, scheduler config, pause/resume/step,
 * stats and the map. Every handler validates its input and either changes the world
 * completely or not at all.
 */
import { defaultSchedulerConfig, mergeSchedulerConfig } from '../config/scheduler-config.js';
import { capProblems } from '../config/schema.js';
import { ErrorCode, isWorldtickError, WorldtickError, worldExists, worldNotFound, worldNotPaused } from '../errors.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { populateInSlices, populateNpcs } from '../world/populate.js';
import { createSimWorld, destroySimWorld, resolvePhysicsOption, updateWorldConfig, type SimWorld } from '../world/sim-world.js';
import { pauseWorld, resumeWorld, stepWorld } from '../world/step.js';
import { badRequest, conflict } from './http-errors.js';
import { checkRunningWorldPatch, normalizeConfigBody } from './scheduler-body.js';
import { encodeWorldMap, sampleWorldMap } from './map.js';
import type { AdminRequest, Route } from './router.js';
import type { StatsSources } from './sources.js';
import { parseHistorySince, worldStats, worldSummaries, worldSummary } from './stats.js';
import type { Telemetry } from './telemetry.js';
import { intIn, isObj, parseMapQuery, parseCreatePlacement, parseSteps } from './world-query.js';
import { pageFields, pageOfIds, parseWorldsPage } from './worlds-page.js';
import { resolveTierListsInTurns } from '../tiers/resolve-lists.js';

/** `WT_ERR_WORLD_FAULTED` (409): the world's fault, and that `resume` clears it. */
const faulted = (w: SimWorld): WorldtickError => {
  const f = w.fault;
  return new WorldtickError(
    ErrorCode.WORLD_FAULTED,
    `world ${w.id} is faulted (system ${f?.system ?? 'unknown'} at step ${f?.step ?? -1}: ${(f?.message ?? '').slice(0, 200)}); POST …/scheduler/resume clears the fault`,
    { details: { worldId: w.id, fault: f ? { ...f, message: f.message.slice(0, 200) } : null } },
  );
};
export interface WorldRoutesOptions {
  runner: LoopRunner;
  telemetry: Telemetry;
  logger: Logger;
  sources?: StatsSources;
  /** Worlds that cannot be deleted through the API (the embedded default world). */
  protectedWorldIds?: readonly string[];
  /** Called after a world was deleted; the `200` waits for a returned promise (see `AdminServerOptions.onWorldDeleted`). */
  onWorldDeleted?: (world: SimWorld) => boolean | Promise<boolean>;
  /**
   * Called with a created world before it joins the runner (see `AdminServerOptions.onWorldCreated`);
   * the `201` waits for a returned promise (the world's durable record).
   */
  onWorldCreated?: (world: SimWorld) => void | Promise<void>;
  /** Builds and populates a created world (see `AdminServerOptions.createWorld`). Default: a life-sim world, populated in slices. */
  createWorld?: (o: CreateWorldRequest) => SimWorld | Promise<SimWorld>;
  /** Most worlds the runtime may hold (create beyond it is refused with 409). Default 32. */
  maxWorlds?: number;
  /** Largest `capacity` a created world may have (entities). Default 2,000,000. */
  maxCapacity?: number;
  /** Most steps one `/step` call may force. Default 10,000. */
  maxStepsPerCall?: number;
  /**
   * Largest total capacity (entities, all worlds together, the default world included) a create
   * may bring the runtime to: stores are reserved by capacity (~235 bytes per entity), so 32
   * worlds of the largest capacity would reserve ~15 GB. Default 4,000,000.
   */
  maxTotalCapacity?: number;
}

/** A validated create-world request (what `createWorld` builds). */
export interface CreateWorldRequest {
  id: string;
  capacity: number;
  /** Absent: the world default (1). */
  seed?: number;
  /** Absent: the world default. */
  size?: number;
  /** Scheduler-config patch. */
  config: unknown;
  /** Entities to populate. */
  npcs: number;
}

const CREATE_KEYS = new Set(['id', 'capacity', 'seed', 'size', 'npcs', 'config', 'scheduler', 'simulation', 'controller', 'physics']);

/** Forced steps per event-loop turn. */
const STEP_SLICE = 25;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Validate a create-world body; returns the options or throws 400 listing every problem. */
const parseCreate = (body: unknown, maxCapacity: number) => {
  if (!isObj(body)) throw badRequest('body must be a JSON object', ['body must be a JSON object']);
  const problems: string[] = [];
  for (const k of Object.keys(body)) if (!CREATE_KEYS.has(k)) problems.push(`${k.slice(0, 64)} is not a known field`);
  const { id, seed, size } = body;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) problems.push('id must be 1-64 characters of A-Z a-z 0-9 _ -');
  const npcs = body.npcs ?? 0;
  if (!intIn(npcs, 0, maxCapacity)) problems.push(`npcs must be an integer between 0 and ${maxCapacity}`);
  const capacity = body.capacity ?? (typeof npcs === 'number' ? Math.min(maxCapacity, npcs + 1000) : 1000);
  if (!intIn(capacity, 1, maxCapacity)) problems.push(`capacity must be an integer between 1 and ${maxCapacity}`);
  else if (typeof npcs === 'number' && npcs > (capacity as number)) problems.push('npcs must not exceed capacity');
  if (seed !== undefined && !intIn(seed, 0, 0xffffffff)) problems.push('seed must be an integer between 0 and 4294967295');
  if (size !== undefined && (typeof size !== 'number' || !(size > 0) || size > 1e7))
    problems.push('size must be a number > 0 and <= 10000000');
  // The scheduler patch: `config` (or `scheduler`), or the original design's top-level blocks.
  let patch: Record<string, unknown> = {};
  if (body.config !== undefined && body.scheduler !== undefined) problems.push('give config or scheduler, not both');
  const given = body.config ?? body.scheduler;
  if (given !== undefined) {
    if (!isObj(given)) problems.push('config must be an object');
    else patch = { ...given };
  }
  if (body.simulation !== undefined) patch = { ...patch, simulation: body.simulation };
  if (body.controller !== undefined) patch = { ...patch, controller: body.controller };
  try {
    mergeSchedulerConfig(defaultSchedulerConfig(), patch);
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    for (const p of (err.details as { problems: string[] }).problems) problems.push(`config: ${p}`);
  }
  // Physics (optional; absent = off): the same block as the config's, obstacles inline only (no server file paths).
  let physics: ReturnType<typeof resolvePhysicsOption> | undefined;
  if (body.physics !== undefined && body.physics !== false) {
    try {
      physics = resolvePhysicsOption(body.physics, { allowMapFile: false });
    } catch (err) {
      if (!isWorldtickError(err)) throw err;
      problems.push(...(err.details as { problems: string[] }).problems);
    }
  }
  if (problems.length) {
    const capped = capProblems(problems);
    throw badRequest(`invalid world: ${capped.join('; ')}`, capped);
  }
  return {
    id: id as string,
    capacity: capacity as number,
    npcs: npcs as number,
    seed: seed as number | undefined,
    size: size as number | undefined,
    patch,
    physics,
  };
};

/**
 * Routes that take no body: absent or an empty `{}` (what some clients send with every POST);
 * anything else is 400 — a misspelt field must not be silently ignored.
 */
export const noBody = (req: AdminRequest): void => {
  if (req.body === undefined || (isObj(req.body) && Object.keys(req.body).length === 0)) return;
  throw badRequest(`${req.method} ${req.path.slice(0, 200)} takes no request body (an empty {} is accepted)`, [
    isObj(req.body) ? `${Object.keys(req.body)[0].slice(0, 64)} is not a known field` : 'body must be absent',
  ]);
};

/** The world routes. */
export const worldRoutes = (opts: WorldRoutesOptions): Route[] => {
  const { runner, telemetry, logger } = opts;
  const sources = opts.sources ?? {};
  const protectedIds = new Set(opts.protectedWorldIds ?? []);
  const maxWorlds = opts.maxWorlds ?? 32;
  const maxCapacity = opts.maxCapacity ?? 2_000_000;
  const maxSteps = opts.maxStepsPerCall ?? 10_000;
  const maxTotal = opts.maxTotalCapacity ?? 4_000_000;
  /** Creates in progress (id → capacity): their stores exist but the runner does not know them yet. */
  const pending = new Map<string, number>();
  const world = (req: AdminRequest): SimWorld => {
    const id = req.params.id!;
    // Valid ids have at most 64 characters: a longer one is cut in the error (no 2 × path echo).
    if (!runner.has(id)) throw worldNotFound(id.length > 64 ? `${id.slice(0, 64)}…` : id);
    return runner.get(id);
  };
  const summary = (w: SimWorld) => worldSummary(w, sources);
  const base = '/api/v1/worlds';
  return [
    {
      method: 'GET',
      pattern: base,
      handler: (req) => {
        const page = parseWorldsPage(req);
        if (page === null) return { json: { worlds: worldSummaries(runner.worlds(), sources) } };
        // Only the page's worlds are summarized (the cost of the list is its summaries).
        const all = runner.worlds();
        const got = pageOfIds(
          all.map((w) => w.id),
          page,
        );
        const listed = got.ids.map((id) => runner.get(id));
        return { json: { worlds: worldSummaries(listed, sources), ...pageFields(got.ids, got.more, all.length) } };
      },
    },
    {
      method: 'POST',
      pattern: base,
      body: true,
      handler: async (req) => {
        // `?placement=` is acted on by cluster mode's intercept (src/server/cluster-routes.ts); checked here in every mode.
        parseCreatePlacement(req);
        const o = parseCreate(req.body, maxCapacity);
        // Checks count creates still populating (their stores are reserved already).
        const checkRoom = (): void => {
          if (runner.has(o.id) || pending.has(o.id)) throw worldExists(o.id);
          if (runner.worlds().length + pending.size >= maxWorlds)
            throw conflict(
              `at most ${maxWorlds} worlds may run (the default world included): raise --max-worlds (WORLDTICK_MAX_WORLDS, config file key maxWorlds) to run more`,
              { maxWorlds },
            );
          const total = runner.worlds().reduce((n, w) => n + w.capacity, 0) + [...pending.values()].reduce((a, b) => a + b, 0);
          if (total + o.capacity > maxTotal)
            throw conflict(`the worlds' total capacity would be ${total + o.capacity} entities (at most ${maxTotal})`, {
              totalCapacity: total,
              maxTotalCapacity: maxTotal,
            });
        };
        checkRoom();
        pending.set(o.id, o.capacity);
        try {
          const custom = opts.createWorld;
          const physics = o.physics ? { physics: o.physics } : {};
          const w = custom
            ? await custom({ id: o.id, capacity: o.capacity, seed: o.seed, size: o.size, config: o.patch, npcs: o.npcs, ...physics })
            : createSimWorld({ id: o.id, capacity: o.capacity, seed: o.seed, size: o.size, config: o.patch, ...physics });
          // Populate in slices with event-loop turns between: a large world must not stall the
          // other worlds and the game server (2M NPCs took ~14 s in one go). Same NPCs either way.
          if (!custom) await populateInSlices(o.npcs, (count) => populateNpcs(w, { count }));
          // Its tier lists too, a turn each: its first steps, registering them, held every world 0.6-0.8 s at 1,000,000 NPCs.
          await resolveTierListsInTurns(w);
          pending.delete(o.id);
          checkRoom();
          pending.set(o.id, o.capacity); // still reserved while the hook makes it durable
          try {
            await opts.onWorldCreated?.(w);
          } catch (err) {
            destroySimWorld(w); // nothing half-created: the hook released what it took; the id is freed below
            // WT_ERR_WORLD_NOT_DURABLE is answered 503 with Retry-After (http-errors.ts, admin-server.ts).
            if (isWorldtickError(err, ErrorCode.WORLD_NOT_DURABLE))
              logger.warn({ world: w.id, err }, 'world not created: it could not be made durable');
            throw err;
          }
          pending.delete(o.id);
          runner.add(w);
          logger.info({ world: w.id, capacity: o.capacity, npcs: o.npcs }, 'world created');
          return { status: 201, json: summary(w) };
        } finally {
          pending.delete(o.id);
        }
      },
    },
    { method: 'GET', pattern: `${base}/:id`, handler: (req) => ({ json: summary(world(req)) }) },
    {
      method: 'DELETE',
      pattern: `${base}/:id`,
      handler: async (req) => {
        const w = world(req);
        if (protectedIds.has(w.id)) throw conflict(`world ${w.id} is the embedded default world and cannot be deleted`, { worldId: w.id });
        runner.remove(w.id);
        let stored: boolean | Promise<boolean>;
        try {
          stored = opts.onWorldDeleted?.(w) ?? true; // the game server closes the world's sessions
        } catch (err) {
          logger.error({ err, world: w.id }, 'onWorldDeleted hook failed');
          stored = false; // what it should have released (the stored record) is not known to be gone
        }
        // Release everything the world holds (running jobs and their timers, periodic tasks, bus, net slot).
        destroySimWorld(w);
        // The answer waits for the world's stored record to be gone: a crash after it never brings the world back.
        const durable = typeof stored === 'boolean' ? stored : await stored.catch(() => false);
        logger.info({ world: w.id, durable }, 'world deleted');
        return { json: { deleted: w.id, durable } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:id/scheduler/config`,
      handler: (req) => {
        const w = world(req);
        return { json: { worldId: w.id, configVersion: w.configVersion, config: w.config } };
      },
    },
    {
      method: 'PUT',
      pattern: `${base}/:id/scheduler/config`,
      body: true,
      handler: (req) => {
        const w = world(req);
        if (req.body === undefined) throw badRequest('a JSON body (a partial scheduler config) is required', ['body is required']);
        const patch = normalizeConfigBody(req.body, w);
        checkRunningWorldPatch(w, patch);
        const config = updateWorldConfig(w, patch);
        logger.info(
          { world: w.id, configVersion: w.configVersion, keys: isObj(patch) ? Object.keys(patch).slice(0, 20) : [] },
          'scheduler config updated',
        );
        return { json: { worldId: w.id, configVersion: w.configVersion, config } };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/:id/scheduler/pause`,
      body: true,
      handler: (req) => {
        const w = world(req);
        noBody(req);
        pauseWorld(w);
        logger.info({ world: w.id, step: w.clock.step, worldTime: w.clock.now }, 'world paused');
        return { json: summary(w) };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/:id/scheduler/resume`,
      body: true,
      handler: (req) => {
        const w = world(req);
        noBody(req);
        resumeWorld(w);
        logger.info({ world: w.id, step: w.clock.step, worldTime: w.clock.now }, 'world resumed');
        return { json: summary(w) };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/:id/scheduler/step`,
      body: true,
      handler: async (req) => {
        const w = world(req);
        const n = parseSteps(req, maxSteps);
        if (!w.clock.paused) throw worldNotPaused(w.id);
        // A faulted world would only re-run the system that threw: its fault is cleared by resume.
        if (w.fault) throw faulted(w);
        let ran = 0;
        // In slices with event-loop turns between, so 10,000 forced steps do not stall the other
        // worlds and the game server; stops early if the world is resumed or removed meanwhile.
        for (let i = 0; i < n; i++) {
          if (i > 0 && i % STEP_SLICE === 0) {
            await nextTurn();
            if (!w.clock.paused || !runner.has(w.id) || runner.get(w.id) !== w) break;
          }
          try {
            ran += stepWorld(w, 1);
          } catch (err) {
            if (!w.fault) throw err;
            logger.error({ world: w.id, err, fault: w.fault }, 'world faulted during a forced step');
            throw faulted(w);
          }
          // The loop's per-step hook (telemetry, cluster step ranges, clock records: a forced step is a
          // step the store must know of); telemetry alone when the runner has none.
          if (!runner.reportStep(w)) telemetry.onStep(w);
        }
        logger.info({ world: w.id, steps: ran, step: w.clock.step }, 'world stepped');
        return { json: { ...summary(w), stepsRun: ran } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:id/stats`,
      handler: (req) => ({ json: worldStats(world(req), telemetry, sources, parseHistorySince(req)) }),
    },
    {
      method: 'GET',
      pattern: `${base}/:id/map`,
      handler: (req) => {
        const w = world(req);
        const q = parseMapQuery(req);
        const m = sampleWorldMap(w, q.max);
        if (q.json) {
          return {
            json: {
              worldId: w.id,
              bounds: m.bounds,
              npcTotal: m.npcTotal,
              npcs: { x: Array.from(m.npcX), y: Array.from(m.npcY), tier: Array.from(m.npcTier) },
              players: { x: Array.from(m.playerX), y: Array.from(m.playerY), spectator: Array.from(m.playerSpectator) },
            },
          };
        }
        return { body: encodeWorldMap(m), contentType: 'application/octet-stream' };
      },
    },
  ];
};
