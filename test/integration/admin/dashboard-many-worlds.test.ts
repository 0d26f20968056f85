/**
 * The dashboard with many worlds (docs/ADMIN.md "Dashboard", "Sizing --max-worlds"): its worlds
 * table is one page of `GET /api/v1/worlds?limit=25` (never the whole list, which it used to poll
 * twice a second), with the total, and Prev / Next to walk the pages; a world of another page is
 * selected and shown; the cluster view it polls is `?view=summary` (no per-world lists). A real runtime with 60 worlds and the real page in headless Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, TOKEN, useRuntime } from './harness.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const haveChromium = chromiumFor('dashboard many-worlds test');
const WORLDS = 60; // the default world "1" and m-00 … m-58

describe.skipIf(!haveChromium)('dashboard with 60 worlds in headless Chromium', () => {
  let browser: Browser;
  const s = useRuntime(['--npcs', '0', '--max-worlds', String(WORLDS)], 60_000);
  beforeAll(async () => {
    for (let i = 0; i < WORLDS - 1; i++) {
      const id = `m-${String(i).padStart(2, '0')}`;
      expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id, npcs: 0, capacity: 50 } })).status).toBe(201);
    }
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('polls a page of 25, shows the total, pages with Prev / Next, selects a world of page 3', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const lists: URL[] = [];
    const views: URL[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/worlds' && r.method() === 'GET') lists.push(u);
      if (u.pathname === '/api/v1/cluster') views.push(u);
    });
    const ids = () => page.locator('#worlds tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.world));
    const all: string[] = (await call(s.base, 'GET', '/api/v1/worlds')).json.worlds.map((w: { id: string }) => w.id).sort();
    await page.goto(`${s.base}/#token=${encodeURIComponent(TOKEN)}`);
    await page.waitForFunction(() => document.querySelectorAll('#worlds tbody tr').length > 0, undefined, { timeout: 15_000 });
    // One page, in world-id order, and the total.
    await expect.poll(ids).toEqual(all.slice(0, 25));
    await expect.poll(() => page.locator('#worlds-range').textContent()).toBe(`1–25 of ${WORLDS} worlds`);
    expect(await page.locator('#worlds-prev').isDisabled()).toBe(true);
    // Next, next: the second and the last (10) worlds.
    await page.click('#worlds-next');
    await expect.poll(ids).toEqual(all.slice(25, 50));
    await page.click('#worlds-next');
    await expect.poll(ids).toEqual(all.slice(50));
    await expect.poll(() => page.locator('#worlds-range').textContent()).toBe(`51–${WORLDS} of ${WORLDS} worlds`);
    expect(await page.locator('#worlds-next').isDisabled()).toBe(true);
    // A world of the last page: its stats are shown.
    const pick = all[55] ?? '';
    await page.click(`#worlds tbody tr[data-world="${pick}"]`);
    await expect.poll(() => page.locator('#sel-id').textContent()).toBe(pick);
    // Prev: back to the second page.
    await page.click('#worlds-prev');
    await expect.poll(ids).toEqual(all.slice(25, 50));
    // Every list request was a page of 25: the whole list was never asked for.
    expect(lists.length).toBeGreaterThan(3);
    for (const u of lists) expect(u.searchParams.get('limit'), u.search).toBe('25');
    // And the cluster view without its per-world lists.
    expect(views.length).toBeGreaterThan(0);
    for (const u of views) expect(u.searchParams.get('view'), u.search).toBe('summary');
    expect(errors).toEqual([]);
  });
});
