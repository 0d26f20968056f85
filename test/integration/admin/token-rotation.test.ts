/**
 * Rotating the admin token without refusing anyone (docs/ADMIN.md "Rotating the admin token"):
 * with `--admin-token-previous` the admin API accepts the token in force and the previous one,
 * counts every request the previous one authorised (`worldtick_admin_previous_token_total`) and
 * names both in the `admin listening` line (never their text); any other token is refused 401 and
 * counted. Without it the old token is refused. The option's mistakes are refused at start, coded.
 * Real runtime, real admin HTTP server on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { call } from './harness.js';

const NEW = 'new-admin-token-0123456789';
const OLD = 'old-admin-token-0123456789';
const tempDir = fileTempDirs();

/** A runtime with `--admin-token NEW` and `extra`, its log lines collected. */
const start = async (extra: string[]) => {
  const options = parseOptions(
    [
      '--npcs',
      '50',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--stats-interval',
      '0',
      '--admin-token',
      NEW,
      '--data-dir',
      tempDir('wt-tok-'),
      ...extra,
    ],
    {},
  );
  const out = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  out.on('data', (b: Buffer) => {
    for (const l of b.toString('utf8').split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l));
  });
  const runtime = createRuntime(options, createLogger('info', out), undefined, {}, {});
  await runtime.start();
  return { runtime, lines, base: `http://127.0.0.1:${runtime.admin.port}` };
};

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

describe('admin token rotation (--admin-token-previous)', () => {
  let r: Runtime | undefined;
  afterAll(async () => {
    await r?.stop();
  });

  it('accepts the new and the previous token, counts the previous one, refuses a third 401 (counted)', async () => {
    const s = await start(['--admin-token-previous', OLD]);
    r = s.runtime;
    expect((await call(s.base, 'GET', '/api/v1/worlds', { token: NEW })).status).toBe(200);
    const old = await call(s.base, 'GET', '/api/v1/worlds', { token: OLD });
    expect(old.status).toBe(200);
    expect(old.json.worlds.map((w: { id: string }) => w.id)).toEqual(['1']);
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause', { token: OLD })).status).toBe(200);
    const third = await call(s.base, 'GET', '/api/v1/worlds', { token: 'third-admin-token-0123456789' });
    expect(third.status).toBe(401);
    expect(third.json.code).toBe('WT_ERR_ADMIN_UNAUTHORIZED');
    expect(third.headers.get('www-authenticate')).toBe('Bearer realm="worldtick-admin"');
    // The scrape itself uses the new token: not counted as previous.
    const text = (await call(s.base, 'GET', '/metrics', { token: NEW })).text;
    expect(metric(text, 'worldtick_admin_previous_token_total')).toBe(2);
    expect(metric(text, 'worldtick_admin_requests_total{status="401"}')).toBe(1);
    // Which tokens are accepted, by name only; neither token's text is in the log.
    expect(s.lines.find((l) => l.msg === 'admin listening')).toMatchObject({
      adminTokens: ['--admin-token', '--admin-token-previous (accept only)'],
    });
    const all = JSON.stringify(s.lines);
    expect(all).not.toContain(OLD);
    expect(all).not.toContain(NEW);
  });

  it('without it, the old token is refused 401 and nothing is counted as previous', async () => {
    await r?.stop();
    const s = await start([]);
    r = s.runtime;
    expect((await call(s.base, 'GET', '/api/v1/worlds', { token: OLD })).status).toBe(401);
    expect((await call(s.base, 'GET', '/api/v1/worlds', { token: NEW })).status).toBe(200);
    const text = (await call(s.base, 'GET', '/metrics', { token: NEW })).text;
    expect(metric(text, 'worldtick_admin_previous_token_total')).toBe(0);
    expect(metric(text, 'worldtick_admin_requests_total{status="401"}')).toBe(1);
    expect(s.lines.find((l) => l.msg === 'admin listening')).not.toHaveProperty('adminTokens');
  });
});

describe('--admin-token-previous mistakes are refused at start, coded and named', () => {
  const base = ['--port', '0', '--admin-port', '0'];
  const refused = (argv: string[], env: NodeJS.ProcessEnv, message: string) =>
    expect(() => createRuntime(parseOptions([...base, ...argv], env), createLogger('silent'))).toThrow(
      expect.objectContaining({ code: 'WT_ERR_OPTION_INVALID', message: expect.stringContaining(message) }),
    );

  it('without --admin-token (flag or WORLDTICK_ADMIN_TOKEN_PREVIOUS)', () => {
    const msg = '--admin-token-previous needs --admin-token';
    refused(['--admin-token-previous', OLD], {}, msg);
    refused([], { WORLDTICK_ADMIN_TOKEN_PREVIOUS: OLD }, msg);
  });

  it('equal to --admin-token', () => {
    refused(['--admin-token', NEW, '--admin-token-previous', NEW], {}, '--admin-token-previous must differ from --admin-token');
    refused([], { WORLDTICK_ADMIN_TOKEN: NEW, WORLDTICK_ADMIN_TOKEN_PREVIOUS: NEW }, '--admin-token-previous must differ');
  });

  it('given empty (flag or config file; an empty environment variable is unset)', () => {
    const file = join(tempDir('wt-tok-cfg-'), 'worldtick.json');
    writeFileSync(file, JSON.stringify({ adminToken: NEW, adminTokenPrevious: '' }));
    for (const argv of [
      ['--admin-token', NEW, '--admin-token-previous='],
      ['--config', file],
    ])
      expect(() => parseOptions([...base, ...argv], {})).toThrow(
        expect.objectContaining({
          code: 'WT_ERR_OPTION_INVALID',
          message: expect.stringContaining('--admin-token-previous must not be empty'),
        }),
      );
    expect(parseOptions([...base, '--admin-token', NEW], { WORLDTICK_ADMIN_TOKEN_PREVIOUS: '' }).adminTokenPrevious).toBe('');
  });

  it('with whitespace in it (a bearer token is one word), either token', () => {
    refused(['--admin-token', `${NEW}\n`], {}, '--admin-token must not contain whitespace');
    refused(
      [],
      { WORLDTICK_ADMIN_TOKEN: NEW, WORLDTICK_ADMIN_TOKEN_PREVIOUS: `two words` },
      '--admin-token-previous must not contain whitespace',
    );
  });

  it('in cluster mode without --cluster-secret it is also the accept-only ticket secret: a short one is refused, naming it', () => {
    refused(
      ['--redis', 'redis://127.0.0.1:1', '--admin-token', NEW, '--admin-token-previous', 'short'],
      {},
      '--admin-token-previous must be empty or at least 16 bytes',
    );
  });
});
