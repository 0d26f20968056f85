/**
 * Random requests for the admin HTTP API fuzz (test/integration/fuzz/admin-api-fuzz.test.ts): any
 * method, encoded / traversal-like / very long paths, odd query strings, missing or odd auth and
 * content-type headers, random JSON bodies (valid and invalid, deep nesting, huge numbers, arrays
 * where objects are expected, __proto__ keys), bodies over the limit, lying lengths, requests
 * aborted mid-body. Seeded: the same `Rng` gives the same requests.
 */
import type { RawRequest } from './raw-http.js';
import { deepJsonText, EDGE_NUMBERS, jsonValue, ODD_KEYS, type Rng } from './rng.js';

/** The admin token of the fuzzed child (test/fuzz-helpers/admin-child.ts reads it from `WT_FUZZ_ADMIN_TOKEN`). */
export const TOKEN = 'fuzz-token';
/** The admin API's body limit (bytes): bodies are aimed around it. */
const LIMIT = 64 * 1024;

/** The authorization header with `token` ({@link TOKEN} unless told). */
export const auth = (token = TOKEN): [string, string] => ['Authorization', `Bearer ${token}`];

const IDS = [
  '1',
  'nope',
  '__proto__',
  'constructor',
  'toString',
  '%2e%2e',
  '..',
  '.',
  '%2F',
  '1%00',
  '%E0%A4%A',
  '%',
  'x'.repeat(65),
  'a b',
  '1;DROP',
  '%F0%9F%98%80',
  '',
];
const TAILS = [
  '',
  '/scheduler/config',
  '/scheduler/pause',
  '/scheduler/resume',
  '/scheduler/step',
  '/stats',
  '/map',
  '/scheduler',
  '/x',
  '/stats/',
  '/../config',
  '/maintenance',
  '/controller/override',
  '/periodic',
  '/periodic/history',
  '/periodic/heartbeat',
  '/periodic/runtime.stats/run',
  '/periodic/nope/run',
  '/players/t:nobody/kick',
  '/players/kick',
  '/players/%00/kick',
  `/players/${'t'.repeat(300)}/kick`,
];
const PLAIN = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/dashboard',
  '/dashboard/app.js',
  '/dashboard/panels.js',
  '/dashboard/style.css',
  '/dashboard/../../etc/passwd',
  '//',
  '/api',
  '/api/v1',
  '/api/v1/worlds',
  '/api/v1/worlds/',
  '/API/V1/WORLDS',
  '/api/v1//worlds',
  '*',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/api/v1/worlds/1/../../worlds',
];
const QUERIES = [
  '',
  '',
  '',
  '?n=5',
  '?n=0',
  '?n=-1',
  '?n=1e3',
  '?n=99999999999',
  '?n=10001',
  '?n=%ZZ',
  '?max=0',
  '?max=200001',
  '?max=10&format=json',
  '?format=json',
  '?&&&=',
  '?n=1&n=2',
  '?__proto__=1',
];

/** A generated request, and which world a config update targets (null: none). */
export interface Gen {
  req: RawRequest;
  /** Which world a config update targets, or null. */
  world: string | null;
}

