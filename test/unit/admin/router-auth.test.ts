import { describe, expect, it } from 'vitest';
import { createTokenCheck, createTokenMatch } from '../../../src/admin/auth.js';
import { createRouter, type Route } from '../../../src/admin/router.js';

const h = () => ({ json: null });
const routes: Route[] = [
  { method: 'GET', pattern: '/api/v1/worlds', handler: h },
  { method: 'POST', pattern: '/api/v1/worlds', handler: h },
  { method: 'GET', pattern: '/api/v1/worlds/:id/stats', handler: h },
];

describe('router', () => {
  const match = createRouter(routes);
  it('matches routes and decodes parameters', () => {
    const m = match('GET', '/api/v1/worlds/w%201/stats');
    expect(m.kind).toBe('found');
    if (m.kind === 'found') expect(m.params).toEqual({ id: 'w 1' });
  });
  it('tells 405 (with the allowed methods) from 404', () => {
    expect(match('DELETE', '/api/v1/worlds')).toEqual({ kind: 'method', allow: ['GET', 'HEAD', 'POST', 'OPTIONS'] });
    expect(match('GET', '/api/v1/worlds/1/nothing')).toEqual({ kind: 'none' });
    expect(match('GET', '/api/v1/worlds//stats')).toEqual({ kind: 'none' });
    expect(match('GET', '/api/v1/worlds/%E0%A4%A/stats')).toEqual({ kind: 'none' });
  });
  it('HEAD matches the GET route; OPTIONS yields the Allow list', () => {
    const m = match('HEAD', '/api/v1/worlds/1/stats');
    expect(m.kind === 'found' && m.route.method).toBe('GET');
    expect(match('OPTIONS', '/api/v1/worlds')).toEqual({ kind: 'options', allow: ['GET', 'HEAD', 'POST', 'OPTIONS'] });
    expect(match('OPTIONS', '/api/v1/nothing')).toEqual({ kind: 'none' });
  });
  it('refuses duplicate routes', () => {
    expect(() => createRouter([routes[0], routes[0]])).toThrow(/duplicate route GET \/api\/v1\/worlds/);
  });
});

describe('token check', () => {
  const check = createTokenCheck('s3cret-token');
  it('accepts the right bearer token (scheme case-insensitive)', () => {
    expect(check('Bearer s3cret-token')).toBe(true);
    expect(check('bearer s3cret-token')).toBe(true);
  });
  it('rejects wrong, truncated, extended, empty and malformed values', () => {
    for (const v of [
      '',
      'Bearer',
      'Bearer ',
      'Bearer s3cret-toke',
      'Bearer s3cret-tokenX',
      'Basic s3cret-token',
      's3cret-token',
      'Bearer s3cret-token extra',
    ])
      expect(check(v), v).toBe(false);
  });
  it('refuses an empty configured token', () => {
    expect(() => createTokenCheck('')).toThrow(expect.objectContaining({ code: 'WT_ERR_OPTION_INVALID' }));
  });
});

describe('token check with an accept-only previous token (a rotation)', () => {
  it('says which token matched; anything else, malformed or not, matches none', () => {
    const match = createTokenMatch('new-token', 'old-token');
    expect(match('Bearer new-token')).toBe('current');
    expect(match('bearer old-token')).toBe('previous');
    for (const v of ['', 'Bearer third-token', 'Bearer old-toke', 'Basic old-token', 'old-token', 'Bearer old-token extra'])
      expect(match(v), v).toBeNull();
    // No previous token: the old one matches nothing.
    expect(createTokenMatch('new-token')('Bearer old-token')).toBeNull();
    expect(createTokenMatch('new-token', '')('Bearer ')).toBeNull();
  });
  it('the yes/no check accepts both and reports each use of the previous one', () => {
    let previous = 0;
    const check = createTokenCheck('new-token', 'old-token', () => previous++);
    expect([check('Bearer new-token'), check('Bearer old-token'), check('Bearer other'), check('Bearer old-token')]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(previous).toBe(2);
  });
});
