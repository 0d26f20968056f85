/**
 * Tier zones: axis-aligned rectangles of the world (a town square, a quest area) that hold a
 * minimum tier — an NPC inside a zone is simulated at least at the zone's tier, wherever the
 * players are. Zones are few and rarely change, the case rbush is built for: they live in an
 * rbush, and the tiering pass asks it for the zones overlapping the world (the NPC grid's
 * extent), then visits only the grid cells under each zone. Point queries (`zonesAt`) answer
 * "which zones cover this spot" for the admin API and gameplay code.
 *
 * Edits go through {@link setZone} / {@link removeZone} / {@link replaceZones}; each validates
 * its input completely and changes nothing on error (`WT_ERR_TIER_ZONE_INVALID`).
 */
import RBush from 'rbush';
import { TIER_NAMES, TierCode, type TierName } from '../../components/tier.js';
import { ErrorCode, WorldtickError } from '../errors.js';

/** A zone as stored and reported. Coordinates are world units, `tier` a TierCode (0..2). */
export interface TierZone {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  id: string;
  tier: number;
  /** NPCs inside the zone at the last tiering pass. */
  npcs: number;
}

/** Public shape of a zone (tier by name). */
export interface TierZoneView {
  id: string;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  tier: TierName;
  /** NPCs inside the zone at the last tiering pass. */
  npcs: number;
}

/** The zones of one world. */
export interface TierZones {
  readonly tree: RBush<TierZone>;
  readonly byId: Map<string, TierZone>;
  /** Bumped on every accepted edit (the tiering pass re-runs when it moves). */
  version: number;
}

/** Most zones a world holds. */
export const MAX_TIER_ZONES = 4096;
/** Tiers a zone or a pin may ask for: a "minimum tier" of dormant would change nothing. */
export const FLOOR_TIERS: readonly TierName[] = ['detailed', 'active', 'ambient'];

const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ZONE_KEYS = new Set(['id', 'minX', 'minY', 'maxX', 'maxY', 'tier']);

/** Create an empty zone set. */
export const createTierZones = (): TierZones => ({ tree: new RBush<TierZone>(9), byId: new Map(), version: 0 });

/** A TierCode for a floor tier given by name or code, or -1. */
export const floorTierOf = (v: unknown): number => {
  if (typeof v === 'string' && (FLOOR_TIERS as readonly string[]).includes(v)) return TierCode[v as TierName];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < FLOOR_TIERS.length) return v;
  return -1;
};

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1e9;

/**
 * Validate one zone definition (`{ id?, minX, minY, maxX, maxY, tier }`; `id` may come from the
 * path instead). Pushes every problem, prefixed by `at`, into `problems`; returns the zone or null.
 */
export const parseZone = (raw: unknown, at: string, problems: string[], id?: string): TierZone | null => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at} must be an object`);
    return null;
  }
  const o = raw as Record<string, unknown>;
  const n0 = problems.length;
  for (const k of Object.keys(o)) if (!ZONE_KEYS.has(k)) problems.push(`${at}.${k.slice(0, 64)} is not a known field`);
  const zid = id ?? o.id;
  if (id !== undefined && o.id !== undefined && o.id !== id) problems.push(`${at}.id must match the path's zone id`);
  if (typeof zid !== 'string' || !ID_RE.test(zid)) problems.push(`${at}.id must be 1-64 characters of A-Z a-z 0-9 _ . -`);
  for (const k of ['minX', 'minY', 'maxX', 'maxY'] as const)
    if (!finite(o[k])) problems.push(`${at}.${k} must be a finite number with |value| <= 1e9`);
  if (finite(o.minX) && finite(o.maxX) && !(o.minX < o.maxX)) problems.push(`${at}.minX must be < maxX`);
  if (finite(o.minY) && finite(o.maxY) && !(o.minY < o.maxY)) problems.push(`${at}.minY must be < maxY`);
  const tier = floorTierOf(o.tier);
  if (tier < 0) problems.push(`${at}.tier must be one of ${FLOOR_TIERS.join(', ')}`);
  if (problems.length > n0) return null;
  return {
    id: zid as string,
    minX: o.minX as number,
    minY: o.minY as number,
    maxX: o.maxX as number,
    maxY: o.maxY as number,
    tier,
    npcs: 0,
  };
};

