import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { call, sleep, TOKEN, useRuntime } from './harness.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumFor('dashboard browser test');

/** Count canvas pixels close to each RGB colour. */
const countColours = (page: Page, id: string, colours: Record<string, [number, number, number]>) =>
  page.evaluate(
    ({ id, colours }) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const out: Record<string, number> = {};
      for (const k of Object.keys(colours)) out[k] = 0;
      for (let i = 0; i < d.length; i += 4) {
        for (const [k, [r, g, b]] of Object.entries(colours)) {
          if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - g) < 12 && Math.abs(d[i + 2] - b) < 12) out[k]++;
        }
      }
      return out;
    },
    { id, colours },
  );

const worldSeconds = async (page: Page): Promise<number> => Number(await page.locator('#world-time').getAttribute('data-seconds'));

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let browser: Browser;
  const s = useRuntime(['--npcs', '3000']);
  beforeAll(async () => {
    // Two players, so the map has players to draw (and tiers to follow them once tiering runs).
    spawnPlayer(s.runtime.defaultWorld, 500, 500);
    spawnPlayer(s.runtime.defaultWorld, 1500, 1200);
    browser = await launchChromium(ARGS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws the world map, updates live, pauses on click; saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Pause, Enter maintenance and Force mode ask first (dashboard-errors.test.ts): yes.
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${s.base}/#token=${encodeURIComponent(TOKEN)}`);
    // The token left the address bar (it never reached the server: it was in the fragment).
    await page.waitForFunction(() => !location.hash);
    await page.waitForFunction(() => Number(document.getElementById('map')!.dataset.drawn ?? 0) > 0, undefined, { timeout: 15_000 });

    // World map: NPCs (tier colours) and players are drawn.
    const tiers = (await call(s.base, 'GET', '/api/v1/worlds/1/stats')).json.tiers;
    const px = await countColours(page, 'map', {
      detailed: [0xff, 0x3b, 0x30],
      active: [0xff, 0x95, 0x00],
      ambient: [0x34, 0xa0, 0xff],
      dormant: [0x5a, 0x64, 0x72],
      player: [0x39, 0xff, 0x14],
    });
    expect(px.player).toBeGreaterThan(20);
    expect(px.detailed + px.active + px.ambient + px.dormant).toBeGreaterThan(1000);
    if (tiers?.npcsPerTier?.detailed > 0) expect(px.detailed).toBeGreaterThan(0);
    if (tiers?.npcsPerTier?.dormant > 0) expect(px.dormant).toBeGreaterThan(0);

    // Stats update live: world time moves.
    const t0 = await worldSeconds(page);
    await page.waitForFunction((t) => Number(document.getElementById('world-time')!.dataset.seconds) > t, t0, { timeout: 10_000 });
    await expect.poll(async () => await page.locator('#worlds tbody tr').count()).toBe(1);
    // One world: no pager, no range (dashboard-many-worlds.test.ts has the pages).
    expect(await page.locator('#worlds-pager').isHidden()).toBe(true);
    expect(await page.locator('#worlds-range').textContent()).toBe('');

    // Pause: the state says paused and world time stops.
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('world-state')!.textContent === 'paused', undefined, { timeout: 10_000 });
    const p0 = await worldSeconds(page);
    await sleep(1200);
    expect(await worldSeconds(page)).toBe(p0);
    expect((await call(s.base, 'GET', '/api/v1/worlds/1')).json.paused).toBe(true);

    // Step once from the page: world time advances by exactly one step.
    await page.click('#step');
    const dt = 0.05 * 60;
    await page.waitForFunction((t) => Number(document.getElementById('world-time')!.dataset.seconds) > t, p0, { timeout: 10_000 });
    expect(await worldSeconds(page)).toBeCloseTo(p0 + dt, 6);

    // Change timeScale from the page, then resume.
    await page.fill('#time-scale', '120');
    await page.click('#apply-scale');
    await expect.poll(async () => (await call(s.base, 'GET', '/api/v1/worlds/1')).json.timeScale).toBe(120);
    await page.click('#resume');
    await page.waitForFunction(() => document.getElementById('world-state')!.textContent === 'running', undefined, { timeout: 10_000 });

    // Maintenance and the controller override from the page; both show, the trigger history fills.
    await page.click('#maint-on');
    await page.waitForFunction(() => document.getElementById('maint-state')!.textContent === 'on', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => /held/.test(document.getElementById('trigger-history')!.textContent ?? ''), undefined, {
      timeout: 10_000,
    });
    await page.click('#maint-off');
    await page.waitForFunction(() => document.getElementById('maint-state')!.textContent === 'off', undefined, { timeout: 10_000 });
    await page.selectOption('#override-mode', 'degraded');
    await page.click('#override-set');
    await page.waitForFunction(() => /^degraded for \d+ s$/.test(document.getElementById('override-state')!.textContent ?? ''), undefined, {
      timeout: 10_000,
    });
    await page.click('#override-reset');
    await page.waitForFunction(() => document.getElementById('override-state')!.textContent === 'none', undefined, { timeout: 10_000 });
    // The step-cost line names the costliest system of the last step (docs/ADMIN.md "Runbook").
    await page.waitForFunction(
      () => /slowest system \S+ \(\w+\) [\d.]+ ms/.test(document.getElementById('cost-info')!.textContent ?? ''),
      undefined,
      {
        timeout: 10_000,
      },
    );
    await sleep(1200); // let the cost chart and map fill in for the screenshot

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('without a token the page asks for one', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.base}/`);
    await expect.poll(async () => page.locator('#login').isVisible()).toBe(true);
    await page.fill('#token-input', 'wrong');
    await page.click('#login button');
    await page.waitForFunction(() => document.getElementById('login-error')!.textContent!.includes('401'), undefined, { timeout: 10_000 });
    await page.fill('#token-input', TOKEN);
    await page.click('#login button');
    await page.waitForFunction(() => document.querySelectorAll('#worlds tbody tr').length > 0, undefined, { timeout: 10_000 });
  });
});
