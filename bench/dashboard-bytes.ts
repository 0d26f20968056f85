/**
 * What one open dashboard tab pulls from the admin API with many worlds (docs/ADMIN.md "Sizing
 * --max-worlds"): a real runtime with `--worlds` small running worlds (no NPC, capacity 50), the
 * real dashboard (src/admin/dashboard) in headless Chromium for `--seconds` of wall time; every
 * response body the page receives is counted by route (the selected world's own routes apart).
 *
 *   npm run bench -- dashboard-bytes    (or npx tsx bench/dashboard-bytes.ts [--worlds 300] [--seconds 20])
 *
 * Also the size and build time of `GET /api/v1/worlds` whole and of a page of it. Writes
 * bench/results/dashboard-bytes.json (machine load from os.loadavg).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseOptions } from '../src/cli/options.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite, type SuiteContext } from './harness.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const TOKEN = 'dashboard-bytes-bench-token';
const r = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

/** The route a dashboard request is counted under: the list, the cluster view, or the selected world's routes. */
const routeOf = (url: string): string => {
  const u = new URL(url);
  if (u.pathname === '/api/v1/worlds') return '/api/v1/worlds';
  if (u.pathname.startsWith('/api/v1/worlds/')) return '/api/v1/worlds/{id}/…';
  return u.pathname;
};

const run = async (ctx: SuiteContext): Promise<void> => {
  const worlds = arg('worlds', 300);
  const seconds = arg('seconds', ctx.quick ? 6 : 20);
  const data = tempDataDir('wt-dashboard-bytes-');
  const flags = ['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN];
  const runtime = createRuntime(
    parseOptions([...flags, '--data-dir', data.dir, '--max-worlds', String(worlds + 1)], {}),
    createLogger('silent'),
  );
  await runtime.start();
  const base = `http://127.0.0.1:${runtime.admin.port}`;
  const get = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(text), ms: r(performance.now() - t0) };
  };
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    for (let i = 0; i < worlds - 1; i++) {
      const res = await fetch(`${base}/api/v1/worlds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `m-${String(i).padStart(3, '0')}`, npcs: 0, capacity: 50 }),
      });
      if (res.status !== 201) throw new Error(`create m-${i}: ${res.status} ${await res.text()}`);
    }
    const listed = runtime.runner.worlds().length;
    ctx.log(`${listed} worlds running`);
    const whole = [];
    const page = [];
    for (let i = 0; i < 5; i++) {
      whole.push(await get('/api/v1/worlds'));
      page.push(await get('/api/v1/worlds?limit=25'));
    }
    ctx.record('list', {
      worlds: listed,
      wholeBytes: whole[0]?.bytes,
      wholeMs: whole.map((x) => x.ms),
      page25Status: page[0]?.status,
      page25Bytes: page[0]?.bytes,
      page25Ms: page.map((x) => x.ms),
      loadAvg: os.loadavg().map((l) => r(l, 2)),
    });

    const tab = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const bytes = new Map<string, { requests: number; bytes: number }>();
    let counting = false;
    tab.on('response', async (res) => {
      if (!counting || !res.url().includes('/api/')) return;
      const body = await res.body().catch(() => null);
      if (!body) return;
      const k = routeOf(res.url());
      const e = bytes.get(k) ?? { requests: 0, bytes: 0 };
      e.requests++;
      e.bytes += body.length;
      bytes.set(k, e);
    });
    await tab.goto(`${base}/#token=${encodeURIComponent(TOKEN)}`);
    await tab.waitForFunction(() => document.querySelectorAll('#worlds tbody tr').length > 0, undefined, { timeout: 30_000 });
    counting = true;
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, seconds * 1000));
    counting = false;
    const wallS = (performance.now() - t0) / 1000;
    const perRoute: Record<string, { requestsPerS: number; bytesPerS: number }> = {};
    let total = 0;
    for (const [k, v] of bytes) {
      perRoute[k] = { requestsPerS: r(v.requests / wallS, 2), bytesPerS: r(v.bytes / wallS, 0) };
      total += v.bytes;
    }
    const rows = await tab.locator('#worlds tbody tr').count();
    ctx.record('dashboard', { wallS: r(wallS, 2), rowsShown: rows, bytesPerS: r(total / wallS, 0), perRoute, loadAvg: os.loadavg() });
    ctx.log(`dashboard: ${r(total / wallS / 1024)} KiB/s (${rows} rows shown) ${JSON.stringify(perRoute)}`);
  } finally {
    await browser.close();
    await runtime.stop();
    data.remove();
  }
};

const dashboardBytesSuite: Suite = { name: 'dashboard-bytes', run };
export default dashboardBytesSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(dashboardBytesSuite, process.argv.includes('--quick'));
  process.exit(0);
}
