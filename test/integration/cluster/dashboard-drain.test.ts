/**
 * The dashboard shows draining (docs/ADMIN.md "Dashboard", docs/CLUSTER.md "Draining an instance"): two
 * in-process instances on a real redis-server, the dashboard of each in headless Chromium. `b` (it owns
 * no world: its drain moves nothing) is drained with `POST /api/v1/cluster/drain`: b's own dashboard
 * shows the header marker and marks its row in the cluster table; a's dashboard marks b's row (b's
 * instance record says `draining: true`, as `GET /api/v1/cluster` shows) and not its own. `DELETE
 * /api/v1/cluster/drain` clears the markers. Then b stops cleanly: it announces capacity 0 too, but is not
 * draining — neither its record nor a's dashboard says so (before, the dashboard read capacity 0 as draining).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TOKEN, ownersFrom, until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { type RedisTestServer, redisServerFor, startRedisServer } from '../../helpers/redis-server.js';
import { chromiumFor, HEADLESS_ARGS, launchChromium } from '../../helpers/chromium.js';

const skip = redisServerFor('dashboard drain marker') === null || !chromiumFor('dashboard drain marker');

/** `instance`'s record (capacity, draining flag) as `from` sees it in `GET /api/v1/cluster`. */
const recordOf = async (from: RuntimeInstance, instance: string) => {
  const r = await from.api('GET', '/api/v1/cluster');
  const i = (r.json.instances as Array<{ id: string; capacity: number; draining?: unknown }>).find((x) => x.id === instance);
  return i ? { capacity: i.capacity, draining: i.draining } : null;
};

/** The draining marks a dashboard shows: its header badge, and the instances whose cluster row is marked. */
const marks = (page: Page) =>
  page.evaluate(() => ({
    header: !(document.getElementById('drain') as HTMLElement).hidden,
    rows: [...document.querySelectorAll<HTMLElement>('#cluster tbody tr')]
      .filter((tr) => tr.dataset.draining === 'true' && tr.querySelector('.drain') !== null)
      .map((tr) => tr.dataset.instance),
  }));

describe.skipIf(skip)('dashboard: the draining marker', () => {
  let redis: RedisTestServer;
  const inst: RuntimeInstance[] = [];
  let browser: Browser;

  beforeAll(async () => {
    redis = await startRedisServer();
    // A 3 s TTL (presence too), not 1 s: both instances run in this process beside Chromium, and a stall of
    // it past the TTL dropped b from a's view (eleventh stress run); control ticks still come every second.
    const args = ['--redis', redis.url, '--npcs', '50', '--lease-ttl', '3', '--stats-interval', '0'];
    inst.push(await startRuntimeInstance('a', args));
    await until('a owns world 1', async () => (await ownersFrom(inst[0]))['1'] === 'a');
    inst.push(await startRuntimeInstance('b', args));
    await until('both see 2 instances', async () => {
      for (const i of inst) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return true;
    });
    browser = await launchChromium([...HEADLESS_ARGS, '--no-first-run']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
  }, 30_000);

  /** Script errors of the pages opened. */
  const errors: string[] = [];
  /** `i`'s dashboard, once it lists both instances. */
  const open = async (i: RuntimeInstance): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${i.adminUrl}/#token=${encodeURIComponent(CLUSTER_TOKEN)}`);
    await page.waitForFunction(() => document.querySelectorAll('#cluster tbody tr').length === 2, undefined, { timeout: 15_000 });
    return page;
  };

  it('marks the draining instance on its own dashboard and on the others', async () => {
    const [a, b] = [inst[0], inst[1]];
    const [pa, pb] = [await open(a), await open(b)];
    expect(await marks(pa)).toEqual({ header: false, rows: [] });
    expect(await marks(pb)).toEqual({ header: false, rows: [] });
    expect(await recordOf(a, 'b')).toMatchObject({ draining: false });

    const drained = await b.api('POST', '/api/v1/cluster/drain');
    expect(drained.status, drained.text).toBe(200);
    expect((await b.api('GET', '/metrics')).text).toMatch(/^worldtick_cluster_draining 1$/m);
    await until(
      'b marked draining on both dashboards',
      async () => {
        const [ma, mb] = [await marks(pa), await marks(pb)];
        return !ma.header && ma.rows.join() === 'b' && mb.header && mb.rows.join() === 'b';
      },
      20_000,
    );
    expect(await recordOf(a, 'b')).toEqual({ capacity: 0, draining: true });
    expect(await recordOf(b, 'b')).toEqual({ capacity: 0, draining: true });
    expect(await recordOf(a, 'a')).toMatchObject({ draining: false });

    expect((await b.api('DELETE', '/api/v1/cluster/drain')).status).toBe(200);
    await until(
      'the marks gone',
      async () => {
        const [ma, mb] = [await marks(pa), await marks(pb)];
        return !ma.header && !mb.header && ma.rows.length === 0 && mb.rows.length === 0;
      },
      20_000,
    );
    expect(await recordOf(a, 'b')).toMatchObject({ draining: false });
    expect(errors).toEqual([]);
    await Promise.all([pa.close(), pb.close()]);
  }, 60_000);

  it('does not mark an instance that stops cleanly (capacity 0, not draining)', async () => {
    const [a, b] = [inst[0], inst[1]];
    const pa = await open(a);
    // b's stop announces capacity 0 first; it is held right there (its register answered) until a's API and
    // dashboard show it, then its stop goes on.
    const coord = b.runtime.cluster.coordinator;
    const register = coord.register.bind(coord);
    let seen: { api: unknown; marks: unknown } | null = null;
    coord.register = async (info, ttlMs) => {
      await register(info, ttlMs);
      if (info.capacity !== 0 || seen) return;
      await until('a sees b at capacity 0', async () => (await recordOf(a, 'b'))?.capacity === 0, 20_000);
      await until('a dashboard shows b at capacity 0', () =>
        pa.evaluate(() => document.querySelector('#cluster tbody tr[data-instance="b"]')?.textContent?.includes('0 / 0') === true),
      );
      seen = { api: await recordOf(a, 'b'), marks: await marks(pa) };
    };
    await b.stop();
    expect(seen).toEqual({ api: { capacity: 0, draining: false }, marks: { header: false, rows: [] } });
    expect(errors).toEqual([]);
  }, 60_000);
});
