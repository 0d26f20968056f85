/**
 * Pages of `GET /api/v1/worlds` (docs/ADMIN.md "World routes"): `?limit=N&after=<worldId>` answers
 * the worlds after `after` in world-id order (UTF-16 code units, as `<` compares strings), at most
 * `limit`, with `next` (the last id of the page) when more follow and `total` (worlds in all).
 * Without `limit` and `after` the route answers the whole list as it always did.
 */
import type { AdminRequest } from './router.js';
import { strictQuery } from './world-query.js';

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
 * The page asked for by `limit` / `after` in the query, or null when neither is given (the whole
 * list). Throws 400 `WT_ERR_ADMIN_BAD_REQUEST` ({@link strictQuery}) listing every bad parameter,
 * one given twice, and any other parameter (a typo such as `limt` must not answer the whole list).
 */
export const parseWorldsPage = (req: Pick<AdminRequest, 'query'>): WorldsPage | null => {
  const q = strictQuery(req, 'worlds page', ['limit', 'after']);
  const limit = q.once(
    'limit',
    (v) => /^\d{1,7}$/.test(v) && Number(v) >= 1 && Number(v) <= WORLDS_PAGE_MAX,
    `an integer between 1 and ${WORLDS_PAGE_MAX}`,
  );
  const after = q.once(
    'after',
    (v) => v.length > 0 && v.length <= AFTER_MAX,
    `a world id (1-${AFTER_MAX} characters): the next of the previous page`,
  );
  q.done();
  if (limit === null && after === null) return null;
  const n = limit === null ? WORLDS_PAGE_DEFAULT : Number(limit);
  return after === null ? { limit: n } : { limit: n, after };
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
