/**
 * A cluster instance whose start fails after it restored the shared store's worlds (its game port
 * taken). Found in an operator's walkthrough: the stop that follows logged, at error, `shutdown: final
 * checkpoint not written; the world restarts from its last checkpoint` for every world — copies it
 * never owned nor stepped, whose state is the store's — and `runtime stopped` counted them `failed`.
 * Nothing of them was lost: they are listed as standby copies now, as at any stop. Real instances (in
 * process), real redis-server, real PostgreSQL.
 */
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { CLUSTER_TOKEN, ownersFrom, until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { collectJsonLines } from '../../helpers/log-lines.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster start failure with restored copies');

describe.skipIf(skip !== null)('cluster: a start that fails after restoring the stored worlds', () => {
  const pg = sharedPg as PgServer;
  let redis: RedisTestServer | undefined;
  let a: RuntimeInstance | undefined;
  afterAll(async () => {
    await a?.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('does not report the copies it never stepped as final checkpoints not written', { timeout: 60_000 }, async () => {
    redis = await startRedisServer();
    const args = [...sharedStoreArgs(redis, pg), '--lease-ttl', '1.5'];
    a = await startRuntimeInstance('a', args);
    const owner = a;
    expect((await owner.api('POST', '/api/v1/worlds?placement=local', { id: 'w', npcs: 20 })).status).toBe(201);
    await until('a owns 1 and w', async () => {
      const o = await ownersFrom(owner);
      return o['1'] === 'a' && o.w === 'a';
    });

    // b: same cluster and store, its game port the one a listens on.
    const out = new PassThrough();
    const lines = collectJsonLines(out);
    const port = new URL(owner.gameUrl).port;
    const options = parseOptions(
      [...args, '--port', port, '--admin-port', '0', '--instance-id', 'b', '--admin-token', CLUSTER_TOKEN, '--npcs', '50'],
      {},
    );
    const b = createRuntime(options, createLogger('info', out));
    const err = await b.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WT_ERR_PORT_IN_USE' });
    await b.stop(); // as the command line does after a failed start (src/game/server.ts startServer)

    // w from its checkpoint (world 1 too once a checkpoint of it was written; else built fresh: neither steps here).
    expect(lines.filter((l) => l.msg === 'world restored').map((l) => l.world)).toContain('w');
    expect(lines.filter((l) => l.msg === 'shutdown: final checkpoint not written; the world restarts from its last checkpoint')).toEqual(
      [],
    );
    const stopped = lines.find((l) => l.msg === 'runtime stopped');
    expect(stopped).toMatchObject({ failed: 0 });
    expect([...((stopped?.standby as string[]) ?? [])].sort()).toEqual(['1', 'w']);
  });
});
