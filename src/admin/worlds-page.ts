/**
 * Pages of `GET /api/v1/worlds` (docs/ADMIN.md "World routes"): `?limit=N&after=<worldId>` answers
 * the worlds after `after` in world-id order (UTF-16 code units, as `<` compares strings), at most
 * `limit`, with `next` (the last id of the page) when more follow and `total` (worlds in all).
 * Without `limit` and `after` the route answers the whole list as it always did.
 */
import { badRequest } from './http-errors.js';

/** `limit` when only `after` is given. */
export const WORLDS_PAGE_DEFAULT = 100;
/** Largest `limit` (a page of 1,000 worlds is ~315 KB). */
export const WORLDS_PAGE_MAX = 1000;
/** Longest `after` (world ids are shorter; the id of the last world of a page is what clients send). */
const AFTER_MAX = 256;

/** A validated page request. */
export interface WorldsPage {
  readonly limit: number;
  /** Worlds with an id strictly greater are listed; absent: from the first. */
  readonly after?: string;
}

/** Code-unit order of world ids (the order of every page). */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The page asked for by `limit` / `after` in `query`, or null when neither is given (the whole
 * list). Throws 400 `WT_ERR_ADMIN_BAD_REQUEST` listing every bad parameter.
 */
export const parseWorldsPage = (query: URLSearchParams): WorldsPage | null => {
  const limits = query.getAll('limit');
  const afters = query.getAll('after');
  if (limits.length === 0 && afters.length === 0) return null;
  const problems: string[] = [];
  let limit = WORLDS_PAGE_DEFAULT;
  if (limits.length > 0) {
    const q = limits[0] ?? '';
    if (limits.length > 1 || !/^\d{1,7}$/.test(q) || Number(q) < 1 || Number(q) > WORLDS_PAGE_MAX)
      problems.push(
        `limit must be an integer between 1 and ${WORLDS_PAGE_MAX}, given once (got ${JSON.stringify(limits.join(',').slice(0, 40))})`,
      );
    else limit = Number(q);
  }
  const after = afters[0];
  if (afters.length > 1 || (after !== undefined && (after.length === 0 || after.length > AFTER_MAX)))
    problems.push(`after must be a world id (1-${AFTER_MAX} characters), given once: the next of the previous page`);
  if (problems.length) throw badRequest(`invalid worlds page: ${problems.join('; ')}`, problems);
  return after === undefined ? { limit } : { limit, after };
};

/** The ids of `ids` on `page`, sorted, and whether more follow it. */
export const pageOfIds = (ids: readonly string[], page: WorldsPage): { ids: string[]; more: boolean } => {
  const after = page.after;
  const rest = (after === undefined ? [...ids] : ids.filter((id) => id > after)).sort(compareIds);
  return { ids: rest.slice(0, page.limit), more: rest.length > page.limit };
};

/** The JSON fields a page adds: `next` when more follow (the last id listed), `total`. */
export const pageFields = (ids: readonly string[], more: boolean, total: number): { next?: string; total: number } => {
  const last = ids.at(-1);
  return more && last !== undefined ? { next: last, total } : { total };
};