const bodyFor = (rng: Rng, created: string[]): string => {
  const r = rng.next();
  if (r < 0.15) return JSON.stringify({ simulation: { timeScale: rng.pick([1, 30, 60, 120]) } });
  if (r < 0.25) {
    const id = `fz${rng.int(0, 40)}`;
    if (rng.chance(0.4)) {
      // Sizes, grid cells and capacities at their limits (each a memory hazard if unchecked).
      const size = rng.pick([1e-300, 1, 2000, 1e5, 1e6, 1e7, 1e7 + 1]);
      const cell = rng.pick([64, 64, 0.01, 1e-6, 5000, 1e6]);
      const capacity = rng.pick([100, 2_000_000, 1_999_999, 2_000_001]);
      return JSON.stringify({
        id,
        capacity,
        npcs: rng.int(0, 20),
        size,
        config: { simulation: { spatialCellSize: cell, pauseSimulation: true } },
      });
    }
    return JSON.stringify(
      rng.chance(0.7)
        ? { id, capacity: rng.int(1, 3000), npcs: rng.int(0, 50), seed: rng.int(0, 100) }
        : { id, ...(jsonValue(rng, 2) as object) },
    );
  }
  if (r < 0.3) return JSON.stringify({ n: rng.pick([1, 2, 3, 0, -1, 1.5, 10001, 1e21, '3', null]) });
  if (r < 0.45) return JSON.stringify(jsonValue(rng, 4));
  if (r < 0.55) {
    const leaf = rng.pick<unknown>([...EDGE_NUMBERS.filter(Number.isFinite), 'x', [], {}, null, true]);
    const path = rng.pick([
      ['simulation', 'timeScale'],
      ['simulation', 'tiers', 'detailed', 'maxNpcs'],
      ['controller', 'frameBudgetMs'],
      ['simulation', rng.pick(ODD_KEYS)],
      [rng.pick(ODD_KEYS)],
    ]);
    let v: unknown = leaf;
    for (let i = path.length - 1; i >= 0; i--) v = { [path[i]]: v };
    return JSON.stringify(v).replace('"__proto__"', '"__proto__"');
  }
  if (r < 0.57) {
    if (rng.chance(0.3))
      return JSON.stringify({
        [rng.pick(['simulation', 'id', 'n'])]: { ['K'.repeat(rng.int(1000, 60_000))]: 1 },
        ['L'.repeat(rng.int(100, 3000))]: 1,
      });
    const keys = rng.int(100, 6000);
    const o: Record<string, number> = {};
    for (let i = 0; i < keys; i++) o[`k${i}`] = i;
    return JSON.stringify(rng.chance(0.5) ? { simulation: o } : { id: 'fzkeys', ...o });
  }
  if (r < 0.6) return '{"__proto__":{"simulation":{"timeScale":7}},"constructor":{"prototype":{"polluted":1}}}';
  if (r < 0.7) {
    const depth = rng.int(30, 20_000);
    const inner = deepJsonText(depth, rng.chance(0.5) ? 'array' : 'object');
    return rng.pick([
      inner,
      `{"simulation":${inner}}`,
      `{"simulation":{"timeScale":${inner}}}`,
      `{"id":"fzdeep","config":${inner}}`,
      `{"n":${inner}}`,
    ]);
  }
  if (r < 0.75)
    return rng.pick([
      '{"simulation":{"timeScale":1e999}}',
      '{"n":1e400}',
      '{"id":"fzbig","capacity":1e308}',
      `{"simulation":{"timeScale":${'9'.repeat(400)}}}`,
    ]);
  if (r < 0.85)
    return rng.pick([
      '',
      '{',
      '{"a":}',
      'null',
      '[]',
      'true',
      '"str"',
      '{"a":1}x',
      '\u0000',
      '{"simulation":{"timeScale":NaN}}',
      "{'a':1}",
      '\ufeff{}',
      rng.str(rng.int(1, 100)),
    ]);
  if (r < 0.9) return `{"pad":"${'p'.repeat(LIMIT + rng.int(-20, 200))}"}`;
  return created.length ? JSON.stringify({ id: rng.pick(created) }) : '{}';
};

/** Values for a route's `:param` segments: plausible ones and hostile ones (some already percent-encoded, some raw). */
const PARAM_VALUES: Record<string, readonly string[]> = {
  player: ['t:nobody', `t:${'0'.repeat(32)}`, 't:', '0', '1', '%00', 'x'.repeat(300), '__proto__', 'constructor', '%F0%9F%98%80', 't%3Aa'],
  key: ['stats', 'settings', 'k'.repeat(300), '__proto__', 'constructor', '%2F', '%00', '.', '%20'],
  eid: ['0', '1', '5', '150', '-1', '1.5', '4294967295', '4294967296', '1e3', 'x', '0x10', '%00'],
  task: ['heartbeat', 'runtime.stats', 'market', 'nope', '__proto__', 'a'.repeat(200), '%2E%2E'],
  zoneId: ['z1', 'zone-a', '__proto__', 'z'.repeat(200), '%00', '-'],
};

