/**
 * The dashboard shows draining (docs/ADMIN.md "Dashboard", docs/CLUSTER.md "Draining an instance"): two
 * in-process instances on a real redis-server, the dashboard of each in headless Chromium. `b` (it owns
 * no world: its drain moves nothing) is drained with `POST /api/v1/cluster/drain`: b's own dashboard
 * shows the header marker and marks its row in the cluster table; a's dashboard marks b's row (b
 * announces capacity 0) and not its own. `DELETE /api/v1/cluster/drain` clears the markers.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TOKEN, ownersFrom, until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = findRedisServer() === null || !existsSync(CHROMIUM);
if (skip) console.warn(`dashboard drain marker: skipped (needs redis-server and ${CHROMIUM})`);

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
    const args = ['--redis', redis.url, '--npcs', '50', '--lease-ttl', '1', '--stats-interval', '0'];
    inst.push(await startRuntimeInstance('a', args));
    await until('a owns world 1', async () => (await ownersFrom(inst[0]))['1'] === 'a');
    inst.push(await startRuntimeInstance('b', args));
    await until('both see 2 instances', async () => {
      for (const i of inst) if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      return true;
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
  }, 30_000);

  it('marks the draining instance on its own dashboard and on the others', async () => {
    const [a, b] = [inst[0], inst[1]];
    const errors: string[] = [];
    const open = async (i: RuntimeInstance): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${i.adminUrl}/#token=${encodeURIComponent(CLUSTER_TOKEN)}`);
      await page.waitForFunction(() => document.querySelectorAll('#cluster tbody tr').length === 2, undefined, { timeout: 15_000 });
      return page;
    };
    const [pa, pb] = [await open(a), await open(b)];
    expect(await marks(pa)).toEqual({ header: false, rows: [] });
    expect(await marks(pb)).toEqual({ header: false, rows: [] });

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

    expect((await b.api('DELETE', '/api/v1/cluster/drain')).status).toBe(200);
    await until(
      'the marks gone',
      async () => {
        const [ma, mb] = [await marks(pa), await marks(pb)];
        return !ma.header && !mb.header && ma.rows.length === 0 && mb.rows.length === 0;
      },
      20_000,
    );
    expect(errors).toEqual([]);
  }, 60_000);
});
