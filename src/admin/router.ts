/**
 * A small path router: routes are `{ method, pattern }` with `:name` segments; matching a path
 * yields the route for the method, or tells 404 (no pattern matches) from 405 (a pattern
 * matches, not for this method — with the allowed methods for the `Allow` header).
 *
 * HTTP's own methods come with every path: `HEAD` matches the path's `GET` route (the server
 * sends the GET's status and headers without the body) and `OPTIONS` yields the `Allow` list.
 */
import type { RouteResponse } from './http.js';

/** A request as route handlers see it (body already read, limited and parsed). */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Decoded path parameters by name (`:id` → `params.id`). */
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body; `undefined` when the request had no body. */
  readonly body: unknown;
}

export type RouteHandler = (req: AdminRequest) => RouteResponse | Promise<RouteResponse>;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/api/v1/worlds/:id/stats` — segments starting with `:` capture one path segment. */
  readonly pattern: string;
  /** No bearer token required (health checks, the dashboard's static files). */
  readonly public?: boolean;
  /** The route takes a JSON request body (read with the size limit). */
  readonly body?: boolean;
  readonly handler: RouteHandler;
}

interface Compiled {
  segments: readonly string[];
  byMethod: Map<string, Route>;
}

export type Match =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allow: string[] }
  /** `OPTIONS` on a served path: answered 204 with `Allow`, no CORS headers (docs/ADMIN.md). */
  | { kind: 'options'; allow: string[] }
  | { kind: 'none' };

/** The `Allow` list of a path: its methods in registration order, `HEAD` after `GET`, `OPTIONS` last. */
const allowOf = (byMethod: ReadonlyMap<string, Route>): string[] => {
  const out: string[] = [];
  for (const k of byMethod.keys()) {
    out.push(k);
    if (k === 'GET') out.push('HEAD');
  }
  out.push('OPTIONS');
  return out;
};

/** Compile a route table into a matcher. Throws on duplicate method + pattern. */
export const createRouter = (routes: readonly Route[]): ((method: string, path: string) => Match) => {
  const compiled: Compiled[] = [];
  for (const r of routes) {
    let c = compiled.find((x) => x.segments.join('/') === r.pattern.split('/').join('/'));
    if (!c) {
      c = { segments: r.pattern.split('/'), byMethod: new Map() };
      compiled.push(c);
    }
    if (c.byMethod.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.pattern}`);
    c.byMethod.set(r.method, r);
  }
  return (method, path) => {
    const parts = path.split('/');
    for (const c of compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i];
        const part = parts[i];
        if (seg.startsWith(':')) {
          if (part === '') ok = false;
          else {
            try {
              params[seg.slice(1)] = decodeURIComponent(part);
            } catch {
              ok = false;
            }
          }
        } else if (seg !== part) ok = false;
      }
      if (!ok) continue;
      if (method === 'OPTIONS') return { kind: 'options', allow: allowOf(c.byMethod) };
      const route = c.byMethod.get(method === 'HEAD' ? 'GET' : method);
      if (route) return { kind: 'found', route, params };
      return { kind: 'method', allow: allowOf(c.byMethod) };
    }
    return { kind: 'none' };
  };
};
