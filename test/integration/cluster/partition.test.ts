/**
 * Network partition, end to end: a real redis-server, three worldtick instances in child
 * processes; instance `a` reaches Redis only through a TCP proxy the test cuts while clients
 * play world "1" on it. Asserts: `a` stops stepping and closes its clients with 4015 (and
 * refuses admin writes) before its lease can expire; another instance takes the world with a
 * larger fencing token; no two instances ever stepped the world at the same time (every
 * instance reports its step ranges with wall timestamps and tokens); a's stale token is
 * refused by the durable store; after healing, `a` rejoins (presence back, world owned
 * elsewhere, its clients redirected to the new owner).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { StepRange } from '../../../src/server/cluster-service.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { ownersFrom, startFirstThenRest, ownsDefaultWorld, until, type TestInstance } from '../../helpers/cluster-instances.js';

/** Lease TTL (s): the cut is noticed, the lease lapses and the world moves within about one TTL. */
const TTL_S = 2;
const bin = findRedisServer();
if (!bin) console.warn('partition: redis-server is not installed (apt-get install -y redis-server, or .ci/run): skipped');

const client = (url: string): WorldtickClient => new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });

/** Pairs of ranges of world `w` from different instances whose wall intervals intersect. */
const overlaps = (ranges: readonly StepRange[]): Array<[StepRange, StepRange]> => {
  const out: Array<[StepRange, StepRange]> = [];
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i],
        b = ranges[j];
      if (a.instanceId !== b.instanceId && a.startMs <= b.endMs && b.startMs <= a.endMs) out.push([a, b]);
    }
  return out;
};