/** A body shaped for the route (its documented fields, with edge values), or any body. */
const routeBody = (rng: Rng, pattern: string, created: string[]): string => {
  if (rng.chance(0.35)) return bodyFor(rng, created);
  const edge = (): unknown => rng.pick<unknown>([...EDGE_NUMBERS, 'x', '', null, true, [], {}, 'x'.repeat(300)]);
  const maybe = (v: unknown): unknown => (rng.chance(0.7) ? v : edge());
  if (pattern.endsWith('/ledger/rewards'))
    return JSON.stringify({
      playerId: maybe(rng.pick(PARAM_VALUES.player)),
      key: maybe(`fz-${rng.int(0, 20)}`),
      ...(rng.chance(0.7) ? { coins: maybe(rng.int(-5, 50)) } : {}),
      ...(rng.chance(0.4) ? { item: maybe(rng.pick(['apple', 'sword', ''])), quantity: maybe(rng.int(-1, 5)) } : {}),
    });
  if (pattern.endsWith('/tiers/zones') || pattern.endsWith('/tiers/zones/:zoneId')) {
    const zone = (): unknown => ({
      id: maybe(rng.pick(PARAM_VALUES.zoneId)),
      x: maybe(rng.int(-10, 500)),
      y: maybe(rng.int(-10, 500)),
      radius: maybe(rng.pick([0, 1, 50, 1e9])),
      tier: maybe(rng.pick(['detailed', 'active', 'ambient', 'dormant', 'nope'])),
    });
    return JSON.stringify(
      pattern.endsWith(':zoneId') ? zone() : rng.chance(0.8) ? { zones: Array.from({ length: rng.int(0, 6) }, zone) } : edge(),
    );
  }
  if (pattern.endsWith('/pin')) return JSON.stringify(rng.chance(0.5) ? {} : { tier: maybe(rng.pick(['detailed', 'active', 'x'])) });
  if (pattern.endsWith('/maintenance'))
    return JSON.stringify({ on: maybe(rng.chance(0.5)), ...(rng.chance(0.5) ? { reason: maybe('fz') } : {}) });
  if (pattern.endsWith('/controller/override'))
    return JSON.stringify({
      mode: maybe(rng.pick(['normal', 'degraded', 'emergency'])),
      seconds: maybe(rng.pick([1, 60, 86400, 86401, 0])),
    });
  if (pattern.endsWith('/migrate')) return JSON.stringify({ to: maybe(rng.pick(['a', 'b', 'self', ''])) });
  if (pattern.endsWith('/periodic'))
    return JSON.stringify({
      name: maybe(rng.pick(['market', 'fz-task', 'heartbeat'])),
      intervalSeconds: maybe(rng.pick([1, 60, 86400, 0, -1])),
    });
  if (pattern.endsWith('/kick')) return JSON.stringify(rng.chance(0.5) ? {} : { reason: maybe('fz'.repeat(rng.int(1, 80))) });
  if (pattern.endsWith('/balance')) return JSON.stringify({ dryRun: maybe(true) });
  if (pattern.endsWith('/adopt')) return JSON.stringify({ worldId: maybe(rng.pick(['1', ...created, 'nope'])) });
  return rng.chance(0.5) ? '{}' : bodyFor(rng, created);
};

/**
 * A request to one of the server's own routes (`route`: `METHOD /pattern`, as the runtime registered it), its
 * `:params` filled with plausible and hostile values, mostly with the route's method, the token and a JSON body
 * shaped for it: every route is reached, not only the ones a list in this file names. `plain`: the route's own
 * method, the token and the first (plausible) value of each parameter, so the request reaches the route's handler.
 */
export const genRouteRequest = (rng: Rng, route: string, created: string[], plain = false, token = TOKEN): Gen => {
  const [own, pattern] = route.split(' ');
  const path = pattern
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg;
      const name = seg.slice(1);
      if (name === 'id') return plain || rng.chance(0.6) ? '1' : created.length && rng.chance(0.5) ? rng.pick(created) : rng.pick(IDS);
      const values = PARAM_VALUES[name === 'playerId' ? 'player' : name] ?? IDS;
      return plain ? values[0] : rng.pick(values);
    })
    .join('/');
  const method = plain || rng.chance(0.85) ? own : rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
  const headers: Array<[string, string]> = plain || rng.chance(0.92) ? [auth(token)] : [];
  const req: RawRequest = { method, path: path + (plain || rng.chance(0.8) ? '' : rng.pick(QUERIES)), headers };
  if (method !== 'GET' && method !== 'DELETE' ? rng.chance(0.9) : rng.chance(0.1)) {
    const body = routeBody(rng, pattern, created);
    headers.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]);
    req.body = body;
  }
  return { req, world: method === 'PUT' && pattern.endsWith('/scheduler/config') ? path.split('/')[4] : null };
};

