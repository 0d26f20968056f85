/**
 * Without `--redis` one instance runs as before, on the in-process coordinator: its worlds hold
 * leases (fencing tokens exist for the store writers), nothing is gated or redirected, and the
 * cluster view says `single`. Options of cluster mode are checked at start (a Redis URL, a long
 * enough ticket secret, an admin token given rather than generated).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { call, startRuntime, type Started } from '../admin/harness.js';

describe('single instance (no --redis)', () => {
  let s: Started;
  beforeAll(async () => {
    s = await startRuntime();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("holds its worlds' leases on the local coordinator and serves every hello", async () => {
    const v = (await call(s.base, 'GET', '/api/v1/cluster')).json;
    expect(v).toMatchObject({ mode: 'single', coordinator: 'local', reachable: true, held: [{ worldId: '1', fencingToken: 1 }] });
    expect(s.runtime.cluster.fence('1')).toEqual({ worldId: '1', token: 1 });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'solo');
    expect(c.stats.redirects).toBe(0);
    c.close();
    const list = (await call(s.base, 'GET', '/api/v1/worlds')).json;
    expect(list.worlds[0]).not.toHaveProperty('owner'); // the list is unchanged without a cluster
    const metrics = (await call(s.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^worldtick_cluster_world_owned\{world="1"\} 1$/m);
    expect(metrics).toMatch(/^worldtick_cluster_world_fencing_token\{world="1"\} 1$/m);
  });

  it('the cluster-only requests answer 409 "not in cluster mode" and change nothing', async () => {
    const held = async (): Promise<unknown> =>
      ((await call(s.base, 'GET', '/api/v1/cluster')).json.held as Array<{ worldId: string; fencingToken: number }>).map(
        ({ worldId, fencingToken }) => ({ worldId, fencingToken }),
      );
    const before = await held();
    for (const [path, body, code] of [
      ['/api/v1/worlds/1/migrate', {}, 'WT_ERR_MIGRATION_FAILED'],
      ['/api/v1/cluster/balance', { dryRun: true }, 'WT_ERR_MIGRATION_FAILED'],
      ['/api/v1/cluster/adopt', { worldId: '1' }, 'WT_ERR_MIGRATION_FAILED'],
      ['/api/v1/cluster/adopt', { worldId: 'nope' }, 'WT_ERR_MIGRATION_FAILED'],
      ['/api/v1/cluster/drain', undefined, 'WT_ERR_ADMIN_CONFLICT'],
    ] as const) {
      const r = await call(s.base, 'POST', path, body === undefined ? {} : { body });
      expect([r.status, r.json.code], path).toEqual([409, code]);
      expect(r.json.message, path).toMatch(/not in cluster mode \(--redis\)/);
    }
    expect(await held()).toEqual(before);
  });

  it('cluster mode refuses a bad Redis URL and a short ticket secret, naming the options', () => {
    const options = parseOptions(['--redis', 'http://x', '--admin-token', 'short', '--port', '0', '--admin-port', '0'], {});
    expect(() => createRuntime(options, createLogger('silent'))).toThrow(
      /--redis must be a redis:\/\/host:port URL.*--cluster-secret \(or, without it, --admin-token\) must be at least 16 bytes/,
    );
  });

  it('cluster mode refuses a short --cluster-secret-previous (or WORLDTICK_CLUSTER_SECRET_PREVIOUS), naming it', () => {
    const base = ['--redis', 'redis://127.0.0.1:1', '--admin-token', 'a-long-shared-admin-token', '--port', '0', '--admin-port', '0'];
    for (const [argv, env] of [
      [[...base, '--cluster-secret-previous', 'short'], {}],
      [base, { WORLDTICK_CLUSTER_SECRET_PREVIOUS: 'short' }],
    ] as const) {
      const options = parseOptions([...argv], { ...env });
      expect(() => createRuntime(options, createLogger('silent'))).toThrow(
        expect.objectContaining({
          code: 'WT_ERR_OPTION_INVALID',
          message: expect.stringContaining('--cluster-secret-previous must be empty or at least 16 bytes'),
        }),
      );
    }
  });

  it('cluster mode refuses a --cluster-secret-previous equal to the secret that signs, naming both', () => {
    const secret = 'a-long-shared-ticket-secret';
    for (const argv of [
      ['--cluster-secret', secret, '--cluster-secret-previous', secret, '--admin-token', 'a-long-shared-admin-token'],
      ['--cluster-secret-previous', 'a-long-shared-admin-token', '--admin-token', 'a-long-shared-admin-token'],
    ]) {
      const options = parseOptions(['--redis', 'redis://127.0.0.1:1', '--port', '0', '--admin-port', '0', ...argv], {});
      expect(() => createRuntime(options, createLogger('silent'))).toThrow(
        expect.objectContaining({
          code: 'WT_ERR_OPTION_INVALID',
          message: expect.stringContaining('--cluster-secret-previous must differ from'),
        }),
      );
    }
  });

  it('cluster mode refuses a generated admin token (each instance would generate its own), with or without --cluster-secret', () => {
    for (const extra of [[], ['--cluster-secret', 'a-long-shared-ticket-secret']]) {
      const options = parseOptions(['--redis', 'redis://127.0.0.1:1', '--port', '0', '--admin-port', '0', ...extra], {});
      expect(() => createRuntime(options, createLogger('silent'))).toThrow(/--redis needs --admin-token \(or WORLDTICK_ADMIN_TOKEN\)/);
    }
  });
});
