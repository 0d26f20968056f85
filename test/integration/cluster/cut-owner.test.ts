/**
 * A cluster instance cut off from the network, for real (docs/CLUSTER.md "Partition", "Failover"):
 * instance `a` runs in a network namespace (test/helpers/netns-link.ts) and reaches Redis and
 * PostgreSQL over veth pairs that the test cuts silently — no FIN, RST or ICMP crosses, neither side
 * is told — while its players reach it over a link of their own that stays up (players on the public
 * network, the backends on a private one). Instance `b` runs on the host.
 *
 * - `both`: Redis and PostgreSQL behind one link, cut;
 * - `redis`: Redis and PostgreSQL behind two links, only Redis's cut (a's store still answers);
 * - `pg`: the same links, only PostgreSQL's cut (a's Redis still answers).
 *
 * In each, `a` owns the default world with players buying arrows (real WebSocket clients retrying a
 * key until answered, test/helpers/cluster-players.ts). Cut from Redis, asserted: `a` stops stepping
 * the world and closes its sessions (4015) by itself, logs the documented lines, refuses new players
 * while cut, and does not crash; `b` takes the world over with a larger fencing token; the players
 * come back on `b` as themselves with their wallets; after the heal `a` is back on a NEW Redis
 * connection (before, it kept the silent one, which came back only with TCP's next retransmission:
 * minutes away after a long cut), sees `b` as the owner and holds nothing; no two instances' steps of
 * the world overlap; the checkpoints' tokens never go back (no write of `a` over `b`'s); every
 * acknowledged purchase is in the ledger exactly once, none unacknowledged is, and the
 * ledger verifies on both. Cut from PostgreSQL only: `a` keeps renewing its lease and stepping the
 * world (before, the control tick waited on the orphan scan's store read for the 5 s query timeout,
 * renewed nothing meanwhile, and the lease lapsed: the world stopped and failed over to `b`), its
 * players are answered `TX_UNAVAILABLE` until the heal and keep their sockets, and the same ledger
 * checks hold. The figures it prints (cut → `a` stopped, cut → `b` stepping) are quoted
 * in docs/CLUSTER.md; timing is not asserted.
 */
import { createConnection } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import type { StepRange } from '../../../src/server/cluster-service.js';
import { leaseLostLine, ownersFrom, ownsDefaultWorld, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { startPlayer, type TestPlayer } from '../../helpers/cluster-players.js';
import { createNetnsLink, type NetnsLink, startPostgresOnLinks } from '../../helpers/netns-link.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { findRedisServer, type RedisTestServer, startRedisServer } from '../../helpers/redis-server.js';
import { controlTicks } from '../../helpers/shared-cluster.js';
import { withPgClient } from '../../helpers/shared-postgres.js';

/** Lease TTL (s), as the other failover tests: the cut is noticed and the world moves within about one TTL. */
const TTL_S = 2;
const WORLD = '1';

/** The links of one case: a's Redis, its PostgreSQL (maybe the same link) and its players' (never cut). */
interface CaseLinks {
  redis: NetnsLink;
  pg: NetnsLink;
  front: NetnsLink;
}

const links: NetnsLink[] = [];
let skip: string | null = findRedisServer() ? null : 'redis-server is not installed';
/** Make link `k` (into `into`'s namespace when given), or note why not. */
const link = async (k: number, into?: NetnsLink): Promise<NetnsLink | null> => {
  if (skip !== null) return null;
  const made = await createNetnsLink(k, { into });
  if ('skip' in made) {
    skip = made.skip;
    return null;
  }
  links.push(made);
  return made;
};
/** The links of each case, in its namespace: `both` (a's backends, its players), `redis` and `pg` (Redis, PostgreSQL, players). */
const cases: NetnsLink[][] = [];
for (const [first, n] of [
  [0, 2],
  [2, 3],
  [5, 3],
] as const) {
  const ns = await link(first);
  const more = [];
  for (let k = first + 1; ns && k < first + n; k++) more.push(await link(k, ns));
  cases.push([ns, ...more].filter((x): x is NetnsLink => x !== null));
}
/** The links of case `i` (the file is skipped when one could not be made). */
const caseLinks = (i: number): NetnsLink[] => {
  const l = cases[i];
  if (!l?.length) throw new Error(`no links for case ${i}`);
  return l;
};
const pgStarted = skip === null ? await startPostgresOnLinks(links) : null;
if (pgStarted && 'skip' in pgStarted) skip = pgStarted.skip;
const pgs: PgServer | null = pgStarted && !('skip' in pgStarted) ? pgStarted : null;
if (skip) console.warn(`SKIP cut-owner: ${skip}`);
if (!pgs) for (const l of links) await l.destroy(); // skipped: no hook of this file runs

const instances: TestInstance[] = [];
const redises: RedisTestServer[] = [];
afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  for (const r of redises) await r.stop();
  await pgs?.destroy();
  for (const l of links.slice().reverse()) await l.destroy();
}, 30_000);

