/**
 * `--fence-lock-wait` / `WORLDTICK_FENCE_LOCK_WAIT` / config `fenceLockWait`: parsed like the other
 * cluster options (a number of wall seconds, bad values named), checked against the lease TTL when
 * cluster mode is built, and handed to the cluster service as the announce's lock wait
 * (docs/CLUSTER.md "A writer paused mid-write"). Real Redis for the coordinator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createClusterMode } from '../../../src/server/cluster-setup.js';
import { findRedisServer, type RedisTestServer, startRedisServer } from '../../helpers/redis-server.js';
import { optionProblems } from '../../helpers/option-problems.js';

const problems = optionProblems;

const TOKEN = 'a-long-enough-admin-token';

describe('--fence-lock-wait', () => {
  it('parses from flag, env and config file; 0 by default; bad values are named', () => {
    expect(parseOptions([], {}).fenceLockWaitSeconds).toBe(0);
    expect(parseOptions(['--fence-lock-wait', '0.25'], {}).fenceLockWaitSeconds).toBe(0.25);
    expect(parseOptions([], { WORLDTICK_FENCE_LOCK_WAIT: '0.5' }).fenceLockWaitSeconds).toBe(0.5);
    const file = join(mkdtempSync(join(tmpdir(), 'wt-opt-')), 'c.json');
    writeFileSync(file, JSON.stringify({ fenceLockWait: 0.4 }));
    expect(parseOptions(['--config', file], {}).fenceLockWaitSeconds).toBe(0.4);
    expect(problems(() => parseOptions(['--fence-lock-wait', 'soon'], { WORLDTICK_FENCE_LOCK_WAIT: '-1' }))).toEqual([
      '--fence-lock-wait must be a number between 0 and 60 (got "soon")',
      'WORLDTICK_FENCE_LOCK_WAIT must be a number between 0 and 60 (got "-1")',
    ]);
  });

  describe.skipIf(!findRedisServer())('in cluster mode', () => {
    let redis: RedisTestServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    const build = (argv: string[]) =>
      createClusterMode(parseOptions(['--redis', redis.url, '--admin-token', TOKEN, ...argv], {}), {
        logger: createLogger('silent'),
        adminToken: TOKEN,
        worlds: () => [],
        gamePort: () => 1,
        adminPort: () => 2,
        sessions: () => 0,
        capacity: () => 1,
        closeSessions: () => 0,
      });

    it('reaches the cluster service (default: a sixth of the lease TTL)', async () => {
      const given = build(['--lease-ttl', '3', '--fence-lock-wait', '0.2']);
      const byDefault = build(['--lease-ttl', '3']);
      try {
        expect(given.service.fenceLockWaitMs).toBe(200);
        expect(byDefault.service.fenceLockWaitMs).toBe(500);
      } finally {
        await given.service.stop();
        await byDefault.service.stop();
      }
    });

    it('is refused at a third of the lease TTL or more, and below a millisecond', () => {
      expect(problems(() => build(['--lease-ttl', '3', '--fence-lock-wait', '1']))).toEqual([
        '--fence-lock-wait must be 0 (a sixth of --lease-ttl) or at least 0.001 and less than a third of --lease-ttl (1 s: the control tick waits for the announce) (got 1)',
      ]);
      expect(problems(() => build(['--fence-lock-wait', '0.0001']))).toHaveLength(1);
    });
  });
});
