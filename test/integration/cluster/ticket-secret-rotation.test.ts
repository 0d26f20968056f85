/**
 * A rotation of the redirect-ticket secret, half done: instances of one cluster run with different
 * `--cluster-secret`s (restarted one at a time). Found in a rolling token-rotation walk-through: a
 * player redirected from an instance with one secret to the owner with the other was refused
 * `BAD_TICKET` (close 4016), 2 of 2 bots. Now an instance given the old secret as
 * `--cluster-secret-previous` accepts tickets it signed (counted), and still signs with the new one.
 * Real instances (in process), real redis-server, real PostgreSQL, real WebSocket clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster ticket secrets differ');

const OLD = 'old-cluster-secret-0123456789';
const NEW = 'new-cluster-secret-0123456789';

/** Joins `world` through `via`; the URL it ended on, or the close code and wire code of a refusal. */
const joinVia = async (via: RuntimeInstance, world: string, player: string) => {
  const c = new WorldtickClient({ url: via.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  try {
    await c.join(world, player);
    return { url: c.url, redirects: c.stats.redirects };
  } catch (err) {
    await c.closed();
    return { refused: (err as { details?: { wireCode?: string } }).details?.wireCode, closeCode: c.closeCode };
  } finally {
    c.close();
  }
};

describe.skipIf(skip !== null)('cluster: instances with different ticket secrets (a rotation)', () => {
  const pg = sharedPg as PgServer;
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = sharedStoreArgs(redis, pg);
    // b: not restarted yet (old secret). a: restarted with the new one alone. c: the new one, the old accepted.
    inst.push(await startRuntimeInstance('a', [...args, '--cluster-secret', NEW]));
    inst.push(await startRuntimeInstance('b', [...args, '--cluster-secret', OLD]));
    inst.push(await startRuntimeInstance('c', [...args, '--cluster-secret', NEW, '--cluster-secret-previous', OLD]));
    // d: step a. of the documented rotation (still signs with the old secret, accepts the new one).
    inst.push(await startRuntimeInstance('d', [...args, '--cluster-secret', OLD, '--cluster-secret-previous', NEW]));
    for (const [i, w] of [
      [0, 'wa'],
      [1, 'wb'],
      [2, 'wc'],
      [3, 'wd'],
    ] as const)
      expect((await createWorld(inst[i], { id: w, npcs: 5 }, '?placement=local')).status).toBe(201);
    await until('every instance sees 3 instances and the owners', async () => {
      for (const i of inst) {
        if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 4) return false;
        const o = await ownersFrom(i);
        if (o.wa !== 'a' || o.wb !== 'b' || o.wc !== 'c' || o.wd !== 'd') return false;
      }
      return true;
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await pg.destroy();
  }, 30_000);

  it('without the previous secret, the owner refuses a ticket signed with the old one: BAD_TICKET, close 4016', async () => {
    const [, b] = inst;
    expect(await joinVia(b, 'wa', 'p1')).toEqual({ refused: 'BAD_TICKET', closeCode: 4016 });
  });

  it('with it, the owner accepts the ticket (counted) and the player joins', async () => {
    const [a, b, c] = inst;
    expect(await joinVia(b, 'wc', 'p2')).toEqual({ url: c.gameUrl, redirects: 1 });
    const metrics = (await c.api('GET', '/metrics')).text;
    expect(metrics).toMatch(/^worldtick_cluster_tickets_previous_secret_total 1$/m);
    // A ticket signed with the new secret is the current one's: not counted.
    expect(await joinVia(a, 'wc', 'p3')).toEqual({ url: c.gameUrl, redirects: 1 });
    const after = (await c.api('GET', '/metrics')).text;
    expect(after).toMatch(/^worldtick_cluster_tickets_previous_secret_total 1$/m);
    // Start line: which secrets verify tickets, by name, never their text.
    const line = c.lines.find((l) => l.msg === 'cluster: redirect tickets accepted');
    expect(line?.ticketSecrets).toEqual(['--cluster-secret (signs)', '--cluster-secret-previous (accept only)']);
    expect(JSON.stringify(c.lines)).not.toContain(OLD);
  });

  it('the previous secret never signs: c redirects to b (old secret only) with a ticket b refuses', async () => {
    const [, , c] = inst;
    expect(await joinVia(c, 'wb', 'p4')).toEqual({ refused: 'BAD_TICKET', closeCode: 4016 });
  });

  it('the documented two-step rotation lets players in both ways: d (old signs, new accepted) and c (new signs, old accepted)', async () => {
    const [, , c, d] = inst;
    expect(await joinVia(c, 'wd', 'p5')).toEqual({ url: d.gameUrl, redirects: 1 });
    expect(await joinVia(d, 'wc', 'p6')).toEqual({ url: c.gameUrl, redirects: 1 });
    expect((await d.api('GET', '/metrics')).text).toMatch(/^worldtick_cluster_tickets_previous_secret_total 1$/m);
  });
});