/** A URL of `url` with its host replaced (the same server seen through a link). */
const via = (url: string, host: string, path?: string): string => {
  const u = new URL(url);
  u.hostname = host;
  if (path !== undefined) u.pathname = path;
  return u.toString();
};

const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const common = ['--npcs', '50', '--lease-ttl', String(TTL_S), '--checkpoint-interval', '1'];
const quiet = ['--stats-interval', '0', '--log-level', 'info', '--balance-interval', '0'];

/** Pairs of step ranges of different instances whose wall intervals intersect. */
const overlaps = (ranges: readonly StepRange[]): Array<[StepRange, StepRange]> =>
  ranges.flatMap((r, i) =>
    ranges
      .slice(i + 1)
      .flatMap(
        (q): Array<[StepRange, StepRange]> =>
          r.instanceId !== q.instanceId && r.startMs <= q.endMs && q.startMs <= r.endMs ? [[r, q]] : [],
      ),
  );

/** The ledger's `ok` arrow keys of `name`'s player, as `inst` reads them from the shared store. */
const ledgerKeys = async (inst: TestInstance, name: string): Promise<string[]> => {
  const path = `/api/v1/worlds/${WORLD}/ledger/players/${encodeURIComponent(playerIdOfToken(`token-${name}`))}`;
  const entries = (await inst.api('GET', path)).json.entries as Array<{ key: string; item: string | null; status: string }>;
  return entries
    .filter((e) => e.item === 'arrow' && e.status === 'ok')
    .map((e) => e.key)
    .sort();
};

/** Ids of the Redis connections from `addr` that ran a command other than a subscription (a's command connection). */
const commandConnections = (redis: RedisTestServer, addr: string): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port: redis.port });
    let buf = '';
    sock.setTimeout(2000, () => sock.destroy(new Error('CLIENT LIST: no answer')));
    sock.once('error', reject);
    sock.once('connect', () => sock.write('CLIENT LIST\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (!m || buf.length < m[0].length + Number(m[1])) return;
      sock.destroy();
      const rows = buf.slice(m[0].length, m[0].length + Number(m[1])).split('\n');
      resolve(
        rows
          .filter((r) => r.includes(` addr=${addr}:`) && !/ cmd=(subscribe|psubscribe|ssubscribe)\b/.test(r) && !/ sub=[1-9]/.test(r))
          .map((r) => /\bid=(\d+)/.exec(r)?.[1] ?? ''),
      );
    });
  });

/** One case's cluster: `a` (in the namespace, owning the default world), `b`, the store and the players. */
interface Cluster {
  name: string;
  a: TestInstance;
  b: TestInstance;
  /** The case's database, on 127.0.0.1. */
  db: string;
  players: TestPlayer[];
  /** Purchases acknowledged so far, all players. */
  acked(): number;
  /** a's fencing token of the world before the cut. */
  tokenA: number;
  /** How many of a's lines were there before the cut. */
  linesBefore: number;
  redis: RedisTestServer;
}

