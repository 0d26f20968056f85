/**
 * The dashboard's empty states and polls (docs/ADMIN.md "Dashboard"): with no world it says so and
 * hides the world's panels (also once the last world is deleted); a world before its first step
 * sample says it waits for one; after a world's first stats the page asks `?since=<last step
 * charted>` and merges the new samples into its chart; a hidden tab polls nothing and polls at once
 * when shown again. A real admin server on a loop runner that is not started (so worlds step only
 * when the API steps them: their samples are known) and the real page in headless Chromium.
 *
 * Headless Chromium never reports a tab hidden (checked: another tab brought to the front, the
 * window minimised through CDP, a lifecycle freeze — `document.visibilityState` stays `visible`),
 * so the test sets `document.visibilityState` on the page and fires the browser's
 * `visibilitychange` event, as the browser does.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer, createTelemetry } from '../../../src/admin/index.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { call, TOKEN } from './harness.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const haveChromium = chromiumFor('dashboard polls test');

const text = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.textContent ?? '', id);
const shown = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.hidden === false, id);
/** Whether every panel of the selected world is hidden. */
const worldPanelsHidden = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.world-panel')].map((el) => el.hidden));

/** Set the page's visibility and fire `visibilitychange`; answers the fetches the page started during the event. */
const setVisibility = (page: Page, v: 'hidden' | 'visible') =>
  page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    const real = window.fetch;
    let calls = 0;
    window.fetch = (...args: Parameters<typeof fetch>) => {
      calls++;
      return real(...args);
    };
    document.dispatchEvent(new Event('visibilitychange'));
    window.fetch = real;
    return calls;
  }, v);

/** A world that steps only when the API steps it. */
const PAUSED = { npcs: 5, capacity: 50, config: { simulation: { pauseSimulation: true } } };

describe.skipIf(!haveChromium)('dashboard empty states and polls in headless Chromium', () => {
  let admin: AdminServer;
  let base: string;
  let browser: Browser;
  beforeAll(async () => {
    admin = createAdminServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      tokenGenerated: false,
      runner: new LoopRunner(),
      logger: createLogger('silent'),
      telemetry: createTelemetry(),
      isReady: () => true,
      printUrl: false,
    });
    await admin.start();
    base = `http://127.0.0.1:${admin.port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await admin?.stop();
  });

  const step = async (id: string, n: number) =>
    expect((await call(base, 'POST', `/api/v1/worlds/${id}/scheduler/step`, { body: { n } })).status).toBe(200);
  const open = async (): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/#token=${encodeURIComponent(TOKEN)}`);
    return { page, errors };
  };

  it('no worlds yet; a world waiting for its first sample, then charted; no world again once it is deleted', {
    timeout: 45_000,
  }, async () => {
    const { page, errors } = await open();
    // No world: said so, the world's panels hidden, the page live.
    await expect.poll(() => shown(page, 'worlds-empty'), { timeout: 15_000 }).toBe(true);
    expect(await text(page, 'worlds-empty')).toMatch(/^No worlds yet: create one with POST \/api\/v1\/worlds/);
    expect(await worldPanelsHidden(page)).toEqual([true, true, true]);
    await expect.poll(() => text(page, 'conn')).toBe('live');

    // A world that has not stepped: selected, its panels shown, the chart waiting for its first sample.
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { ...PAUSED, id: 'w' } })).status).toBe(201);
    await expect.poll(() => text(page, 'sel-id'), { timeout: 10_000 }).toBe('w');
    expect(await shown(page, 'worlds-empty')).toBe(false);
    expect(await worldPanelsHidden(page)).toEqual([false, false, false]);
    await expect.poll(() => text(page, 'cost-info')).toBe('waiting for the first sample (paused: Step or Resume it)');
    await expect.poll(() => text(page, 'trigger-history')).toBe('no trigger yet'); // a paused world runs no periodic task
    await step('w', 1);
    await expect.poll(() => text(page, 'cost-info'), { timeout: 10_000 }).toMatch(/^last [\d.]+ ms, avg/);

    // The last world deleted: no world again, its figures gone with its panels.
    expect((await call(base, 'DELETE', '/api/v1/worlds/w')).status).toBe(200);
    await expect.poll(() => shown(page, 'worlds-empty'), { timeout: 10_000 }).toBe(true);
    expect(await worldPanelsHidden(page)).toEqual([true, true, true]);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('after the first samples of a world, polls ask for the newer ones only (?since=) and the chart merges them', {
    timeout: 45_000,
  }, async () => {
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { ...PAUSED, id: 'inc' } })).status).toBe(201);
    const { page, errors } = await open();
    const stats: Array<{ since: string | null; steps: number[] }> = [];
    page.on('response', async (r) => {
      const u = new URL(r.url());
      if (u.pathname !== '/api/v1/worlds/inc/stats') return;
      const body = await r.json().catch(() => null);
      if (body) stats.push({ since: u.searchParams.get('since'), steps: body.history.steps });
    });
    await expect.poll(() => text(page, 'sel-id'), { timeout: 15_000 }).toBe('inc');
    const charted = () => page.locator('#cost').getAttribute('data-last-step');
    await step('inc', 5);
    await expect.poll(charted, { timeout: 10_000 }).toBe('4');
    await step('inc', 3);
    await expect.poll(charted, { timeout: 10_000 }).toBe('7');
    // The responses read here lag the page a little: up to a poll (1 s), more on a loaded machine.
    await expect.poll(() => stats.at(-1)?.since, { timeout: 10_000 }).toBe('7');
    // Until a sample was charted the stats were asked for whole; after it, only the newer samples
    // were, and each sample came once.
    const first = stats.findIndex((p) => p.steps.length > 0);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(stats.slice(0, first + 1).map((p) => p.since)).toEqual(stats.slice(0, first + 1).map(() => null));
    expect(stats.length).toBeGreaterThan(first + 1);
    for (const p of stats.slice(first + 1)) {
      expect(p.since).not.toBeNull();
      for (const s of p.steps) expect(s).toBeGreaterThan(Number(p.since));
    }
    expect(stats.flatMap((p) => p.steps)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The chart holds each sample once.
    expect(await page.locator('#cost').getAttribute('data-samples')).toBe('8');
    expect((await call(base, 'DELETE', '/api/v1/worlds/inc')).status).toBe(200);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('a hidden tab polls nothing; shown again it polls at once', { timeout: 30_000 }, async () => {
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { id: 'v', npcs: 5, capacity: 50 } })).status).toBe(201);
    const { page, errors } = await open();
    let requests = 0;
    page.on('request', (r) => new URL(r.url()).pathname.startsWith('/api/') && requests++);
    await page.click('#worlds tbody tr[data-world="v"]', { timeout: 15_000 });
    await expect.poll(() => text(page, 'sel-id')).toBe('v');
    await expect.poll(() => text(page, 'conn')).toBe('live');

    expect(await setVisibility(page, 'hidden')).toBe(0);
    await page.waitForTimeout(1000); // a poll on its way when the tab was hidden ends
    const before = requests;
    // Several poll periods (500 ms) later: no request; the badge says why.
    await page.waitForTimeout(2500);
    expect(requests).toBe(before);
    expect(await text(page, 'conn')).toBe('paused: tab hidden');

    // Shown again: the worlds are asked for during the event itself, not at the next period.
    expect(await setVisibility(page, 'visible')).toBeGreaterThan(0);
    await expect.poll(() => text(page, 'conn')).toBe('live');
    await expect.poll(() => requests).toBeGreaterThan(before + 3);
    await page.close();
    expect(errors).toEqual([]);
  });
});
