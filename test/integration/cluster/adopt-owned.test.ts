/**
 * `POST /api/v1/cluster/adopt` for a world the instance already steps under its own lease (nothing was handed
 * to it: an operator's or a script's call of the peers' route) changes nothing: answered 200 `alreadyHere` with
 * the world's current step and token, nothing restored, the player in it kept. Before (stop 67), the instance
 * restored the world from its last checkpoint over the live one: its step went back, the restore was logged
 * ("world taken over from its checkpoint"), and the players' entities were dropped. The other instance, which
 * holds no lease of the world, still answers 503 (`lease … is not ours`) and changes nothing.
 * Two in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { monotonic, startPlayer } from '../../helpers/cluster-players.js';
import { until } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster adopt of an owned world');

describe.skipIf(skip !== null)('cluster: an adopt request for a world stepped here', () => {
  const ctx = skip === null ? twoRuntimesOwning(pg as PgServer, { worldId: 'fz', worldNpcs: 20, args: ['--lease-ttl', '3'] }) : null;

  it('is answered alreadyHere and restores nothing; the player in it stays', async () => {
    const [a, b] = ctx!.inst;
    const p = await startPlayer('fz', 'ada', [a.gameUrl]);
    try {
      await until('the player gets snapshots', () => p.log.steps.length >= 10);
      // A checkpoint to go back to, then some steps past it.
      expect((await a.api('POST', '/api/v1/worlds/fz/checkpoint', {})).status).toBe(200);
      const checkpointed = (await a.api('GET', '/api/v1/worlds/fz')).json.step as number;
      await until(
        'the world steps past its checkpoint',
        async () => (await a.api('GET', '/api/v1/worlds/fz')).json.step > checkpointed + 10,
      );
      const before = (await a.api('GET', '/api/v1/worlds/fz')).json.step as number;
      const restoresBefore = a.lines.filter((l) => l.msg === 'cluster: world taken over from its checkpoint').length;

      const r = await a.api('POST', '/api/v1/cluster/adopt', { worldId: 'fz', from: 'b' });
      expect(r.status, r.text).toBe(200);
      expect(r.json.alreadyHere).toBe(true);
      expect(r.json.step).toBeGreaterThanOrEqual(before);
      const after = (await a.api('GET', '/api/v1/worlds/fz')).json;
      expect(after.step).toBeGreaterThanOrEqual(before);
      expect(a.lines.filter((l) => l.msg === 'cluster: world taken over from its checkpoint').length).toBe(restoresBefore);

      // The instance that holds no lease of it: refused, nothing changes.
      const other = await b.api('POST', '/api/v1/cluster/adopt', { worldId: 'fz' });
      expect(other.status, other.text).toBe(503);
      expect(other.json.code).toBe('WT_ERR_MIGRATION_FAILED');

      const seen = p.log.steps.length;
      await until('the player gets more snapshots', () => p.log.steps.length >= seen + 10);
      expect(monotonic(p.log.steps), 'the player never saw its world go back').toBe(true);
      expect(p.log.reconnects).toBe(0);
      expect((await a.api('GET', '/api/v1/cluster')).json.leases.find((l: { worldId: string }) => l.worldId === 'fz').instanceId).toBe('a');
    } finally {
      await p.stop();
    }
  }, 60_000);
});