/** Start the case `name` over `l`: a first (binding its players' link), so it owns the default world; then b; players buying. */
const startCluster = async (name: string, l: CaseLinks): Promise<Cluster> => {
  const local = pgs?.url ?? '';
  await withPgClient(local, (c) => c.query(`CREATE DATABASE cut_${name}`));
  const db = local.replace(/\/postgres$/, `/cut_${name}`);
  const redis = await startRedisServer(undefined, { bind: [l.redis.hostAddr] });
  redises.push(redis);
  const a = await startInstance(
    'a',
    [...['--redis', via(redis.url, l.redis.hostAddr), '--store', via(db, l.pg.hostAddr), '--host', l.front.nsAddr], ...common, ...quiet],
    { wrap: l.redis.wrap },
  );
  instances.push(a);
  await ownsDefaultWorld(a);
  const b = await startInstance('b', ['--redis', redis.url, '--store', db, ...common, ...quiet]);
  instances.push(b);
  await until('a and b see each other', async () => {
    for (const i of [a, b]) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
    return true;
  });
  const players: TestPlayer[] = [];
  for (let i = 0; i < 3; i++) players.push(await startPlayer(WORLD, `${name}-p${i}`, [a.gameUrl, b.gameUrl], 30));
  const acked = (): number => players.reduce((n, p) => n + p.log.acked.size, 0);
  await until('purchases flowing on a', () => acked() >= 20);
  const tokenA = (await heldToken(a)) ?? 0;
  expect(tokenA).toBeGreaterThan(0);
  return { name, a, b, db, players, acked, tokenA, linesBefore: a.lines.length, redis };
};

/** The token `i` holds the world's lease with, if it does. */
const heldToken = async (i: TestInstance): Promise<number | undefined> =>
  ((await i.api('GET', '/api/v1/cluster')).json.held as Array<{ worldId: string; fencingToken: number }>).find((h) => h.worldId === WORLD)
    ?.fencingToken;

/**
 * The end of every case, players stopped: no two instances' steps of the world overlap; the checkpoints'
 * tokens never go back (nothing `a` wrote landed over `owner`'s writes) and the last is `owner`'s token or newer; every
 * acknowledged purchase (by a before or during the cut, or by b) is in the ledger once and none other is;
 * the ledger verifies on both; a is alive. Resolves a's warn and error lines since the cut, by message.
 */
const checkEnd = async (x: Cluster, owner: TestInstance, ownerToken: number): Promise<Record<string, number>> => {
  await Promise.all(x.players.map((p) => p.stop()));
  const ranges: StepRange[] = [];
  for (const i of [x.a, x.b])
    ranges.push(...((await i.api('GET', '/api/v1/cluster')).json.stepRanges as StepRange[]).filter((r) => r.worldId === WORLD));
  expect(overlaps(ranges)).toEqual([]);
  const tokens = await withPgClient(x.db, async (c) =>
    (await c.query(`SELECT fencing_token::int AS t FROM checkpoints WHERE world_id = $1 ORDER BY id`, [WORLD])).rows.map(
      (r: { t: number }) => r.t,
    ),
  );
  expect(tokens).toEqual([...tokens].sort((p, q) => p - q));
  expect(tokens.at(-1)).toBeGreaterThanOrEqual(ownerToken);
  for (const p of x.players) {
    const log = p.log;
    expect(log.resumeRefused, log.name).toBe(0);
    expect(new Set(log.resumeTokens).size, log.name).toBe(1);
    expect(log.rejected.size, `${log.name}: ${[...log.rejected.values()]}`).toBe(0);
    expect(log.wallet.items?.arrow, log.name).toBe(log.acked.size);
    expect(await ledgerKeys(owner, log.name), log.name).toEqual([...log.acked].sort());
  }
  for (const i of [x.a, x.b]) expect((await i.api('GET', '/api/v1/ledger/verify')).json.mismatches, i.id).toEqual([]);
  expect(x.a.child.exitCode).toBe(null);
  const loud = x.a.lines.slice(x.linesBefore).filter((l) => Number(l.level) >= 40);
  expect(loud.filter((l) => Number(l.level) >= 50)).toEqual([]); // no error line, and no storm of warnings
  expect(loud.length).toBeLessThan(30);
  const byMsg: Record<string, number> = {};
  for (const l of loud) byMsg[String(l.msg)] = (byMsg[String(l.msg)] ?? 0) + 1;
  return byMsg;
};

