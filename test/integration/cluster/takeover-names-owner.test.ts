/**
 * What an operator reads of a failover (docs/CLUSTER.md "Failover"): three instances on a real
 * redis-server and a real PostgreSQL; `a` owns the default world `1` (b and c hold standby copies) and
 * the admin world `f1` (hosted nowhere else: an orphan once `a` dies). `a` is killed (SIGKILL). The
 * lines of the instances that take the worlds over name `a` as the previous owner, and each
 * instance's `worldtick_cluster_failovers_total` equals the failovers it recorded
 * (`GET /api/v1/cluster/moves`, kind `failover`). Then b and c are killed too and a new instance `d`
 * starts on the store: it resumes both worlds from their stored records (nobody holds them any more),
 * counts them as failovers and says the previous owner is unknown (no lease of it was ever in its view).
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import { launchInstance, ownersFrom, startThreeAOwningF1, until, type TestInstance } from '../../helpers/cluster-instances.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster takeover names the previous owner');

/** The messages of the lines that say a world was taken over here. */
const TAKEOVER_LINES = new Set([
  'cluster: world lease acquired',
  'cluster: orphan world acquired; restoring it from the store',
  'cluster: world taken over from its checkpoint',
]);

const failoversTotal = async (i: TestInstance): Promise<number> => {
  const text = (await i.api('GET', '/metrics')).text;
  return Number(/^worldtick_cluster_failovers_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
};

const failoverMoves = async (i: TestInstance): Promise<string[]> =>
  ((await i.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ worldId: string; kind: string }>)
    .filter((m) => m.kind === 'failover')
    .map((m) => m.worldId);

describe.skipIf(skip !== null)('cluster: a takeover names the previous owner and is counted once', () => {
  let redis: RedisTestServer;
  const pg = sharedPg as PgServer;
  const inst: TestInstance[] = [];
  let args: string[] = [];
  /** Kills `d` when it was launched but never told to go (a failure before it). */
  let killWarmD = (): void => {};

  beforeAll(async () => {
    redis = await startRedisServer();
    args = [...sharedStoreArgs(redis, pg), '--npcs', '50', '--lease-ttl', '2', '--checkpoint-interval', '1'];
    await startThreeAOwningF1(inst, args, 50);
  }, 90_000);

  afterAll(async () => {
    killWarmD();
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('survivors name a; their counters match their failovers; a new instance resumes what is left and says unknown', async () => {
    const [a, b, c] = [inst[0], inst[1], inst[2]];
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    await until(
      'both failovers recorded by their new owners',
      async () => (await failoverMoves(b)).length + (await failoverMoves(c)).length >= 2,
      30_000,
      100,
    );
    // Read together until they agree: a survivor that stalled may finish a takeover between two reads.
    const counted = async (i: TestInstance) => ({ total: await failoversTotal(i), moves: (await failoverMoves(i)).length });
    await until(
      'each survivor counted what it recorded',
      async () => (await Promise.all([b, c].map(counted))).every((k) => k.total === k.moves),
      10_000,
    );
    for (const i of [b, c]) expect(await failoversTotal(i), i.id).toBe((await failoverMoves(i)).length);
    const taken = [...(await failoverMoves(b)), ...(await failoverMoves(c))];
    expect([...new Set(taken)].sort()).toEqual(['1', 'f1']);
    // A world's first takeover names a. On a loaded machine a survivor may stall past the 2 s TTL while it
    // loads the world and the other take it from that one (seen: c acquired 1, stalled, b took it naming c,
    // and c's load never finished): each later takeover names the instance that took it before. Lines are
    // ordered by fencing token: a stalled taker's line at the end of its load comes after the next taker's.
    for (const w of ['1', 'f1']) {
      const lines = [b, c]
        .flatMap((i) => i.lines.map((line) => ({ by: i.id, line })))
        .filter(({ line: l }) => l.world === w && TAKEOVER_LINES.has(String(l.msg)) && (l.takeover !== false || l.previousOwner))
        .sort((x, y) => Number(x.line.fencingToken) - Number(y.line.fencingToken) || Number(x.line.time) - Number(y.line.time));
      expect(lines[0]?.line.previousOwner, JSON.stringify(lines)).toBe('a');
      let before = 'a';
      let taker: string | null = null;
      for (const { by, line } of lines) {
        if (by !== taker) [before, taker] = [taker ?? 'a', by];
        expect(line.previousOwner, `${by}: ${JSON.stringify(line)}`).toBe(before);
      }
    }

    // Everyone gone: the next instance resumes both worlds from the store; nobody it saw held them.
    for (const i of [b, c]) i.child.kill('SIGKILL');
    await Promise.all([b, c].map((i) => once(i.child, 'exit')));
    // d loads its modules while the leases run out; it opens, binds and joins nothing before its go.
    const dLaunch = await launchInstance('d', args);
    killWarmD = dLaunch.kill;
    const r = new Redis(redis.url);
    await until('the leases of b and c expired', async () => (await r.exists('wt:lease:1', 'wt:lease:f1')) === 0, 30_000);
    r.disconnect();
    const d = await dLaunch.go();
    inst.push(d);
    await until(
      'd owns 1 and f1',
      async () => {
        const o = await ownersFrom(d);
        return o['1'] === 'd' && o.f1 === 'd';
      },
      30_000,
    );
    await until(
      'd counted two failovers',
      async () => {
        const n = await failoversTotal(d);
        if (n === 2) return true;
        // Said in the timeout's message: what d counted, and its lines about the two worlds.
        const about = d.lines
          .filter((l) => l.world === '1' || l.world === 'f1')
          .map((l) => [l.time, l.level, l.world, l.msg, l.fencingToken]);
        throw new Error(`d counted ${n}; its lines about 1 and f1: ${JSON.stringify(about)}`);
      },
      30_000,
    );
    const dLines = d.lines.filter((l) => TAKEOVER_LINES.has(String(l.msg)) && l.takeover !== false);
    expect(dLines.length, JSON.stringify(d.lines.filter((l) => TAKEOVER_LINES.has(String(l.msg))))).toBeGreaterThan(0);
    for (const l of dLines) expect(l.previousOwner, JSON.stringify(l)).toBe('unknown');
  }, 120_000);
});
