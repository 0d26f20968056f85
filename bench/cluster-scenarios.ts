/**
 * End-to-end figures of the `cluster` suite (bench/cluster.bench.ts): real instances (child
 * processes, exactly what `npm start` runs) on a real redis-server and a throwaway PostgreSQL.
 *   - migration pause: p50/p99 over N migrations (a ↔ b) of one big world with connected clients
 *     that follow the redirect and resume (source: hold → target stepping);
 *   - failover: SIGKILL of the owner → the world stepping on another instance, and → every client
 *     resumed there;
 *   - redirects per second: hello on a non-owner → redirect → hello with ticket on the owner;
 *   - load spread after balancing 12 worlds of unequal load on 3 instances.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import { findRedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { ownersFrom, startInstance, until, type TestInstance } from '../test/helpers/cluster-instances.js';
import { sharedStoreArgs } from '../test/helpers/shared-cluster.js';
import type { SuiteContext } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** A light client: joins, follows redirects (also mid-session), resumes with its token, sends inputs. */
class Rider {
  c: WorldtickClient | null = null;
  token = '';
  resumes = 0;
  refused = 0;
  #next: string | null = null;
  #stop = false;
  #loop: Promise<void> | null = null;
  lastResumeAt = 0;
  constructor(
    readonly world: string,
    readonly name: string,
    readonly urls: string[],
  ) {}
  async #open(url: string): Promise<void> {
    const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
    c.on((m) => {
      if (m.type === 23) this.#next = m.url;
      if (m.type === 20 && m.code === 'RESUME_REFUSED') this.refused++;
    });
    await c.connect();
    const w = await c.join(this.world, this.name, `tok-${this.name}`, this.token || null, 10_000);
    if (this.token) {
      this.resumes++;
      this.lastResumeAt = Date.now();
    }
    this.token = w.resumeToken;
    this.c = c;
  }
  async start(): Promise<void> {
    await this.#open(this.urls[0]);
    this.#loop = (async () => {
      let k = 0;
      while (!this.#stop) {
        await sleep(250);
        if (this.c?.open) {
          this.c.sendInput(1, 0);
          continue;
        }
        const url = this.#next ?? this.urls[k++ % this.urls.length];
        this.#next = null;
        await this.#open(url).catch(() => sleep(100));
      }
    })();
  }
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
    this.c?.socket?.close();
  }
}

