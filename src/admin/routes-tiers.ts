/**
 * Gameplay control of tiers through the admin API (docs/ADMIN.md, "Tier zones and pins"):
 *
 *   GET    /api/v1/worlds/{id}/tiers/zones            list (?x=&y=: the zones covering a point)
 *   PUT    /api/v1/worlds/{id}/tiers/zones            replace every zone ({ "zones": [...] })
 *   DELETE /api/v1/worlds/{id}/tiers/zones            remove every zone
 *   GET    /api/v1/worlds/{id}/tiers/zones/{zoneId}   one zone
 *   PUT    /api/v1/worlds/{id}/tiers/zones/{zoneId}   create (201) or replace (200) one zone
 *   DELETE /api/v1/worlds/{id}/tiers/zones/{zoneId}   remove one zone
 *   GET    /api/v1/worlds/{id}/tiers/pins             list pins
 *   GET    /api/v1/worlds/{id}/npcs/{eid}/pin         an NPC's pin (null when unpinned)
 *   POST   /api/v1/worlds/{id}/npcs/{eid}/pin         pin ({ "tier": "detailed", "seconds"?: 600 })
 *   DELETE /api/v1/worlds/{id}/npcs/{eid}/pin         unpin
 *
 * Every handler validates all of its input first and changes the world completely or not at all
 * (coded errors: WT_ERR_TIER_ZONE_INVALID / WT_ERR_TIER_PIN_INVALID 400, WT_ERR_NPC_NOT_FOUND /
 * WT_ERR_TIER_ZONE_NOT_FOUND / WT_ERR_WORLD_NOT_FOUND 404). Handlers run on the event loop
 * between steps; edits take effect at the next step's tiering pass.
 */
import { worldNotFound } from '../errors.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { listPins, pinNpc, pinOf, unpinNpc } from '../tiers/tier-floors.js';
import { listZones, removeZone, replaceZones, setZone, zoneNotFound, zonesAt, zoneView } from '../tiers/tier-zones.js';
import type { SimWorld } from '../world/sim-world.js';
import { badRequest } from './http-errors.js';
import type { AdminRequest, Route } from './router.js';
import { strictQuery } from './world-query.js';

export interface TierRoutesOptions {
  runner: LoopRunner;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const PIN_KEYS = new Set(['tier', 'seconds']);

/** The tier routes (see the module comment). */
export const tierRoutes = (opts: TierRoutesOptions): Route[] => {
  const { runner } = opts;
  const world = (req: AdminRequest): SimWorld => {
    const id = req.params.id!;
    if (!runner.has(id)) throw worldNotFound(id.length > 64 ? `${id.slice(0, 64)}…` : id);
    return runner.get(id);
  };
  const eidOf = (req: AdminRequest): number => {
    const raw = req.params.eid!;
    if (!/^[0-9]{1,10}$/.test(raw)) throw badRequest('eid must be a decimal entity id', ['eid must be a decimal entity id']);
    return Number(raw);
  };
  const zones = '/api/v1/worlds/:id/tiers/zones';
  const pin = '/api/v1/worlds/:id/npcs/:eid/pin';
  return [
    {
      method: 'GET',
      pattern: zones,
      handler: (req) => {
        const w = world(req);
        // No parameter: every zone. Otherwise a point: x and y, each once; anything else is refused.
        if ([...req.query.keys()].length === 0) return { json: { zones: listZones(w.npcSim.zones) } };
        const q = strictQuery(req, 'zone point', ['x', 'y']);
        const finite = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
        const qx = q.once('x', finite, 'a finite number'),
          qy = q.once('y', finite, 'a finite number');
        if (qx === null) q.problem('x must be a finite number, given once');
        if (qy === null) q.problem('y must be a finite number, given once');
        q.done();
        const x = Number(qx),
          y = Number(qy);
        return { json: { zones: zonesAt(w.npcSim.zones, x, y) } };
      },
    },
    {
      method: 'PUT',
      pattern: zones,
      body: true,
      handler: (req) => {
        const w = world(req);
        if (!isObj(req.body) || Object.keys(req.body).some((k) => k !== 'zones'))
          throw badRequest('body must be { "zones": [ ... ] }', ['body must be an object with the single field zones']);
        return { json: { zones: replaceZones(w.npcSim.zones, req.body.zones) } };
      },
    },
    {
      method: 'DELETE',
      pattern: zones,
      handler: (req) => {
        const w = world(req);
        const removed = w.npcSim.zones.byId.size;
        replaceZones(w.npcSim.zones, []);
        return { json: { removed, zones: [] } };
      },
    },
    {
      method: 'GET',
      pattern: `${zones}/:zoneId`,
      handler: (req) => {
        const z = world(req).npcSim.zones.byId.get(req.params.zoneId!);
        if (!z) throw zoneNotFound(req.params.zoneId!);
        return { json: zoneView(z) };
      },
    },
    {
      method: 'PUT',
      pattern: `${zones}/:zoneId`,
      body: true,
      handler: (req) => {
        const w = world(req);
        const r = setZone(w.npcSim.zones, req.body, req.params.zoneId!);
        return { status: r.created ? 201 : 200, json: r.zone };
      },
    },
    {
      method: 'DELETE',
      pattern: `${zones}/:zoneId`,
      handler: (req) => {
        removeZone(world(req).npcSim.zones, req.params.zoneId!);
        return { json: { removed: req.params.zoneId } };
      },
    },
    { method: 'GET', pattern: '/api/v1/worlds/:id/tiers/pins', handler: (req) => ({ json: { pins: listPins(world(req)) } }) },
    {
      method: 'GET',
      pattern: pin,
      handler: (req) => {
        const eid = eidOf(req);
        return { json: { eid, pin: pinOf(world(req), eid) } };
      },
    },
    {
      method: 'POST',
      pattern: pin,
      body: true,
      handler: (req) => {
        const w = world(req);
        const eid = eidOf(req);
        const b = req.body;
        if (!isObj(b)) throw badRequest('body must be { "tier": ..., "seconds"?: ... }', ['body must be a JSON object']);
        const unknown = Object.keys(b).filter((k) => !PIN_KEYS.has(k));
        if (unknown.length)
          throw badRequest(
            'unknown fields',
            unknown.map((k) => `${k.slice(0, 64)} is not a known field`),
          );
        return { json: pinNpc(w, eid, b.tier, b.seconds) };
      },
    },
    {
      method: 'DELETE',
      pattern: pin,
      handler: (req) => {
        const eid = eidOf(req);
        return { json: { eid, unpinned: unpinNpc(world(req), eid) } };
      },
    },
  ];
};
