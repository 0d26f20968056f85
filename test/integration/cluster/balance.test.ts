/**
 * Placement and load balancing (docs/CLUSTER.md, "Balancing and placement"): three instances on
 * a real redis-server and a real PostgreSQL. Twelve worlds of unequal load (400 to 2,000 NPCs; the default world kept small)
 * all start on one instance; a balance round (`POST /api/v1/cluster/balance`) reads every
 * instance's measured per-world load (step ms per wall second), plans with `planBalance` and
 * migrates worlds until every instance is within ±10 % of the mean (per the measurements the plan
 * used); ownership ends as planned. A second round right after moves nothing back (hysteresis:
 * band + cooldown). A new world created without `?placement=local` goes to a less-loaded instance.
 * The creates retry the documented `503 WT_ERR_WORLD_NOT_DURABLE` (a loaded machine can pass the
 * create's 3 s bound) as a client should, and each world must end created exactly once (a 409 on a
 * retry would be a refused create left behind); the 12 worlds' leases are counted after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { controlTicks, sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import {
  adminApi,
  createRetrying,
  leaseLostLine,
  ownersFrom,
  startInstance,
  until,
  type TestInstance,
} from '../../helpers/cluster-instances.js';
import type { InstanceRecord } from '../../../src/cluster/coordinator.js';
import { placeWorld } from '../../../src/cluster/placement.js';

const NPCS = [2000, 1800, 1600, 1400, 1200, 1000, 900, 800, 700, 600, 500, 400];
const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster balance');

/**
 * Until every one of the 12 worlds is measured (load > 0: two control-tick samples of it) by the
 * instance stepping it, per the instances' own load reports (what a balance round reads).
 */
const measured = (inst: TestInstance[]): Promise<boolean> =>
  until('the 12 worlds measured where they run', async () => {
    const loads = new Map<string, number>();
    for (const i of inst)
      for (const w of (await i.api('GET', '/api/v1/cluster/load')).json.worlds as Array<{ worldId: string; load: number }>)
        loads.set(w.worldId, Math.min(w.load, loads.get(w.worldId) ?? w.load));
    return NPCS.every((_, k) => (loads.get(`w${k}`) ?? 0) > 0);
  });

