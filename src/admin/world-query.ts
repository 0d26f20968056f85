/**
 * Parameters of the world routes read from the body and the query string (`routes-worlds.ts`):
 * the steps of a forced step and the map's `max` / `format`. What the operator asked for is never
 * dropped quietly: a parameter that is given is checked, and one given twice is refused.
 */
import { capProblems } from '../config/schema.js';
import { badRequest } from './http-errors.js';
import { MAP_DEFAULT_MAX, MAP_HARD_MAX } from './map.js';
import type { AdminRequest } from './router.js';

/** A JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An integer in [min, max]. */
export const intIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Steps to force: body `{ "n": N }` or query `?n=N` (not both); default 1. The query is read
 * whether or not a body came (`curl -d '{}' '…/step?n=100'` steps 100 times, not once).
 */
export const parseSteps = (req: AdminRequest, max: number): number => {
  const rule = `n must be an integer between 1 and ${max}`;
  const fromQuery = req.query.getAll('n');
  let raw: unknown = 1;
  if (req.body !== undefined) {
    if (!isObj(req.body)) throw badRequest('body must be a JSON object like {"n": 5}', ['body must be a JSON object']);
    const extra = Object.keys(req.body).filter((k) => k !== 'n');
    if (extra.length)
      throw badRequest('unknown fields in step body', capProblems(extra.map((k) => `${k.slice(0, 64)} is not a known field`)));
    if (req.body.n !== undefined) {
      if (fromQuery.length) throw badRequest('n is given twice', ['n is given in both the body and the query: give it once']);
      raw = req.body.n;
    }
  }
  if (fromQuery.length > 1) throw badRequest(`${rule}, given once`, [`${rule}, given once`]);
  const q = fromQuery[0];
  if (q !== undefined) raw = /^\d{1,9}$/.test(q) ? Number(q) : q;
  if (!intIn(raw, 1, max)) throw badRequest(rule, [rule]);
  return raw as number;
};

/** The map's `?max=N` (1..MAP_HARD_MAX, default MAP_DEFAULT_MAX) and `?format=json|binary` (default binary). */
export const parseMapQuery = (req: AdminRequest): { max: number; json: boolean } => {
  let max = MAP_DEFAULT_MAX;
  if (req.query.has('max')) {
    const q = req.query.get('max') ?? '';
    if (!/^\d{1,7}$/.test(q) || Number(q) < 1 || Number(q) > MAP_HARD_MAX)
      throw badRequest(`max must be an integer between 1 and ${MAP_HARD_MAX}`);
    max = Number(q);
  }
  const format = req.query.get('format') ?? 'binary';
  if (format !== 'json' && format !== 'binary')
    throw badRequest(`format must be json or binary (got "${format.slice(0, 32)}")`, ['format must be json or binary']);
  return { max, json: format === 'json' };
};
