/**
 * Cluster mode end to end: a real redis-server, three worldtick instances in child processes
 * (`--redis`), real WebSocket clients. Clients that connect to the wrong instance are
 * redirected (message 21 + signed ticket) and end up on the world's owner, and stay there
 * (resume goes to the owner); admin routes work on any instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { LightBot } from '../../../src/bots/light-bot.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import {
  CLUSTER_TOKEN,
  ownersFrom,
  startDefaultOwnerThenRest,
  until,
  type TestInstance,
  createWorld,
} from '../../helpers/cluster-instances.js';
import { chromiumFor, HEADLESS_ARGS, launchChromium } from '../../helpers/chromium.js';

const bin = findRedisServer();
if (!bin) console.warn('redirect-affinity: redis-server is not installed (apt-get install -y redis-server, or .ci/run): skipped');

const client = (url: string): WorldtickClient => new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });

describe.skipIf(!bin)('cluster: redirect and affinity', () => {
  let redis: RedisTestServer;
  const inst: TestInstance[] = [];
  const byId = (id: string): TestInstance => inst.find((i) => i.id === id)!;

  beforeAll(async () => {
    redis = await startRedisServer();
    // Lease TTL 5 s. The last case waits for a killed instance's presence and lease to lapse (about 2 s more than at
    // 3 s), but the others hold clients on the owners for their length: at 2 s, a three-copy cluster run at load 20-25
    // lapsed an owner's lease in the first case (its client closed 4015 `lease lost`); at 3 s one at load 25-31 did
    // again, and world 1 moved before the dashboard case. A SIGSTOP of a of 2.6 or 2.9 s in the first case reproduces
    // both at 3 s; at 5 s all cases pass with it.
    const args = ['--redis', redis.url, '--npcs', '200', '--lease-ttl', '5', '--stats-interval', '0', '--log-level', 'info'];
    // a first, so it owns the default world "1"; b and c (loading their modules meanwhile) hold standby copies.
    await startDefaultOwnerThenRest(inst, ['a', 'b', 'c'], args);
    expect((await createWorld(inst[1], { id: 'wb', npcs: 50 }, '?placement=local')).status).toBe(201);
    expect((await createWorld(inst[2], { id: 'wc', npcs: 50 }, '?placement=local')).status).toBe(201);
    await until('every instance sees 3 instances and 3 leases', async () => {
      for (const i of inst) {
        const r = (await i.api('GET', '/api/v1/cluster')).json;
        if (r.instances.length !== 3 || r.leases.length !== 3) return false;
      }
      return true;
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
  }, 30_000);

  it('clients that connect to the wrong instance end up on the owner and stay there', async () => {
    const owners = await ownersFrom(inst[0]);
    expect(owners).toEqual({ '1': 'a', wb: 'b', wc: 'c' });
    const clients: Array<{ c: WorldtickClient; world: string; via: string }> = [];
    for (const world of ['1', 'wb', 'wc']) {
      for (const via of inst) {
        const c = client(via.gameUrl);
        await c.connect();
        const welcome = await c.join(world, `p-${world}-${via.id}`);
        expect(welcome.type).toBe(16);
        const owner = byId(owners[world]);
        expect(c.url).toBe(owner.gameUrl);
        expect(c.stats.redirects).toBe(via === owner ? 0 : 1);
        clients.push({ c, world, via: via.id });
      }
    }
    // They play on the owner: snapshots keep coming on the same socket, inputs are acknowledged.
    for (const { c } of clients) {
      const seq = c.sendInput(1, 0);
      await c.waitFor((m) => m.type === 17 && m.ack >= seq, 10_000);
      expect(c.open).toBe(true);
    }
    // Each owner serves all three sessions of its world; the others serve none of it.
    for (const world of ['1', 'wb', 'wc']) {
      const stats = await byId(owners[world]).api('GET', `/api/v1/worlds/${world}/stats`);
      expect(stats.json.sessions.inWorld).toBe(3);
    }
    const standby = await inst[1].api('GET', '/api/v1/cluster');
    expect(standby.json.held.map((h: { worldId: string }) => h.worldId)).toEqual(['wb']);
    // Affinity across a reconnect: the client reconnects to the URL it ended on (the owner) and resumes.
    const { c: first } = clients.find((x) => x.world === 'wc' && x.via === 'a')!;
    const resume = first.welcome!.resumeToken;
    first.close();
    await first.closed();
    const again = client(first.url);
    await again.connect();
    const w2 = await again.join('wc', 'p-wc-a', '', resume);
    expect(w2.resumed).toBe(true);
    expect(again.stats.redirects).toBe(0);
    again.close();
    for (const { c } of clients) c.close();
  }, 60_000);

  it('load-test bots (light bots) follow redirects too', async () => {
    const samples: number[] = [];
    const bot = new LightBot(inst[2].gameUrl, { update: (ms) => samples.push(ms), ack: () => undefined });
    await bot.join('wb', 'light');
    expect(bot.url).toBe(inst[1].gameUrl);
    expect(bot.stats.redirects).toBe(1);
    await until('snapshots on the owner', () => bot.stats.snapshots > 2, 10_000, 50);
    bot.close();
  });

  it('a forged or misdirected ticket is refused (BAD_TICKET, close 4016)', async () => {
    const c = client(inst[0].gameUrl);
    await c.connect();
    c.sendFrame([1, 1, '1', 'forger', '', null, 'v1.e30.AAAA']);
    const m = await c.waitFor((x) => x.type === 20, 5000);
    expect(m).toMatchObject({ code: 'BAD_TICKET' });
    await c.closed();
    expect(c.closeCode).toBe(4016);
  });

  it("admin routes work on any instance; the world list is the cluster's, with owners", async () => {
    for (const i of inst) {
      const list = await i.api('GET', '/api/v1/worlds');
      expect(list.status).toBe(200);
      const worlds = list.json.worlds as Array<{ id: string; owner: string }>;
      expect(worlds.map((w) => [w.id, w.owner])).toEqual([
        ['1', 'a'],
        ['wb', 'b'],
        ['wc', 'c'],
      ]);
      // A world owned elsewhere is answered by its owner.
      const stats = await i.api('GET', '/api/v1/worlds/wc/stats');
      expect(stats.status).toBe(200);
      expect(stats.json.id).toBe('wc');
      if (i.id !== 'c') expect(stats.headers.get('x-worldtick-owner')).toBe('c');
    }
    // A world id is cluster-wide: creating wb again on another instance is refused.
    const dup = await inst[0].api('POST', '/api/v1/worlds?placement=local', { id: 'wb', npcs: 10 });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { owner: 'b' } });
    // A write through a non-owner lands on the owner.
    const put = await inst[0].api('PUT', '/api/v1/worlds/wb/scheduler/config', { simulation: { timeScale: 7 } });
    expect(put.status).toBe(200);
    const cfg = await inst[1].api('GET', '/api/v1/worlds/wb/scheduler/config');
    expect(cfg.json.simulation?.timeScale ?? cfg.json.config?.simulation?.timeScale).toBe(7);
    // The cluster view in /metrics.
    const metrics = await fetch(`${inst[1].adminUrl}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } }).then((r) =>
      r.text(),
    );
    expect(metrics).toMatch(/^worldtick_cluster_instances 3$/m);
    expect(metrics).toMatch(/^worldtick_cluster_instance_worlds\{instance="b"\} 1$/m);
    expect(metrics).toMatch(/^worldtick_cluster_redirects_total [1-9]/m);
    expect(metrics).toMatch(/^worldtick_cluster_world_owned\{world="wb"\} 1$/m);
    expect(metrics).toMatch(/^worldtick_cluster_lease_renewals_total [1-9]/m);
  }, 30_000);

  it.skipIf(!chromiumFor('cluster dashboard in a browser'))(
    'the dashboard shows the cluster: instances, their worlds, load bars',
    async () => {
      const browser = await launchChromium([...HEADLESS_ARGS, '--no-first-run']);
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${inst[1].adminUrl}/#token=${encodeURIComponent(CLUSTER_TOKEN)}`);
        await page.waitForFunction(() => document.querySelectorAll('#cluster tbody tr').length === 3, undefined, { timeout: 15_000 });
        const rows = await page.$$eval('#cluster tbody tr', (trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        );
        expect(rows.map((r) => [r[0], r[2]])).toEqual([
          ['a', '1'],
          ['b (this)', 'wb'],
          ['c', 'wc'],
        ]);
        expect(await page.locator('#cluster .bar .fill').count()).toBe(9);
        // The worlds table lists the cluster's worlds with where each runs.
        await page.waitForFunction(() => document.querySelectorAll('#worlds tbody tr').length === 3);
        const states = await page.$$eval('#worlds tbody tr', (trs) => trs.map((tr) => tr.children[4].textContent));
        expect(states).toEqual(['on a', 'running (here)', 'on c']);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    30_000,
  );

  it('an instance that stops heartbeating (SIGKILL) disappears, and so does its lease', async () => {
    const c = inst[2];
    c.child.kill('SIGKILL');
    await until("c and its world gone from a's view", async () => {
      const v = (await inst[0].api('GET', '/api/v1/cluster')).json;
      return !v.instances.some((i: { id: string }) => i.id === 'c') && !v.leases.some((l: { worldId: string }) => l.worldId === 'wc');
    });
    const list = await inst[0].api('GET', '/api/v1/worlds');
    expect(list.json.worlds.map((w: { id: string }) => w.id)).toEqual(['1', 'wb']);
  }, 30_000);
});