describe.skipIf(skip !== null)('cluster: placement and balancing', () => {
  let redis: RedisTestServer;
  const pg = sharedPg as PgServer;
  const inst: TestInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const args = [
      ...sharedStoreArgs(redis, pg),
      '--npcs',
      '0',
      '--capacity',
      '50',
      '--physics',
      'off',
      '--lease-ttl',
      '3',
      '--balance-interval',
      '0',
    ];
    inst.push(...(await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id, args)))));
    await until('3 instances', async () => (await inst[0].api('GET', '/api/v1/cluster')).json.instances.length === 3);
    // A create refused with the documented 503 (its record not durable within the 3 s bound on a loaded
    // machine; nothing kept) is sent again, as a client should: each world must end created exactly once.
    for (const [k, npcs] of NPCS.entries()) {
      const r = await createRetrying(inst[0], '/api/v1/worlds?placement=local', { id: `w${k}`, npcs, capacity: npcs + 100 });
      if (r.refused.length > 0)
        console.log(`balance: create of w${k} refused ${r.refused.length}× before its answer: ${r.refused.join('; ')}`);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    await until(
      'a owns the 12 worlds',
      async () => Object.entries(await ownersFrom(inst[1])).filter(([w, o]) => w.startsWith('w') && o === 'a').length === 12,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('a new world is placed on a less-loaded instance', async () => {
    await until('a heartbeats its load', async () => {
      const list = (await inst[1].api('GET', '/api/v1/cluster')).json.instances as Array<{ id: string; load: { stepCostMs: number } }>;
      return list.find((i) => i.id === 'a')!.load.stepCostMs > 0;
    });
    // a places by its own view (its last control tick): wait until that view has a as the loaded one
    // (b and c can still show their start-up CPU while a's own record is older than its worlds' load).
    await until('a sees itself as more loaded than b or c', async () => {
      const list = (await inst[0].api('GET', '/api/v1/cluster')).json.instances as InstanceRecord[];
      return list.length === 3 && placeWorld(list)?.id !== 'a';
    });
    const r = await createRetrying(inst[0], '/api/v1/worlds', { id: 'placed', npcs: 10 });
    // The placed instance may not answer within a's wait on a loaded machine: a then creates the world itself, is refused
    // while the placed create holds it (503, with the note "… did not answer within … and may have created world placed
    // there: look … before sending it again", src/server/cluster-forward.ts), and the retry finds it there (409 naming the
    // owner). Double run 32: 409 `exists on instance c` after a retry.
    const placedLate = r.status === 409 && r.refused.some((m) => m.includes('may have created world placed there'));
    expect(placedLate ? 201 : r.status, JSON.stringify({ ...r.json, refused: r.refused })).toBe(201);
    expect(['b', 'c']).toContain(placedLate ? r.json.details.owner : r.headers.get('x-worldtick-owner'));
    await until('a sees the new world owned elsewhere', async () => ['b', 'c'].includes((await ownersFrom(inst[0])).placed ?? ''));
    expect((await inst[0].api('DELETE', '/api/v1/worlds/placed')).status).toBeLessThan(300);
  }, 30_000);

  it('balances 12 worlds of unequal measured load to within 10 % of the mean, and does not move them back', async () => {
    const [a, b] = [inst[0], inst[1]];
    // A few control ticks of load samples (TTL/3 = 1 s) for a steady measure: with only the first two
    // samples of each world, one noisy sample made the plan 'unbalanced' on a loaded machine.
    await measured(inst);
    await controlTicks(a, 5);
    // Measurements a loaded machine made uneven can leave no plan within the band (a stall inflates one world's step
    // cost; seen once in a stress run: 'unbalanced', b planned 16 % over the mean). The band is the claim, so the round
    // is made once a dry run of the same reports reaches it; its blockers are said if none does within 30 s.
    // The round measures again: a stall between the dry run and the round can inflate one world's cost past what any
    // plan can place (double run 37: `world-too-heavy`, w10 at 65.65 of a mean 37). Such a round is made again, at most
    // three times, each after a dry run that reaches the band.
    let round: Awaited<ReturnType<typeof adminApi>>['json'] | undefined;
    for (let attempt = 1; attempt <= 3 && round?.plan.status !== 'balanced'; attempt++) {
      let dry: { status: string; blockers: unknown } = { status: 'none', blockers: [] };
      await until(
        'a dry run that reaches the band',
        async () => (dry = (await b.api('POST', '/api/v1/cluster/balance', { dryRun: true })).json.plan).status === 'balanced',
        30_000,
        1000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: last dry run ${JSON.stringify(dry)}`);
      });
      if (round) console.log(`balance: round ${attempt - 1} not balanced (${JSON.stringify(round.plan.blockers)}); again`);
      // The round answers once its moves ended (a pause of 0.2-2.5 s each on a loaded machine, 4-6 moves): past the
      // helper's 10 s request timeout at load ~20 (three copies of the cluster files beside two busy processes). 60 s
      // is a hang guard, not a timing claim.
      round = (await adminApi(b.adminUrl, 'POST', '/api/v1/cluster/balance', {}, 60_000)).json;
    }
    if (!round) throw new Error('no balance round');
    const plan = round.plan as {
      status: string;
      blockers: unknown;
      before: unknown;
      after: Record<string, number>;
      mean: number;
      moves: unknown[];
    };
    console.log(
      `balance: before ${JSON.stringify(plan.before)} after ${JSON.stringify(plan.after)} mean ${plan.mean.toFixed(2)} moves ${plan.moves.length} pauses ${round.results.map((x: { pauseMs: number }) => Math.round(x.pauseMs)).join(',')} ms`,
    );
    expect(plan.status, JSON.stringify({ blockers: plan.blockers, reports: round.reports })).toBe('balanced');
    expect(round.results.length).toBe(plan.moves.length);
    // A failed move says what its two instances logged about the world (double run 60, load ~15: w3 a → b answered 502,
    // `the store refused token 2 of w3`, i.e. b's announce of its token was not recorded; why was not shown then — the
    // likely cause, a write of a under its older token holding the fence row, is now ended and the announce tried again:
    // test/integration/cluster/fence-row-locked.test.ts).
    const linesOf = (x: { worldId: string; from: string; to: string }): string =>
      JSON.stringify(inst.filter((i) => i.id === x.from || i.id === x.to).map((i) => i.lines.filter((l) => l.world === x.worldId)));
    for (const x of round.results) expect(x.ok, `${JSON.stringify(x)}; lines: ${x.ok ? '' : linesOf(x)}`).toBe(true);
    for (const id of ['a', 'b', 'c']) {
      expect(plan.after[id]).toBeGreaterThanOrEqual(plan.mean * 0.9 - 1e-9);
      expect(plan.after[id]).toBeLessThanOrEqual(plan.mean * 1.1 + 1e-9);
    }
    // Ownership is as planned.
    const expected: Record<string, string> = {};
    for (const r of round.reports as Array<{ instance: string; worlds: Array<{ worldId: string }> }>)
      for (const w of r.worlds) expected[w.worldId] = r.instance;
    for (const m of plan.moves as Array<{ worldId: string; to: string }>) expected[m.worldId] = m.to;
    let seen: Record<string, string> = {};
    const owners = await until('ownership as planned', async () => {
      const o = (seen = await ownersFrom(a));
      return Object.entries(expected).every(([w, i]) => o[w] === i) ? o : null;
    }).catch((err: Error) => {
      // Said on a failure: which worlds are elsewhere, and any lease an instance lost meanwhile (a stall past the TTL).
      const off = Object.entries(expected).filter(([w, i]) => seen[w] !== i);
      const lost = inst.flatMap((i) => i.lines.filter(leaseLostLine).map((l) => `${i.id}:${String(l.world)}`));
      // And what each off-plan world went through: its move in the round, who reported it, every instance's log lines about it
      // (seen once in a double run: `w1 planned b, owner c; leases lost: none`, which says no more).
      const story = off.map(([w]) => {
        const move = JSON.stringify(round.results.find((x: { worldId: string }) => x.worldId === w) ?? null);
        const by = (round.reports as Array<{ instance: string; worlds: Array<{ worldId: string }> }>)
          .filter((r) => r.worlds.some((x) => x.worldId === w))
          .map((r) => r.instance);
        const lines = inst.flatMap((i) =>
          i.lines
            .filter((l) => l.world === w || l.worldId === w)
            .map((l) => `${i.id} ${new Date(Number(l.time)).toISOString().slice(11, 23)} ${String(l.level)} ${String(l.msg)}`),
        );
        return `\n${w}: move ${move}; reported by ${by.join(',') || 'none'}; lines:\n  ${lines
          .sort((x, y) => x.slice(2).localeCompare(y.slice(2)))
          .slice(-40)
          .join('\n  ')}`;
      });
      throw new Error(
        `${err.message}: ${off.map(([w, i]) => `${w} planned ${i}, owner ${seen[w]}`).join('; ')}; leases lost: ${lost.join(', ') || 'none'}${story.join('')}`,
      );
    });
    expect(new Set(Object.values(owners)).size).toBe(3);
    // Hysteresis: measured again, nothing moved in the first round moves again.
    await measured(inst); // the moved worlds measured afresh on their new owners
    const again = (await a.api('POST', '/api/v1/cluster/balance', { dryRun: true })).json.plan;
    const movedBefore = new Set((plan.moves as Array<{ worldId: string }>).map((m) => m.worldId));
    for (const m of again.moves as Array<{ worldId: string }>) expect(movedBefore.has(m.worldId), m.worldId).toBe(false);
    const spread = Object.values(again.before as Record<string, number>).map((v) => v / again.mean - 1);
    console.log(
      `balance: re-measured after the moves: ${JSON.stringify(again.before)}, mean ${again.mean.toFixed(2)}, deviations ${spread.map((d) => `${(d * 100).toFixed(1)}%`).join(' ')}; second plan ${again.status} with ${again.moves.length} moves`,
    );
  }, 120_000);
});
