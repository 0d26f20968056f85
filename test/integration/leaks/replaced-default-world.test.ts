/**
 * The world a server started with is not kept once another copy replaced it as the default world
 * (found by the churn soak's heap snapshots, docs/CLUSTER.md "Heap snapshots of the churn soak"). A
 * migration or takeover of world `1` installs its restored copy as the default; the server's main
 * function (src/game/server.ts) read `runtime.defaultWorld` into a local for its `server ready` line
 * and then awaited the stop signal, so its suspended frame kept the first default world — a whole
 * world, ledger and all — for the life of the process. Two real instances (`src/cli/main.ts`) on a
 * real redis-server and a real PostgreSQL; world `1` is migrated to the other instance and back, then
 * a heap snapshot of its owner must hold one world `1`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { heapSnapshotEnv, worldObjects } from '../../helpers/heap-strings.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('replaced default world');

describe.skipIf(skip !== null)('the first default world, once replaced', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'wt-dflt-a-')), mkdtempSync(join(tmpdir(), 'wt-dflt-b-'))];
  const inst: TestInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = [...sharedStoreArgs(redis, pg as PgServer), '--lease-ttl', '2', '--npcs', '0'];
    inst.push(await startInstance('a', args, { env: heapSnapshotEnv(dirs[0] ?? '') }));
    inst.push(await startInstance('b', args, { env: heapSnapshotEnv(dirs[1] ?? '') }));
    await until('both instances see each other', async () => {
      for (const i of inst) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return true;
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await pg?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 30_000);

  it('is not kept after world 1 moved away and back', { timeout: 60_000 }, async () => {
    const [a, b] = inst;
    if (!a || !b) throw new Error('instances not started');
    const owner = (await ownersFrom(a))['1'] === 'b' ? b : a;
    const other = owner === a ? b : a;
    const move = async (from: TestInstance, to: TestInstance): Promise<void> => {
      const m = await from.api('POST', '/api/v1/worlds/1/migrate', { to: to.id });
      expect(m.status, m.text).toBe(200);
      await until(`${to.id} owns 1`, async () => (await ownersFrom(from))['1'] === to.id && (await ownersFrom(to))['1'] === to.id);
    };
    await move(owner, other);
    await move(other, owner);
    expect(await worldObjects(owner.child, dirs[inst.indexOf(owner)] ?? '', '1')).toBe(1);
  });
});