/** `WT_ERR_TIER_ZONE_INVALID` listing every problem. */
export const zoneInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.TIER_ZONE_INVALID, `invalid tier zone: ${problems.join('; ')}`, { details: { problems: [...problems] } });

/** `WT_ERR_TIER_ZONE_NOT_FOUND`. */
export const zoneNotFound = (id: string): WorldtickError =>
  new WorldtickError(ErrorCode.TIER_ZONE_NOT_FOUND, `no tier zone ${JSON.stringify(id.slice(0, 64))}`, {
    details: { id: id.slice(0, 64) },
  });

/** Public view of a zone. */
export const zoneView = (z: TierZone): TierZoneView => ({
  id: z.id,
  minX: z.minX,
  minY: z.minY,
  maxX: z.maxX,
  maxY: z.maxY,
  tier: TIER_NAMES[z.tier],
  npcs: z.npcs,
});

/** Every zone, sorted by id. */
export const listZones = (zones: TierZones): TierZoneView[] =>
  [...zones.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(zoneView);

/**
 * Add or replace the zone `raw` (validated; `id` from the path wins). Returns the stored zone
 * and whether it was created. Throws `WT_ERR_TIER_ZONE_INVALID` (nothing changes).
 */
export const setZone = (zones: TierZones, raw: unknown, id?: string): { zone: TierZoneView; created: boolean } => {
  const problems: string[] = [];
  const z = parseZone(raw, 'zone', problems, id);
  if (!z) throw zoneInvalid(problems);
  const old = zones.byId.get(z.id);
  if (!old && zones.byId.size >= MAX_TIER_ZONES) throw zoneInvalid([`a world holds at most ${MAX_TIER_ZONES} tier zones`]);
  // rbush finds an item by its box: remove the old entry before the new one goes in.
  if (old) zones.tree.remove(old);
  zones.tree.insert(z);
  zones.byId.set(z.id, z);
  zones.version++;
  return { zone: zoneView(z), created: !old };
};

/** Remove zone `id`; throws `WT_ERR_TIER_ZONE_NOT_FOUND` when there is none. */
export const removeZone = (zones: TierZones, id: string): void => {
  const z = zones.byId.get(id);
  if (!z) throw zoneNotFound(id);
  zones.tree.remove(z);
  zones.byId.delete(id);
  zones.version++;
};

/**
 * Replace every zone with `raw` (an array of zone definitions with ids, at most
 * {@link MAX_TIER_ZONES}, ids unique). All or nothing: throws `WT_ERR_TIER_ZONE_INVALID` listing
 * every problem. This is also how a world's zones are loaded (config file, world setup).
 */
export const replaceZones = (zones: TierZones, raw: unknown): TierZoneView[] => {
  const problems: string[] = [];
  if (!Array.isArray(raw)) throw zoneInvalid(['zones must be an array']);
  if (raw.length > MAX_TIER_ZONES) throw zoneInvalid([`zones must hold at most ${MAX_TIER_ZONES} entries`]);
  const parsed: TierZone[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const z = parseZone(raw[i], `zones[${i}]`, problems);
    if (!z) continue;
    if (seen.has(z.id)) problems.push(`zones[${i}].id ${JSON.stringify(z.id)} is a duplicate`);
    seen.add(z.id);
    parsed.push(z);
  }
  if (problems.length) throw zoneInvalid(problems);
  zones.tree.clear();
  zones.byId.clear();
  zones.tree.load(parsed);
  for (const z of parsed) zones.byId.set(z.id, z);
  zones.version++;
  return listZones(zones);
};

/** Zones covering the point (x, y) (rbush point search), sorted by id. */
export const zonesAt = (zones: TierZones, x: number, y: number): TierZoneView[] =>
  zones.tree
    .search({ minX: x, minY: y, maxX: x, maxY: y })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(zoneView);