/** Run the scenarios; figures go to `ctx.record`. */
export const runClusterScenarios = async (ctx: SuiteContext): Promise<void> => {
  const bin = findRedisServer();
  const pg = bin ? await startPostgres() : { skip: 'redis-server missing' };
  if (!bin || 'skip' in pg) {
    ctx.log(`cluster scenarios skipped: ${'skip' in pg ? pg.skip : 'redis-server missing'}`);
    ctx.record('scenariosSkipped', true);
    return;
  }
  const redis = await startRedisServer(bin);
  const q = ctx.quick;
  const npcs = q ? 2000 : 10_000,
    clients = q ? 40 : 200,
    migrations = q ? 6 : 20,
    ttlS = 2;
  const args = [
    ...sharedStoreArgs(redis, pg),
    '--npcs',
    '0',
    '--capacity',
    '50',
    '--physics',
    'off',
    '--lease-ttl',
    String(ttlS),
    '--balance-interval',
    '0',
    '--checkpoint-interval',
    '2',
  ];
  const inst: TestInstance[] = [];
  try {
    inst.push(...(await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id, args)))));
    const [a, b, c] = inst as [TestInstance, TestInstance, TestInstance];
    await until('3 instances', async () => (await a.api('GET', '/api/v1/cluster')).json.instances.length === 3, 30_000);

    // 1. Migration pause.
    await a.api('POST', '/api/v1/worlds?placement=local', { id: 'big', npcs, capacity: npcs + clients + 100 });
    await until('b sees a owning big', async () => (await ownersFrom(b)).big === 'a', 30_000);
    const riders = Array.from({ length: clients }, (_, i) => new Rider('big', `r${i}`, [a.gameUrl, b.gameUrl]));
    for (let i = 0; i < riders.length; i += 20) await Promise.all(riders.slice(i, i + 20).map((r) => r.start()));
    const pauses: number[] = [];
    const resumedMs: number[] = [];
    for (let k = 0; k < migrations; k++) {
      const to = k % 2 ? 'a' : 'b';
      const before = riders.reduce((n, r) => n + r.resumes, 0);
      const t0 = Date.now();
      const res = await a.api('POST', '/api/v1/worlds/big/migrate', { to });
      if (res.status !== 200) throw new Error(`migration ${k} failed: ${JSON.stringify(res.json)}`);
      pauses.push(res.json.pauseMs);
      await until('every rider resumed', () => riders.reduce((n, r) => n + r.resumes, 0) >= before + clients, 60_000, 20);
      resumedMs.push(Math.max(...riders.map((r) => r.lastResumeAt)) - t0);
      await sleep(500);
    }
    ctx.record('migration', {
      npcs,
      clients,
      migrations,
      pauseMsP50: r1(pct(pauses, 50)),
      pauseMsP99: r1(pct(pauses, 99)),
      pauseMsMax: r1(Math.max(...pauses)),
      allClientsResumedMsP50: pct(resumedMs, 50),
      allClientsResumedMsP99: pct(resumedMs, 99),
      resumeRefused: riders.reduce((n, r) => n + r.refused, 0),
    });
    await Promise.all(riders.map((r) => r.stop()));

    // 2. Redirects per second: join through the non-owner, close, again (8 concurrent loops).
    const owner = (await ownersFrom(c)).big;
    await a.api('POST', '/api/v1/worlds?placement=local', { id: 'redir', npcs: 0, capacity: 3000 });
    await until('b sees a owning redir', async () => (await ownersFrom(b)).redir === 'a', 30_000);
    const via = b;
    let redirects = 0;
    const until0 = Date.now() + (q ? 1500 : 4000);
    await Promise.all(
      Array.from({ length: 8 }, async (_, j) => {
        while (Date.now() < until0) {
          const cl = new WorldtickClient({ url: via.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
          await cl.connect();
          await cl.join('redir', `x${j}`, '', null, 10_000);
          redirects += cl.stats.redirects;
          cl.socket?.close();
        }
      }),
    );
    ctx.record('redirectsPerSecond', r1(redirects / ((q ? 1500 : 4000) / 1000)));

    // 3. Failover: SIGKILL the owner of `big` (riders on it), time to stepping elsewhere and to every rider resumed.
    const victim = inst.find((i) => i.id === owner)!;
    const rest = inst.filter((i) => i !== victim);
    const fr = Array.from({ length: q ? 10 : 40 }, (_, i) => new Rider('big', `f${i}`, [victim.gameUrl, ...rest.map((i) => i.gameUrl)]));
    await Promise.all(fr.map((r) => r.start()));
    await sleep(2500); // a checkpoint after the riders joined
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const taken = await until(
      'big stepping elsewhere',
      async () => {
        for (const i of rest) {
          const m = ((await i.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ worldId: string; kind: string; at: number }>).find(
            (x) => x.worldId === 'big' && x.kind === 'failover' && x.at >= killedAt,
          );
          if (m) return { at: m.at, on: i.id };
        }
        return null;
      },
      60_000,
      25,
    );
    await until('failover riders resumed', () => fr.every((r) => r.lastResumeAt >= killedAt), 60_000, 25);
    const resumedAt = Math.max(...fr.map((r) => r.lastResumeAt));
    ctx.record('failover', {
      leaseTtlMs: ttlS * 1000,
      steppingAfterMs: taken.at - killedAt,
      allClientsResumedAfterMs: resumedAt - killedAt,
      clients: fr.length,
      newOwner: taken.on,
      resumeRefused: fr.reduce((n, r) => n + r.refused, 0),
    });
    await Promise.all(fr.map((r) => r.stop()));
    await victim.stop();

    // 4. Spread after balancing: 12 worlds of unequal load on one of the two survivors (the big world and the redirect world deleted first).
    const [x, y] = rest as [TestInstance, TestInstance];
    for (const w of ['big', 'redir'])
      await until(`${w} deleted`, async () => (await x.api('DELETE', `/api/v1/worlds/${w}`)).status < 300, 30_000, 250);
    const sizes = [2000, 1800, 1600, 1400, 1200, 1000, 900, 800, 700, 600, 500, 400];
    for (const [k, n] of sizes.entries())
      await x.api('POST', '/api/v1/worlds?placement=local', { id: `bal${k}`, npcs: n, capacity: n + 100 });
    const z = await startInstance('d', args);
    inst.push(z);
    await until('3 live instances', async () => (await x.api('GET', '/api/v1/cluster')).json.instances.length === 3, 30_000);
    await sleep(5000);
    const round = (await y.api('POST', '/api/v1/cluster/balance', {})).json;
    await sleep(7000);
    const again = (await y.api('POST', '/api/v1/cluster/balance', { dryRun: true })).json.plan;
    const dev = (p: { before: Record<string, number>; after: Record<string, number>; mean: number }, k: 'before' | 'after') =>
      Object.fromEntries(Object.entries(p[k]).map(([id, v]) => [id, r1((v / p.mean - 1) * 100)]));
    ctx.record('balance', {
      worlds: sizes.length,
      status: round.plan.status,
      moves: round.plan.moves.length,
      roundMs: Math.round(round.ms),
      movePausesMs: round.results.map((m: { pauseMs: number }) => Math.round(m.pauseMs)),
      plannedDeviationPct: dev(round.plan, 'after'),
      remeasuredDeviationPct: dev(again, 'before'),
      remeasuredMean: r1(again.mean),
      secondPlan: { status: again.status, moves: again.moves.length },
    });
  } finally {
    await Promise.all(inst.map((i) => i.stop()));
    await redis.stop();
    await pg.destroy();
  }
};
