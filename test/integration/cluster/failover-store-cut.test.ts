/**
 * A failover that meets a short store outage (docs/ADMIN.md "Logs": error means an operator must
 * act). Two instances on a real redis-server and a real PostgreSQL: a (a child process, so it can be
 * SIGKILLed) owns the default world and `g1`; b (in process) reaches PostgreSQL through a TCP proxy.
 * a is killed; b's failover announces its token, and the moment it asks the store for the world's
 * record the proxy cuts b's PostgreSQL link for 1.5 s (a PostgreSQL restart, say). That takeover
 * fails with the store unavailable: b gives the lease back and logs it at warn, saying a later control
 * tick retries — no line at error — and once the link is back, b takes every world over from its
 * checkpoint (not from a stale local copy of it).
 */
import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { proxiedTakerPair, RECORD_QUERY } from '../../helpers/proxied-taker.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster failover store cut');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const atError = (lines: ReadonlyArray<Record<string, unknown>>) =>
  lines.filter((l) => typeof l.level === 'number' && l.level >= 50).map((l) => JSON.stringify(l).slice(0, 600));

describe.skipIf(skip !== null)('cluster: a failover meeting a short store outage', () => {
  const pair = proxiedTakerPair(sharedPg as PgServer, ['--npcs', '20', '--lease-ttl', '2', '--checkpoint-interval', '1']);

  beforeAll(async () => {
    expect((await createWorld(pair.a, { id: 'g1', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('b sees a owning worlds 1 and g1', async () => {
      const owners = await ownersFrom(pair.b);
      return owners['1'] === 'a' && owners.g1 === 'a';
    });
  }, 60_000);

  it('logs the failed takeover at warn (retried), nothing at error, and takes the worlds over once the store is back', async () => {
    const { proxy: p, a: owner, b: adopter } = pair;
    // The cut lands when b's failover reads a world's record: after its token is announced, inside the load.
    const cut = p.severOn(RECORD_QUERY);
    owner.child.kill('SIGKILL');
    await once(owner.child, 'exit');
    await Promise.race([cut, sleep(30_000).then(() => Promise.reject(new Error('no takeover reached the store')))]);
    await sleep(1500);
    p.heal();
    await until('b owns worlds 1 and g1', async () => {
      const owners = await ownersFrom(adopter);
      return owners['1'] === 'b' && owners.g1 === 'b';
    });
    // Both step on b (not held): their steps advance.
    const runner = adopter.runtime.runner;
    const stepOf = (id: string): number => (runner.has(id) ? runner.get(id).clock.step : -1);
    // b holds a world's lease while it loads it from the store: it may own one it does not step yet.
    const before = await until('b hosts worlds 1 and g1', () =>
      runner.has('1') && runner.has('g1') ? { one: stepOf('1'), g1: stepOf('g1') } : null,
    );
    await until('b steps worlds 1 and g1', () => stepOf('1') > before.one && stepOf('g1') > before.g1);
    expect(atError(adopter.lines)).toEqual([]);
    // The takeover the cut met: one warn line with the store's reason, saying it is retried.
    const failed = adopter.lines.filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('cluster: world not taken over: the store is unavailable'),
    );
    expect(failed.length, JSON.stringify(adopter.lines.filter((l) => (l.level as number) >= 40)).slice(0, 2000)).toBeGreaterThan(0);
    for (const l of failed) expect(l).toMatchObject({ level: 40, storeReason: 'connection', err: { code: 'WT_ERR_STORE_UNAVAILABLE' } });
    // Every world the cut met was taken over from its checkpoint after it (not continued from a local copy).
    for (const l of failed) {
      const after = adopter.lines.slice(adopter.lines.indexOf(l));
      expect(
        after.some((x) => x.msg === 'cluster: world taken over from its checkpoint' && x.world === l.world),
        String(l.world),
      ).toBe(true);
    }
    expect(adopter.lines.filter((l) => l.msg === 'cluster: no stored record of the world; continuing from the local copy')).toEqual([]);
  }, 60_000);
});