const unavailable = (x: Cluster): number => x.players.reduce((n, p) => n + p.log.unavailable, 0);

/** a cut from Redis (and maybe PostgreSQL) by `cut`: it stops, b takes the world over; after the heal a holds nothing. */
const failoverCase = async (name: string, l: CaseLinks, cut: NetnsLink): Promise<void> => {
  const x = await startCluster(name, l);
  const { a, b } = x;
  const connectionsBefore = await commandConnections(x.redis, l.redis.nsAddr);
  expect(connectionsBefore.length).toBeGreaterThan(0);
  await cut.cut();
  const cutAt = Date.now();
  // a notices by itself (nothing tells it): it stops stepping the world and closes its sessions.
  const stopped = await until('a stopped stepping', () =>
    a.lines.find((m, i) => i >= x.linesBefore && leaseLostLine(m) && m.world === WORLD),
  );
  // Cut off, a refuses new players of the world (it cannot prove it owns it).
  const late = new WorldtickClient({ url: a.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
  await late.connect();
  await expect(late.join(WORLD, `${name}-late`)).rejects.toThrow(/NOT_OWNER/);
  late.close();
  // b takes the world over from the store with a larger token; the players come back on b.
  const taken = await until(
    'b took the world over',
    async () =>
      (
        (await b.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{
          worldId: string;
          kind: string;
          at: number;
          fencingToken: number;
        }>
      ).find((m) => m.worldId === WORLD && m.kind === 'failover'),
    30_000,
    50,
  );
  expect(taken.fencingToken).toBeGreaterThan(x.tokenA);
  const mark = x.acked();
  await until('purchases flowing on b', () => x.acked() >= mark + 20, 30_000);
  const unreachable = a.lines.find((m, i) => i >= x.linesBefore && m.msg === 'cluster: coordinator unreachable');

  await cut.heal();
  const healedAt = Date.now();
  await until(
    'a reachable again, b the owner in its view',
    async () => {
      const v = (await a.api('GET', '/api/v1/cluster')).json;
      return v.reachable && v.leases.find((m: { worldId: string }) => m.worldId === WORLD)?.instanceId === 'b';
    },
    30_000,
  );
  const backAt = Date.now();
  // a's coordinator gave up its silent connection and came back on a new one (not on TCP's next
  // retransmission of the old one, which after a long cut can be minutes away).
  const connectionsAfter = await commandConnections(x.redis, l.redis.nsAddr);
  expect(connectionsAfter.filter((id) => !connectionsBefore.includes(id)).length).toBeGreaterThan(0);
  await controlTicks(a, 3); // time for a to (wrongly) take the world back or write it
  expect(await heldToken(a)).toBe(undefined);
  expect((await ownersFrom(b))[WORLD]).toBe('b');
  const tokenB = (await heldToken(b)) ?? 0;
  expect(tokenB).toBeGreaterThanOrEqual(taken.fencingToken); // larger only if b's own lease lapsed since (a loaded machine)
  expect(a.lines.slice(x.linesBefore).some((m) => m.msg === 'cluster: coordinator reachable again')).toBe(true);
  const firstB = (await b.api('GET', '/api/v1/cluster')).json.stepRanges as StepRange[];
  const loud = await checkEnd(x, b, tokenB);
  // a's steps all ended before b's first; the last under the token it held at the cut.
  const ranges = ((await a.api('GET', '/api/v1/cluster')).json.stepRanges as StepRange[]).filter((r) => r.worldId === WORLD);
  const bStart = Math.min(...firstB.filter((r) => r.worldId === WORLD).map((r) => r.startMs));
  for (const r of ranges) expect(r.endMs).toBeLessThan(bStart);
  expect(ranges.at(-1)?.fencingToken).toBe(x.tokenA);
  console.log(
    `cut-owner ${name}: cut → a stopped stepping ${seconds(Number(stopped.time) - cutAt)} s` +
      `${unreachable ? `, cut → a's 'coordinator unreachable' ${seconds(Number(unreachable.time) - cutAt)} s` : ''}` +
      `; cut → b stepping ${seconds(taken.at - cutAt)} s (TTL ${TTL_S} s); heal → a sees b ${seconds(backAt - healedAt)} s;` +
      ` acked ${x.acked()}, TX_UNAVAILABLE answers ${unavailable(x)}; a's warn/error lines: ${JSON.stringify(loud)}`,
  );
};

/** a cut from PostgreSQL only (Redis answers): it keeps its lease and the world; purchases are refused TX_UNAVAILABLE meanwhile. */
const storeCutCase = async (name: string, l: CaseLinks): Promise<void> => {
  const x = await startCluster(name, l);
  const { a, b } = x;
  await l.pg.cut();
  const cutAt = Date.now();
  // Purchases cannot be made durable: every player is answered TX_UNAVAILABLE (and retries its key).
  await until(
    'every player refused TX_UNAVAILABLE (or a stopped)',
    () => x.players.every((p) => p.log.unavailable > 0) || a.lines.slice(x.linesBefore).some(leaseLostLine),
    20_000,
  );
  const refusedAt = Date.now();
  await controlTicks(b, 7); // longer than a TTL: a lease a stopped renewing would have lapsed, b would have taken it
  const lines = a.lines.slice(x.linesBefore);
  expect(lines.filter(leaseLostLine)).toEqual([]);
  expect(lines.filter((m) => m.msg === 'cluster: coordinator unreachable')).toEqual([]);
  expect(await heldToken(a)).toBe(x.tokenA);
  expect((await ownersFrom(b))[WORLD]).toBe('a');
  await l.pg.heal();
  const healedAt = Date.now();
  const mark = x.acked();
  await until('purchases flowing on a again', () => x.acked() >= mark + 20, 30_000);
  const flowingAt = Date.now();
  expect(await heldToken(a)).toBe(x.tokenA);
  // a kept the world throughout, cut and heal: never stopped for want of a lease, every step under its token.
  expect(a.lines.slice(x.linesBefore).filter(leaseLostLine)).toEqual([]);
  const ranges = ((await a.api('GET', '/api/v1/cluster')).json.stepRanges as StepRange[]).filter(
    (r) => r.worldId === WORLD && r.endMs >= cutAt,
  );
  expect(ranges.length).toBeGreaterThan(0);
  expect(new Set(ranges.map((r) => r.fencingToken))).toEqual(new Set([x.tokenA]));
  const loud = await checkEnd(x, a, x.tokenA);
  console.log(
    `cut-owner ${name}: cut → every player refused TX_UNAVAILABLE ${seconds(refusedAt - cutAt)} s; heal → purchases flowing ${seconds(flowingAt - healedAt)} s;` +
      ` acked ${x.acked()}, TX_UNAVAILABLE answers ${unavailable(x)}; a's warn/error lines: ${JSON.stringify(loud)}`,
  );
};

describe.skipIf(skip !== null)('cluster: an instance cut off from the network, for real', { concurrent: true }, () => {
  it('cut from Redis and PostgreSQL: a stops, b takes the world over, nothing acknowledged is lost or doubled', async () => {
    const [redis, front] = caseLinks(0);
    await failoverCase('both', { redis, pg: redis, front }, redis);
  }, 90_000);

  it('cut from Redis only, PostgreSQL still reachable: the same, and a writes nothing over b', async () => {
    const [redis, pg, front] = caseLinks(1);
    await failoverCase('redis', { redis, pg, front }, redis);
  }, 90_000);

  it('cut from PostgreSQL only, Redis still reachable: a keeps the world, purchases are refused TX_UNAVAILABLE until the heal', async () => {
    const [redis, pg, front] = caseLinks(2);
    await storeCutCase('pg', { redis, pg, front });
  }, 90_000);
});