/** One random request (`created`: ids of worlds the run created, to aim at; `token`: the server's admin token). */
export const genRequest = (rng: Rng, created: string[], token = TOKEN): Gen => {
  const method = rng.pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'FOO']);
  let path: string;
  let world: string | null = null;
  if (rng.chance(0.25)) {
    // Targeted: a body-taking route with the right headers, so the body itself is what is fuzzed.
    const id = created.length && rng.chance(0.3) ? rng.pick(created) : '1';
    const target = rng.pick([
      `/api/v1/worlds/${id}/scheduler/config`,
      `/api/v1/worlds/${id}/scheduler/config`,
      '/api/v1/worlds',
      `/api/v1/worlds/${id}/scheduler/step`,
      `/api/v1/worlds/${id}/players/t:nobody/kick`,
    ]);
    const body = rng.chance(0.15) ? `{"pad":"${'p'.repeat(LIMIT + rng.int(-10, 100))}"}` : bodyFor(rng, created);
    const len = Buffer.byteLength(body);
    const abort = rng.chance(0.1); // declare more than is sent, send part, go away
    return {
      req: {
        method: target.endsWith('config') ? 'PUT' : 'POST',
        path: target,
        headers: [auth(token), ['Content-Type', 'application/json'], ['Content-Length', String(abort ? Math.min(LIMIT, len + 1000) : len)]],
        body,
        ...(abort ? { abortAfterBodyBytes: rng.int(0, Math.min(len, 500)) } : {}),
      },
      world: target.endsWith('config') ? id : null,
    };
  }
  if (rng.chance(0.75)) {
    const id = rng.chance(0.6) ? '1' : created.length && rng.chance(0.5) ? rng.pick(created) : rng.pick(IDS);
    const tail = rng.pick(TAILS);
    path = rng.chance(0.2) ? '/api/v1/worlds' : `/api/v1/worlds/${id}${tail}`;
    if (tail === '/scheduler/config') world = id;
  } else path = rng.chance(0.1) ? `/api/v1/worlds/${'y'.repeat(rng.int(1000, 20_000))}` : rng.pick(PLAIN);
  path += rng.pick(QUERIES);
  const headers: Array<[string, string]> = [];
  const a = rng.next();
  if (a < 0.8) headers.push(auth(token));
  else if (a < 0.85) headers.push(['Authorization', `bearer ${token}`]);
  else if (a < 0.9)
    headers.push(['Authorization', rng.pick(['Bearer', 'Bearer ', `Basic ${token}`, `Bearer ${token}x`, `Bearer ${'t'.repeat(3000)}`])]);
  let body: string | undefined;
  if (method !== 'GET' && method !== 'HEAD' ? rng.chance(0.75) : rng.chance(0.1)) body = bodyFor(rng, created);
  if (body !== undefined || rng.chance(0.1)) {
    const ct = rng.next();
    if (ct < 0.75)
      headers.push([
        'Content-Type',
        rng.pick(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/merge-patch+json']),
      ]);
    else if (ct < 0.9)
      headers.push([
        'Content-Type',
        rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '', 'json']),
      ]);
  }
  const req: RawRequest = { method, path, headers, body };
  if (body !== undefined) {
    const len = Buffer.byteLength(body);
    const l = rng.next();
    if (l < 0.9) headers.push(['Content-Length', String(len)]);
    else if (l < 0.93) headers.push(['Content-Length', rng.pick(['abc', '-1', '1.5', '99999999999999999999', ' 5'])]);
    else if (l < 0.96) {
      headers.push(['Transfer-Encoding', 'chunked']);
      req.body = `${len.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    } else {
      headers.push(['Content-Length', String(len + 1000)]);
      req.abortAfterBodyBytes = Math.min(len, rng.int(0, 200));
    }
  }
  if (rng.chance(0.03)) req.abortAfterBodyBytes = 0; // headers only, then gone
  return { req, world };
};