describe.skipIf(!bin)('cluster: network partition', () => {
  let redis: RedisTestServer | undefined;
  let proxy: TcpProxy | undefined;
  const inst: TestInstance[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wt-partition-'));

  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await proxy?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a cut-off owner stops before its lease expires; no two instances step the world at once; no stale write lands; it rejoins after healing', async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    const common = ['--npcs', '200', '--lease-ttl', String(TTL_S), '--stats-interval', '0'];
    // a first, so it owns world 1; b and c load their modules meanwhile.
    await startFirstThenRest(
      inst,
      ['a', ['--redis', `redis://127.0.0.1:${proxy.port}`, ...common]],
      [
        ['b', ['--redis', redis.url, ...common]],
        ['c', ['--redis', redis.url, ...common]],
      ],
      ownsDefaultWorld,
    );
    const [a, b, c] = inst as [TestInstance, TestInstance, TestInstance];
    await until('3 instances listed', async () => (await a.api('GET', '/api/v1/cluster')).json.instances.length === 3);
    const tokenA = (await a.api('GET', '/api/v1/cluster')).json.held[0].fencingToken as number;

    // Four players join through b and c and end up on a; they keep sending inputs.
    const players: WorldtickClient[] = [];
    for (const via of [b, c, b, c]) {
      const p = client(via.gameUrl);
      await p.connect();
      await p.join('1', `p${players.length}`);
      expect(p.url).toBe(a.gameUrl);
      players.push(p);
    }
    const seq = players.map((p) => p.sendInput(0.5, 0.5));
    await Promise.all(players.map((p, i) => p.waitFor((m) => m.type === 17 && m.ack >= seq[i], 10_000)));
    const play = setInterval(() => {
      for (const p of players) if (p.open) p.sendInput(1, 0);
    }, 100);

    proxy.sever();
    const cutAt = Date.now();
    // a's players are told with a coded close once a can no longer prove ownership.
    await Promise.all(players.map((p) => p.closed()));
    clearInterval(play);
    for (const p of players) expect(p.closeCode).toBe(4015);
    // While cut off, a refuses admin writes to the world and new players.
    const put = await a.api('PUT', '/api/v1/worlds/1/scheduler/config', { simulation: { timeScale: 5 } });
    expect(put.status).toBe(503);
    const late = client(a.gameUrl);
    await late.connect();
    await expect(late.join('1', 'late')).rejects.toThrow(/NOT_OWNER/);
    // Another instance takes the world with a larger token.
    const newOwner = await until('b or c owns world 1', async () => {
      const o = (await ownersFrom(b))['1'];
      return o === 'b' || o === 'c' ? (o === 'b' ? b : c) : null;
    });
    const held = (await newOwner.api('GET', '/api/v1/cluster')).json.held as Array<{ worldId: string; fencingToken: number }>;
    const tokenNew = held.find((h) => h.worldId === '1')!.fencingToken;
    expect(tokenNew).toBeGreaterThan(tokenA);
    // The players come back through their original instances and play on the new owner.
    const back: WorldtickClient[] = [];
    for (const via of [b, c]) {
      const p = client(via.gameUrl);
      await p.connect();
      await p.join('1', `back-${via.id}`);
      expect(p.url).toBe(newOwner.gameUrl);
      const s = p.sendInput(1, 1);
      await p.waitFor((m) => m.type === 17 && m.ack >= s, 10_000);
      back.push(p);
    }
    // a stopped heartbeating: it disappears from the others' instance lists.
    await until(
      'a gone from the instance list',
      async () => !(await b.api('GET', '/api/v1/cluster')).json.instances.some((i: { id: string }) => i.id === 'a'),
    );
    // Let the partition last a little longer than one lease TTL, then heal.
    await new Promise((r) => setTimeout(r, Math.max(0, cutAt + TTL_S * 1000 + 500 - Date.now())));
    proxy.heal();
    await until(
      'a reachable again and sees the new owner',
      async () => {
        const v = (await a.api('GET', '/api/v1/cluster')).json;
        return (
          v.reachable &&
          v.instances.some((i: { id: string }) => i.id === 'a') &&
          v.leases.find((l: { worldId: string }) => l.worldId === '1')?.instanceId === newOwner.id
        );
      },
      20_000,
    );
    const va = (await a.api('GET', '/api/v1/cluster')).json;
    expect(va.held).toEqual([]); // a steps nothing and has no fence to write with
    expect(va.counters.leasesLost).toBeGreaterThanOrEqual(1);
    // A player arriving at a now is redirected to the new owner.
    const again = client(a.gameUrl);
    await again.connect();
    await again.join('1', 'again');
    expect(again.url).toBe(newOwner.gameUrl);
    for (const p of [...back, again]) p.close();

    // No overlap: every step of world 1, on every instance, with wall times.
    const ranges: StepRange[] = [];
    for (const i of inst)
      ranges.push(...((await i.api('GET', '/api/v1/cluster')).json.stepRanges as StepRange[]).filter((r) => r.worldId === '1'));
    expect(ranges.filter((r) => r.instanceId === 'a').length).toBeGreaterThan(0);
    expect(ranges.filter((r) => r.instanceId === newOwner.id).length).toBeGreaterThan(0);
    expect(overlaps(ranges)).toEqual([]);
    // a's steps all carry its token (or an earlier one of its own: under load a's lease can lapse while
    // b and c start, and a takes the world again with the next token) and all ended before the new
    // owner's first step began.
    const firstNew = Math.min(...ranges.filter((r) => r.instanceId === newOwner.id).map((r) => r.startMs));
    for (const r of ranges.filter((x) => x.instanceId === 'a')) {
      expect(r.fencingToken).toBeLessThanOrEqual(tokenA);
      expect(r.endMs).toBeLessThan(firstNew);
    }
    // Fencing: writes carrying the tokens in the order the steps happened are accepted by the
    // durable store; a's token after the new owner's is refused (WT_ERR_STORE_FENCED).
    const store = new SqliteStore({ dataDir: dir });
    try {
      for (const r of [...ranges].sort((x, y) => x.startMs - y.startMs)) await store.fence({ worldId: '1', token: r.fencingToken });
      expect(await store.currentFence('1')).toBe(tokenNew);
      await expect(store.putWorldConfig('1', { stale: true }, { fence: { worldId: '1', token: tokenA } })).rejects.toMatchObject({
        code: 'WT_ERR_STORE_FENCED',
      });
    } finally {
      await store.close();
    }
  }, 90_000);
});
