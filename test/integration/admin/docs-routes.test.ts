/**
 * The documentation lists the admin API the server has: every route in docs/ADMIN.md's route
 * tables exists on a running server and every route the server registers is in those tables;
 * every `/api/v1` request in README.md (its curl examples and prose) names a route that exists.
 * A route added, removed or renamed without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRuntime } from './harness.js';

/** `/api/v1/worlds/{id}/x` and `/api/v1/worlds/:id/x` alike: every parameter segment as `:`. */
const shape = (path: string): string =>
  path
    .split('/')
    .map((s) => (/^\{[^}]+\}$/.test(s) || s.startsWith(':') ? ':' : s))
    .join('/');

/** Routes of docs/ADMIN.md's tables: `| GET | \`/path\` |` rows and `| \`GET /path\` |` rows. */
const documentedRoutes = (md: string): string[] => {
  const out: string[] = [];
  for (const line of md.split('\n')) {
    // A path cell may name several paths: `/a`, `/b`.
    const a = /^\|\s*(GET|POST|PUT|DELETE)\s*\|([^|]*)\|/.exec(line);
    if (a) for (const p of a[2].matchAll(/`(\/[^`]*)`/g)) out.push(`${a[1]} ${shape(p[1])}`);
    const b = /^\|\s*`(GET|POST|PUT|DELETE) (\/[^`?]*)`/.exec(line);
    if (b) out.push(`${b[1]} ${shape(b[2])}`);
  }
  return out;
};

/** Does `path` (concrete, e.g. `/api/v1/worlds/1/stats`) match one of the route shapes for `method`? */
const matches = (routes: readonly string[], method: string, path: string): boolean => {
  const parts = path.replace(/\?.*$/, '').replace(/\/$/, '').split('/');
  return routes.some((r) => {
    const [m, p] = r.split(' ');
    if (m !== method) return false;
    const segs = p.split('/');
    return segs.length === parts.length && segs.every((s, i) => s === ':' || s === parts[i]);
  });
};

describe('admin routes in the documentation', () => {
  let code: string[];
  const s = useRuntime();
  beforeAll(async () => {
    code = s.runtime.admin.routes.map((r) => `${r.method} ${shape(r.pattern)}`);
  });

  it('docs/ADMIN.md lists every route the server registers, and no other', () => {
    const docs = documentedRoutes(readFileSync(new URL('../../../docs/ADMIN.md', import.meta.url), 'utf8'));
    expect(docs.length).toBeGreaterThan(20);
    expect(new Set(docs).size).toBe(docs.length); // each route documented once
    expect([...code].sort()).toEqual([...new Set(docs)].sort());
  });

  it("README.md's admin requests name existing routes", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const requests: Array<{ method: string; path: string }> = [];
    // curl examples (continued lines joined): `curl [-X METHOD] ... http://host:port/path`
    for (const line of readme.replace(/\\\n\s*/g, ' ').split('\n')) {
      if (!line.startsWith('curl ')) continue;
      for (const cmd of line.split(';')) {
        const url = /https?:\/\/[^/\s'"]+(\/[^\s'"]*)/.exec(cmd);
        if (!url) continue;
        const method = /-X\s+(GET|POST|PUT|DELETE)\b/.exec(cmd)?.[1] ?? 'GET';
        requests.push({ method, path: url[1] });
      }
    }
    // prose: `METHOD /api/v1/...`
    for (const m of readme.matchAll(/\b(GET|POST|PUT|DELETE) (\/api\/v1\/[^\s`)]*)/g)) requests.push({ method: m[1], path: m[2] });
    expect(requests.length).toBeGreaterThan(10);
    const concrete = (p: string) => p.replace(/\{[^}]+\}/g, 'x');
    const missing = requests.filter((r) => !matches(code, r.method, concrete(r.path))).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });
});
