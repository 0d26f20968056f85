/**
 * Bytes of one dashboard poll of a world's stats (docs/ADMIN.md "Dashboard"): a real runtime with a
 * `--npcs`-NPC default world stepping at 20 Hz, polled every 500 ms as the dashboard does, in the
 * same run both ways — `GET /api/v1/worlds/1/stats` whole (the dashboard before: the 240-step
 * history every poll) and `?since=<last step seen>` (the dashboard now: only the new samples) —
 * then the real page in headless Chromium for `--seconds`, counting the stats it receives.
 *
 *   npm run bench -- dashboard-poll    (or npx tsx bench/dashboard-poll.ts [--npcs 2000] [--polls 20] [--seconds 10])
 *
 * Figures are response body bytes (JSON text, no HTTP headers). Writes bench/results/dashboard-poll.json.
 */
import os from 'node:os';
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
const TOKEN = 'dashboard-poll-bench-token';
const POLL_MS = 500;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const r = (n: number, d = 0): number => Math.round(n * 10 ** d) / 10 ** d;

/** Mean, min and max of byte counts. */
const figures = (bytes: number[]) => ({
  polls: bytes.length,
  meanBytes: r(bytes.reduce((a, b) => a + b, 0) / Math.max(1, bytes.length)),
  minBytes: Math.min(...bytes),
  maxBytes: Math.max(...bytes),
});

const run = async (ctx: SuiteContext): Promise<void> => {
  const npcs = arg('npcs', 2000);
  const polls = arg('polls', ctx.quick ? 6 : 20);
  const seconds = arg('seconds', ctx.quick ? 4 : 10);
  const data = tempDataDir('wt-dashboard-poll-');
  const flags = ['--npcs', String(npcs), '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN];
  const runtime = createRuntime(parseOptions([...flags, '--data-dir', data.dir], {}), createLogger('silent'));
  await runtime.start();
  const base = `http://127.0.0.1:${runtime.admin.port}`;
  const stats = async (query: string) => {
    const res = await fetch(`${base}/api/v1/worlds/1/stats${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`stats${query}: ${res.status} ${text.slice(0, 200)}`);
    const history = (JSON.parse(text) as { history: { steps: number[] } }).history;
    return { bytes: Buffer.byteLength(text), historyBytes: Buffer.byteLength(JSON.stringify(history)), steps: history.steps };
  };
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await sleep(15_000); // the 240-step history fills (12 s at 20 Hz)
    // Whole and incremental polls alternate, so both see the same world at the same moments.
    const whole: number[] = [];
    const wholeHistory: number[] = [];
    const since: number[] = [];
    const sinceHistory: number[] = [];
    const samples: number[] = [];
    let last = (await stats('')).steps.at(-1) ?? -1;
    for (let i = 0; i < polls; i++) {
      await sleep(POLL_MS);
      const w = await stats('');
      whole.push(w.bytes);
      wholeHistory.push(w.historyBytes);
      const s = await stats(`?since=${last}`);
      since.push(s.bytes);
      sinceHistory.push(s.historyBytes);
      samples.push(s.steps.length);
      last = s.steps.at(-1) ?? last;
    }
    const before = figures(whole);
    const after = figures(since);
    ctx.record('whole', { ...before, historyMeanBytes: figures(wholeHistory).meanBytes });
    ctx.record('since', { ...after, historyMeanBytes: figures(sinceHistory).meanBytes, samplesPerPoll: figures(samples).meanBytes });
    ctx.record('saved', { bytesPerPoll: before.meanBytes - after.meanBytes, ratio: r(after.meanBytes / before.meanBytes, 3) });

    // The real page: the stats it receives (its first poll whole, then `?since=`).
    const tab = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const page = { first: 0, since: [] as number[] };
    tab.on('response', async (res) => {
      const u = new URL(res.url());
      if (u.pathname !== '/api/v1/worlds/1/stats') return;
      const body = await res.body().catch(() => null);
      if (!body) return;
      if (u.searchParams.has('since')) page.since.push(body.length);
      else page.first = body.length;
    });
    await tab.goto(`${base}/#token=${encodeURIComponent(TOKEN)}`);
    await sleep(seconds * 1000);
    ctx.record('page', { firstStatsBytes: page.first, ...figures(page.since), loadAvg: os.loadavg().map((l) => r(l, 2)) });
    ctx.log(
      `stats per poll: whole ${before.meanBytes} B, since ${after.meanBytes} B (${samples.length ? figures(samples).meanBytes : 0} samples); page ${figures(page.since).meanBytes} B`,
    );
  } finally {
    await browser.close();
    await runtime.stop();
    data.remove();
  }
};

const dashboardPollSuite: Suite = { name: 'dashboard-poll', run };
export default dashboardPollSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(dashboardPollSuite, process.argv.includes('--quick'));
  process.exit(0);
}
