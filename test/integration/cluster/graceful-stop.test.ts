/**
 * A graceful stop (SIGTERM) in cluster mode writes its final checkpoints: they are fenced writes,
 * so they must be made while the instance still holds its leases — the cluster service's stop
 * releases them. Before, the leases went first and every final record and checkpoint was skipped
 * (not owner), so the instance that took the worlds restarted them from the last periodic
 * checkpoint (with `--checkpoint-interval 0`: from their creation). Two instances (`a` a child process,
 * `b` in process) on a real redis-server and a real PostgreSQL; `a` owns the default world and an admin world, is stopped
 * with SIGTERM; `b` takes both from the checkpoints of a's last step, and a's log says so.
 */
import { describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoOwning } from '../../helpers/shared-cluster.js';
import { startRuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { ownersFrom, startInstance, until } from '../../helpers/cluster-instances.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster graceful stop');

describe.skipIf(skip !== null)('cluster: graceful stop', () => {
  const { inst } = twoOwning(
    sharedPg as PgServer,
    {
      worldId: 'gs',
      worldNpcs: 50,
      // The default lease TTL (6 s), not 1 s: at load ≈ 25 instances at 1 s lost their leases every second or
      // two (warn `cannot prove ownership`), the worlds went back and forth between a and b, and a's first
      // checkpoints were refused under tokens it had lost since (`--checkpoint-interval 0`: none after them),
      // so the wait for one below ran out (docs/CLUSTER.md "What to set").
      args: ['--npcs', '100', '--checkpoint-interval', '0'],
    },
    startInstance,
    startRuntimeInstance,
  );

  it("writes the final checkpoints before releasing the leases; the next owner resumes from a's last step", async () => {
    const [a, b] = inst;
    expect(await ownersFrom(b)).toMatchObject({ '1': 'a', gs: 'a' });
    // The default world's first checkpoint waits for its lease (the one tried at open is not owned yet).
    await until(
      'a checkpointed the default world once it held its lease',
      async () => {
        return (await a.api('GET', '/api/v1/worlds/1/stats')).json.checkpoint?.saved >= 1;
      },
      // A bound, not a duration: it returns at the first checkpoint.
      30_000,
    );
    await until('a stepped both worlds a while', async () => {
      const ws = (await a.api('GET', '/api/v1/worlds')).json.worlds as Array<{ id: string; step: number }>;
      return ws.every((w) => w.step > 20);
    });
    await a.stop(); // SIGTERM, waits for the exit
    expect(a.child.exitCode).toBe(0);
    const stopped = a.lines.find((l) => l.msg === 'runtime stopped') as { checkpoints: Record<string, number>; failed: number } | undefined;
    expect(stopped?.failed).toBe(0);
    expect(Object.keys(stopped?.checkpoints ?? {}).sort()).toEqual(['1', 'gs']);
    expect(stopped?.checkpoints.gs).toBeGreaterThan(20);
    // b takes both worlds from those checkpoints (not from the creation-time ones).
    const takenFrom: Record<string, number> = {};
    await until('b took both worlds over', () => {
      for (const l of b.lines)
        if (l.msg === 'cluster: world taken over from its checkpoint') takenFrom[String(l.world)] = Number(l.fromStep);
      return takenFrom['1'] !== undefined && takenFrom.gs !== undefined;
    });
    expect(takenFrom).toEqual(stopped?.checkpoints);
  }, 60_000);
});
