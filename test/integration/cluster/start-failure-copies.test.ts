/**
 * A cluster instance whose start fails after it restored the shared store's worlds. Found in an
 * operator's walkthrough (then with its game port taken, refused since before the store is opened:
 * src/server/port-probe.ts): the stop that followed logged, at error, `shutdown: final checkpoint not
 * written; the world restarts from its last checkpoint` for every world — copies it never owned nor
 * stepped, whose state is the store's — and `runtime stopped` counted them `failed`. A refused start's
 * stop writes no final checkpoint and lists none (docs/DURABILITY.md "A refused start writes
 * nothing"); a start refused for its game port now restores nothing at all. Real instances (in
 * process), real redis-server, real PostgreSQL.
 */
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { CLUSTER_TOKEN, ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { collectJsonLines } from '../../helpers/log-lines.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { recordPathFailingAtOpen } from '../../helpers/refused-start.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster start failure with restored copies');
const tempDir = fileTempDirs();

/** Start an instance of the cluster with `flags` (expected to fail), then stop it as the command line does; its error and log lines. */
const startAndFail = async (args: string[], flags: string[]): Promise<{ err: unknown; lines: Array<Record<string, unknown>> }> => {
  const out = new PassThrough();
  const lines = collectJsonLines(out);
  const options = parseOptions([...args, '--admin-port', '0', '--admin-token', CLUSTER_TOKEN, '--npcs', '50', ...flags], {});
  const rt = createRuntime(options, createLogger('info', out));
  const err = await rt.start().catch((e: unknown) => e);
  await rt.stop(); // as the command line does after a failed start (src/game/server.ts startServer)
  return { err, lines };
};

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
    expect((await createWorld(owner, { id: 'w', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('a owns 1 and w', async () => {
      const o = await ownersFrom(owner);
      return o['1'] === 'a' && o.w === 'a';
    });

    // b: same cluster and store, its game port the one a listens on: refused before the store is opened.
    const port = new URL(owner.gameUrl).port;
    const b = await startAndFail(args, ['--port', port, '--instance-id', 'b']);
    expect(b.err).toMatchObject({ code: 'WT_ERR_PORT_IN_USE' });
    expect(b.lines.filter((l) => l.msg === 'store opened' || l.msg === 'world restored')).toEqual([]);

    // c: refused after it restored the worlds (its input log cannot be opened: a link into a missing folder).
    const record = recordPathFailingAtOpen(tempDir('wt-start-failure-rec-'));
    const c = await startAndFail(args, ['--port', '0', '--instance-id', 'c', '--record', record]);
    expect(c.err).toBeInstanceOf(Error);
    // w from its checkpoint (world 1 too once a checkpoint of it was written; else built fresh: neither steps here).
    expect(c.lines.filter((l) => l.msg === 'world restored').map((l) => l.world)).toContain('w');
    expect(c.lines.filter((l) => l.msg === 'shutdown: final checkpoint not written; the world restarts from its last checkpoint')).toEqual(
      [],
    );
    expect(c.lines.find((l) => l.msg === 'runtime stopped')).toMatchObject({ failed: 0 });
    expect(c.lines.map((l) => l.msg)).toContain('start refused: no final checkpoint written (the store is as the start found it)');
  });
});
