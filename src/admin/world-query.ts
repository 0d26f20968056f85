/**
 * Parameters of the admin routes read from the body and the query string: the steps of a forced
 * step and the map's `max` / `format` (`routes-worlds.ts`), and the strict query reader of the
 * periodic history (`routes-ops.ts`) and the tier-zone point query (`routes-tiers.ts`). What the
 * operator asked for is never dropped quietly: a parameter that is given is checked, and one given
 * twice is refused.
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

/**
 * A strict reader of query parameters, each taken at most once, for a route whose typo must not
 * answer something else (the unfiltered history, every tier zone): `once` reads one parameter and
 * notes it when repeated or failing `ok` (as `<name> must be <rule>, given once`); `done` notes every
 * parameter not in `known` and throws one 400 `WT_ERR_ADMIN_BAD_REQUEST` listing every problem.
 */
export const strictQuery = (req: AdminRequest, what: string, known: readonly string[]) => {
  const problems: string[] = [];
  return {
    once(name: string, ok: (v: string) => boolean, rule: string): string | null {
      const all = req.query.getAll(name);
      const v = all[0];
      if (v === undefined) return null;
      if (all.length > 1 || !ok(v)) problems.push(`${name} must be ${rule}, given once`);
      return v;
    },
    /** Note a problem of the route's own (a parameter that is missing, say). */
    problem(p: string): void {
      problems.push(p);
    },
    done(): void {
      for (const q of new Set(req.query.keys()))
        if (!known.includes(q)) problems.push(`query parameter ${q.slice(0, 32)} is not taken (${known.join(', ')})`);
      if (problems.length) throw badRequest(`invalid ${what} query: ${problems.join('; ')}`, capProblems(problems));
    },
  };
};
