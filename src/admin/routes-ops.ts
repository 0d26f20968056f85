/**
 * Operator routes (docs/ADMIN.md, "Operations"): maintenance of a world or the whole runtime,
 * the controller override, and the periodic schedule as data (declare, remove, run now, history).
 * Every change is validated (400 listing every problem, nothing changed), logged at info and
 * counted (`worldtick_admin_ops_changes_total{kind}`). With a store (the runtime's), a change is
 * written before the answer, which says `durable: true` (false: the write failed, logged; the
 * change is in force in this process only — send it again).
 */
import { clearControllerOverride, forceControllerMode, MODES, type ControllerMode } from '../controller/controller.js';
import { controllerOverrideOf } from '../controller/controller-status.js';
import { ErrorCode, WorldtickError, worldNotFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { declareTask } from '../periodic/declared-tasks.js';
import type { SimWorld } from '../world/sim-world.js';
import { badRequest } from './http-errors.js';
import type { OpsState } from './ops-state.js';
import type { AdminRequest, Route } from './router.js';
import { noBody } from './routes-worlds.js';
import { strictQuery } from './world-query.js';

export interface OpsRoutesOptions {
  runner: LoopRunner;
  logger: Logger;
  ops: OpsState;
  /** Longest controller override (wall seconds). Default 86,400. */
  maxOverrideSeconds?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check a body's fields: every unknown field and every bad value listed; throws 400. */
const fields = (
  req: AdminRequest,
  allowed: readonly string[],
  check: (b: Record<string, unknown>, p: string[]) => void,
): Record<string, unknown> => {
  if (!isObj(req.body)) throw badRequest('body must be a JSON object', ['body must be a JSON object']);
  const b = req.body;
  const p: string[] = [];
  for (const k of Object.keys(b)) if (!allowed.includes(k)) p.push(`${k.slice(0, 64)} is not a known field`);
  check(b, p);
  if (p.length) throw badRequest(`invalid body: ${p.slice(0, 20).join('; ')}`, p.slice(0, 100));
  return b;
};

const reasonOf = (b: Record<string, unknown>, p: string[]): string => {
  if (b.reason === undefined) return '';
  if (typeof b.reason !== 'string' || b.reason.length > 200) p.push('reason must be a string of at most 200 characters');
  return typeof b.reason === 'string' ? b.reason.slice(0, 200) : '';
};

const maintenanceBody = (req: AdminRequest): { on: boolean; reason: string } => {
  let reason = '';
  const b = fields(req, ['on', 'reason'], (b, p) => {
    if (typeof b.on !== 'boolean') p.push('on must be true or false');
    reason = reasonOf(b, p);
  });
  return { on: b.on as boolean, reason };
};

const HISTORY_TOPICS = ['task', 'heartbeat', 'maintenance', 'mode', 'stats', 'signal'] as const;

/**
 * The query of `GET …/periodic/history`: `topic`, `task`, `limit` (1..1000, default 100), each at
 * most once; any other parameter is refused (a typo must not answer the unfiltered history). Every
 * problem in one 400.
 */
const historyQuery = (req: AdminRequest): { topic: string | null; task: string | null; limit: number } => {
  const q = strictQuery(req, 'periodic history', ['topic', 'task', 'limit']);
  const topic = q.once('topic', (v) => (HISTORY_TOPICS as readonly string[]).includes(v), `one of ${HISTORY_TOPICS.join(', ')}`);
  const task = q.once('task', () => true, 'a task name');
  const limit = q.once('limit', (v) => /^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 1000, 'an integer between 1 and 1000');
  q.done();
  return { topic, task, limit: limit === null ? 100 : Number(limit) };
};

/** The operator routes. */
export const opsRoutes = (opts: OpsRoutesOptions): Route[] => {
  const { runner, logger, ops } = opts;
  const maxOverride = opts.maxOverrideSeconds ?? 86_400;
  const world = (req: AdminRequest): SimWorld => {
    const id = req.params.id!;
    if (!runner.has(id)) throw worldNotFound(id.length > 64 ? `${id.slice(0, 64)}…` : id);
    return runner.get(id);
  };
  const maintenanceOf = (w: SimWorld) => ({
    worldId: w.id,
    on: ops.isOn(w.id),
    world: ops.worldFlag(w.id),
    runtime: ops.runtime,
    periodicHeld: w.periodic.maintenance,
    jobsHeld: w.jobs.held,
  });
  const base = '/api/v1/worlds/:id';
  const taskName = (req: AdminRequest): string => req.params.task!.slice(0, 64);
  return [
    {
      method: 'GET',
      pattern: '/api/v1/maintenance',
      handler: () => ({ json: { runtime: ops.runtime, worlds: runner.worlds().map(maintenanceOf) } }),
    },
    {
      method: 'PUT',
      pattern: '/api/v1/maintenance',
      body: true,
      handler: async (req) => {
        const { on, reason } = maintenanceBody(req);
        const changed = ops.setRuntime(runner.worlds(), on, reason);
        if (changed) logger.info({ scope: 'runtime', on, reason }, on ? 'maintenance started' : 'maintenance ended');
        const durable = await ops.saveRuntime();
        return { json: { changed, durable, runtime: ops.runtime, worlds: runner.worlds().map(maintenanceOf) } };
      },
    },
    { method: 'GET', pattern: `${base}/maintenance`, handler: (req) => ({ json: maintenanceOf(world(req)) }) },
    {
      method: 'PUT',
      pattern: `${base}/maintenance`,
      body: true,
      handler: async (req) => {
        const w = world(req);
        const { on, reason } = maintenanceBody(req);
        const changed = ops.setWorld(w, on, reason);
        if (changed) logger.info({ scope: 'world', world: w.id, on, reason }, on ? 'maintenance started' : 'maintenance ended');
        const durable = await ops.saveWorld(w);
        return { json: { changed, durable, ...maintenanceOf(w) } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/controller/override`,
      handler: (req) => ({
        json: { worldId: world(req).id, mode: world(req).controller.mode, override: controllerOverrideOf(world(req)) },
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/controller/override`,
      body: true,
      handler: async (req) => {
        const w = world(req);
        let reason = '';
        const b = fields(req, ['mode', 'seconds', 'reason'], (b, p) => {
          if (typeof b.mode !== 'string' || !MODES.includes(b.mode as ControllerMode)) p.push(`mode must be one of ${MODES.join(', ')}`);
          if (typeof b.seconds !== 'number' || !(b.seconds > 0) || b.seconds > maxOverride)
            p.push(`seconds must be a number > 0 and <= ${maxOverride} (an override is always bounded)`);
          reason = reasonOf(b, p);
        });
        const o = forceControllerMode(w, b.mode as ControllerMode, b.seconds as number, reason || 'admin');
        ops.count('override');
        logger.info({ world: w.id, mode: o.mode, seconds: b.seconds, reason }, 'controller override set');
        const durable = await ops.saveWorld(w);
        return { json: { worldId: w.id, durable, mode: w.controller.mode, override: controllerOverrideOf(w) } };
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/controller/override`,
      handler: async (req) => {
        const w = world(req);
        const cleared = clearControllerOverride(w);
        if (cleared) {
          ops.count('override');
          logger.info({ world: w.id }, 'controller override reset');
        }
        const durable = await ops.saveWorld(w);
        return { json: { worldId: w.id, cleared, durable, mode: w.controller.mode, override: null } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/periodic`,
      handler: (req) => {
        const w = world(req);
        return { json: { worldId: w.id, maintenance: w.periodic.maintenance, heartbeat: ops.heartbeat(w), tasks: w.periodic.status() } };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/periodic`,
      body: true,
      handler: async (req) => {
        const w = world(req);
        if (req.body === undefined) throw badRequest('a JSON body (a task declaration) is required', ['body is required']);
        const d = declareTask(w, req.body);
        ops.taskDeclared(w.id, d);
        ops.count('task');
        logger.info({ world: w.id, task: d }, 'periodic task declared');
        const durable = await ops.saveWorld(w);
        return { status: 201, json: { worldId: w.id, durable, task: w.periodic.status().find((t) => t.name === d.name) } };
      },
    },
    // Before `periodic/:task`: the router takes the first pattern that matches.
    {
      method: 'GET',
      pattern: `${base}/periodic/history`,
      handler: (req) => {
        const w = world(req);
        const { topic, task, limit } = historyQuery(req);
        let events = w.bus.history(topic === null ? undefined : (topic as (typeof HISTORY_TOPICS)[number]));
        if (task !== null)
          events = events.filter(
            (e) =>
              (e.topic === 'task' && (e.payload as { name: string }).name === task) ||
              (e.topic === 'signal' && (e.payload as { task: string }).task === task),
          );
        return { json: { worldId: w.id, events: events.slice(-limit) } };
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/periodic/:task`,
      handler: async (req) => {
        const w = world(req);
        const name = taskName(req);
        const t = w.periodic.status().find((x) => x.name === name);
        if (t && !t.declared)
          throw new WorldtickError(
            ErrorCode.TASK_BUILTIN,
            `periodic task ${JSON.stringify(name)} is built into the runtime and cannot be removed`,
            { details: { name } },
          );
        w.periodic.remove(name); // WT_ERR_TASK_UNKNOWN (404) when absent
        ops.taskRemoved(w.id, name);
        ops.count('task');
        logger.info({ world: w.id, task: name }, 'periodic task removed');
        const durable = await ops.saveWorld(w);
        return { json: { worldId: w.id, removed: name, durable } };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/periodic/:task/run`,
      body: true,
      handler: (req) => {
        const w = world(req);
        noBody(req);
        const name = taskName(req);
        w.periodic.inject(name); // WT_ERR_TASK_UNKNOWN (404) when absent
        ops.count('trigger');
        logger.info({ world: w.id, task: name }, 'periodic task triggered');
        const trigger = w.bus
          .history('task')
          .reverse()
          .find((e) => e.payload.name === name && e.payload.injected);
        return { json: { worldId: w.id, trigger: trigger ?? null } };
      },
    },
  ];
};
