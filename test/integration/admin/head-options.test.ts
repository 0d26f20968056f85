/**
 * HEAD is served on every GET route (same status and headers, no body; auth as for GET), and
 * OPTIONS answers 204 with `Allow` (no CORS headers) — load balancers' and monitors' checks
 * (`curl -I`, HAProxy's `option httpchk` default). Real server, raw HTTP/1.1 on one keep-alive
 * connection: a body after a HEAD answer would show up before the next response's status line.
 */
import { describe, expect, it } from 'vitest';
import { call, rawRequest, TOKEN, useRuntime } from './harness.js';

const s = useRuntime();

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  /** Everything between the end of the HEAD answer's headers and the next status line. */
  after: string;
}

/** `HEAD path` then `GET /healthz` on one connection; the HEAD answer and what followed it. */
const head = async (path: string, auth: boolean, method = 'HEAD'): Promise<RawAnswer> => {
  const a = auth ? `Authorization: Bearer ${TOKEN}\r\n` : '';
  const out = await rawRequest(
    s.port,
    [`${method} ${path} HTTP/1.1\r\nHost: t\r\n${a}\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`],
    3000,
  );
  const end = out.indexOf('\r\n\r\n');
  const lines = out.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const next = out.indexOf('HTTP/1.1 ', end);
  expect(next, `no second response after ${method} ${path}: ${out.slice(0, 400)}`).toBeGreaterThan(0);
  return { status: Number(lines[0]?.split(' ')[1]), headers, after: out.slice(end + 4, next) };
};

describe('admin HEAD', () => {
  it('HEAD /healthz and /readyz answer as GET without a body, no token needed', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const get = await call(s.base, 'GET', path, { token: null });
      const h = await head(path, false);
      expect(h.status).toBe(get.status);
      expect(h.after).toBe('');
      expect(h.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(h.headers.get('content-length')).toBe(String(Buffer.byteLength(get.text)));
    }
    const f = await call(s.base, 'HEAD', '/healthz', { token: null });
    expect(f.status).toBe(200);
    expect(f.text).toBe('');
  });

  it('HEAD on a token route needs the token as GET does', async () => {
    const no = await head('/metrics', false);
    expect(no.status).toBe(401);
    expect(no.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(no.after).toBe('');
    const yes = await head('/metrics', true);
    expect(yes.status).toBe(200);
    expect(yes.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(yes.after).toBe('');
    const stats = await head('/api/v1/worlds/1/stats', true);
    expect(stats.status).toBe(200);
    expect(stats.after).toBe('');
    const missing = await head('/api/v1/worlds/nope/stats', true);
    expect(missing.status).toBe((await call(s.base, 'GET', '/api/v1/worlds/nope/stats')).status);
    expect(missing.after).toBe('');
  });

  it('HEAD where no GET is served is 405 with Allow, no body', async () => {
    const h = await head('/api/v1/worlds/1/scheduler/pause', true);
    expect(h.status).toBe(405);
    expect(h.headers.get('allow')).toBe('POST, OPTIONS');
    expect(h.after).toBe('');
    expect((await head('/nothing/here', true)).status).toBe(404);
  });
});

describe('admin OPTIONS', () => {
  it('answers 204 with Allow and no CORS headers, no token needed', async () => {
    for (const [path, allow] of [
      ['/readyz', 'GET, HEAD, OPTIONS'],
      ['/api/v1/worlds', 'GET, HEAD, POST, OPTIONS'],
      ['/api/v1/worlds/1/scheduler/pause', 'POST, OPTIONS'],
    ] as const) {
      const o = await head(path, false, 'OPTIONS');
      expect(o.status).toBe(204);
      expect(o.headers.get('allow')).toBe(allow);
      expect(o.after).toBe('');
      expect([...o.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
    // HAProxy's `option httpchk` default path, over HTTP/1.1 (uWS does not answer HTTP/1.0: docs/ADMIN.md).
    const haproxy = await rawRequest(s.port, ['OPTIONS / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'], 3000);
    expect(haproxy).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
    expect(haproxy).toMatch(/\r\nAllow: GET, HEAD, OPTIONS\r\n/);
    // A browser's preflight gets the same answer: no Access-Control-Allow-* header, so it is refused.
    const pre = await call(s.base, 'OPTIONS', '/api/v1/worlds', {
      token: null,
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect([...pre.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });
});
