/**
 * Parameters of the admin routes read from the body and the query string: the steps of a forced
 * step and the map's `max` / `format` (`routes-worlds.ts`), and {@link strictQuery}, the one reader
 * of every admin route's query string. What the operator asked for is never dropped quietly: a
 * parameter that is given is checked, one given twice is refused, and so is one the route does not
 * take.
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
 * whether or not a body came (`curl -d '{}' '…/step?n=100'` steps 100 times, not once); no other
 * query parameter is taken (`?count=100` must not step once).
 */
export const parseSteps = (req: AdminRequest, max: number): number => {
  const rule = `an integer between 1 and ${max}`;
  const q = strictQuery(req, 'step', ['n']);
  const fromQuery = q.once('n', (v) => /^\d{1,9}$/.test(v) && intIn(Number(v), 1, max), rule);
  let n = fromQuery === null ? 1 : Number(fromQuery);
  if (req.body !== undefined) {
    if (!isObj(req.body)) throw badRequest('body must be a JSON object like {"n": 5}', ['body must be a JSON object']);
    for (const k of Object.keys(req.body)) if (k !== 'n') q.problem(`${k.slice(0, 64)} is not a known field`);
    if (req.body.n !== undefined) {
      if (fromQuery !== null) q.problem('n is given in both the body and the query: give it once');
      else if (!intIn(req.body.n, 1, max)) q.problem(`n must be ${rule}`);
      else n = req.body.n as number;
    }
  }
  q.done();
  return n;
};

/** The map's `?max=N` (1..MAP_HARD_MAX, default MAP_DEFAULT_MAX) and `?format=json|binary` (default binary), each once, nothing else. */
export const parseMapQuery = (req: AdminRequest): { max: number; json: boolean } => {
  const q = strictQuery(req, 'map', ['max', 'format']);
  const max = q.once('max', (v) => /^\d{1,7}$/.test(v) && intIn(Number(v), 1, MAP_HARD_MAX), `an integer between 1 and ${MAP_HARD_MAX}`);
  const format = q.once('format', (v) => v === 'json' || v === 'binary', 'json or binary');
  q.done();
  return { max: max === null ? MAP_DEFAULT_MAX : Number(max), json: format === 'json' };
};

/**
 * The one reader of an admin route's query string: each parameter taken at most once, only the names
 * in `known`, for routes whose typo must not answer something else (the unfiltered history, every
 * tier zone, the whole world list, one step instead of 100). `once` reads one parameter and notes it
 * when repeated or failing `ok` (as `<name> must be <rule>, given once (got "<value>")`); `problem`
 * notes one of the route's own (a bad path parameter, a missing one); `done` notes every parameter
 * not in `known` (`query parameter <name> is not taken (<known>)`) and throws one 400
 * `WT_ERR_ADMIN_BAD_REQUEST`, `invalid <what> request: <every problem>`, with `details.problems`.
 */
/**
 * A create's `?placement=` (`local` or `least-loaded`; null when not given): read by cluster mode's
 * intercept before it places the world (src/server/cluster-routes.ts) and by the create route in every
 * mode, so a typo is refused by the instance it was sent to and never forwarded.
 */
export const parseCreatePlacement = (req: Pick<AdminRequest, 'query'>): 'local' | 'least-loaded' | null => {
  const q = strictQuery(req, 'create', ['placement']);
  const v = q.once('placement', (p) => p === 'local' || p === 'least-loaded', 'local or least-loaded');
  q.done();
  return v as 'local' | 'least-loaded' | null;
};

export const strictQuery = (req: Pick<AdminRequest, 'query'>, what: string, known: readonly string[]) => {
  const problems: string[] = [];
  return {
    once(name: string, ok: (v: string) => boolean, rule: string): string | null {
      const all = req.query.getAll(name);
      const v = all[0];
      if (v === undefined) return null;
      if (all.length > 1 || !ok(v))
        problems.push(`${name} must be ${rule}, given once (got ${JSON.stringify(all.join(',').slice(0, 40))})`);
      return v;
    },
    /** Note a problem of the route's own (a parameter that is missing, say). */
    problem(p: string): void {
      problems.push(p);
    },
    done(): void {
      const taken = known.length ? ` (${known.join(', ')})` : '';
      for (const q of new Set(req.query.keys()))
        if (!known.includes(q)) problems.push(`query parameter ${q.slice(0, 32)} is not taken${taken}`);
      if (problems.length) throw badRequest(`invalid ${what} request: ${problems.join('; ')}`, capProblems(problems));
    },
  };
};
