/**
 * The dashboard when things go wrong (docs/ADMIN.md "Dashboard"): an API refusal is shown with its
 * status, code and message; a wrong token shows the login form once and stops polling; the
 * actions that stop a world for its players ask first, naming the world; a world deleted and created
 * again under the same id (step back to 0) is charted afresh. A real runtime and the real page in
 * headless Chromium.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, TOKEN, useRuntime } from './harness.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const haveChromium = chromiumFor('dashboard errors test');

const text = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.textContent ?? '', id);

describe.skipIf(!haveChromium)('dashboard errors and confirmations in headless Chromium', () => {
  let browser: Browser;
  const s = useRuntime(['--npcs', '50'], 60_000);
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const open = async (token = TOKEN): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Anything the page itself asks for and does not get (the browser's favicon request included).
    page.on(
      'response',
      (r) => !new URL(r.url()).pathname.startsWith('/api/') && r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`),
    );
    await page.goto(`${s.base}/#token=${encodeURIComponent(token)}`);
    return { page, errors };
  };

  it('shows an API refusal with status, code and message', { timeout: 30_000 }, async () => {
    const { page, errors } = await open();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.waitForFunction(() => document.getElementById('sel-id')?.textContent === '1', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live');
    // A clean load: nothing the browser asked for was missing (its favicon request was a 404).
    expect(consoleErrors).toEqual([]);
    // Step on a running world: 409 WT_ERR_WORLD_NOT_PAUSED.
    await page.click('#step');
    await expect.poll(() => text(page, 'action-msg')).toBe('step: 409 WT_ERR_WORLD_NOT_PAUSED: world 1 must be paused to be stepped');
    // A bad n: 400 with the problem.
    await page.fill('#step-n', '0');
    await page.click('#step');
    await expect.poll(() => text(page, 'action-msg')).toMatch(/^step: 400 WT_ERR_ADMIN_BAD_REQUEST: .*n must be an integer/);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("the sessions panel keeps the world's figures apart from the whole server's; ids cut short keep their full text", {
    timeout: 30_000,
  }, async () => {
    const playerId = `t:${'0123456789abcdef'.repeat(2)}`;
    const key = `reward-${'k'.repeat(40)}`;
    const reward = await call(s.base, 'POST', '/api/v1/worlds/1/ledger/rewards', { body: { playerId, key, coins: 5 } });
    expect(reward.status).toBe(200);
    const { page, errors } = await open();
    await page.waitForFunction(() => document.getElementById('sessions')?.textContent?.includes('inWorld'), undefined, { timeout: 15_000 });
    // The world's own: no server-wide counter under the world's name.
    const world = await text(page, 'sessions');
    expect(world).not.toContain('connections');
    expect(await text(page, 'sessions-server')).toMatch(/^whole server: .*connections \d+/);
    // The transaction row cuts the player id and key short; the cell's title has them whole.
    const row = page.locator('#transactions tbody tr', { hasText: 'reward-' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.locator('td').nth(1).getAttribute('title')).toBe(playerId);
    expect(await row.locator('td').nth(2).getAttribute('title')).toBe(key);
    // HTML in a player id or key is shown as text (already so: a guard, this never failed).
    const html = '<img src=x onerror="window.pwned=1">';
    const injected = { playerId: html, key: `<b>${html}</b>`, coins: 1 };
    // Refused by the ledger (422 TX_BAD_REQUEST: not a known player) and listed as such all the same.
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/ledger/rewards', { body: injected })).status).toBe(422);
    const htmlRow = page.locator('#transactions tbody tr', { hasText: '<img' });
    await expect.poll(() => htmlRow.count(), { timeout: 10_000 }).toBe(1);
    expect(await htmlRow.locator('td').nth(1).getAttribute('title')).toBe(html);
    expect(await page.locator('#transactions img, #transactions b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.close();
    expect(errors).toEqual([]);
  });

  it('a click on a world row counts when a poll lands between press and release; the rows stay the same nodes', {
    timeout: 30_000,
  }, async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'slow-click', npcs: 0 } })).status).toBe(201);
    const { page, errors } = await open();
    let polls = 0;
    page.on('requestfinished', (r) => new URL(r.url()).pathname === '/api/v1/worlds' && polls++);
    const row = page.locator('#worlds tbody tr[data-world="slow-click"]');
    await row.waitFor({ timeout: 15_000 });
    await page.evaluate(() => {
      (window as unknown as { firstRow: Element | null }).firstRow = document.querySelector('#worlds tbody tr');
    });
    // Press, let the worlds table be polled (and redrawn) twice, release: a person's slow click.
    const box = await row.boundingBox();
    if (!box) throw new Error('row not shown');
    await page.mouse.move(box.x + 10, box.y + box.height / 2);
    await page.mouse.down();
    const seen = polls;
    await expect.poll(() => polls).toBeGreaterThan(seen + 1);
    await page.mouse.up();
    await expect.poll(() => page.locator('#sel-id').textContent()).toBe('slow-click');
    // The first row is the node it was (so a text selection of an id survives the polls too).
    expect(await page.evaluate(() => (window as unknown as { firstRow: Element | null }).firstRow?.isConnected)).toBe(true);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('fits a 900 px wide window with a 64-character world id selected (no sideways scrolling)', { timeout: 30_000 }, async () => {
    const long = 'L'.repeat(64);
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: long, npcs: 0 } })).status).toBe(201);
    const { page, errors } = await open();
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.click(`#worlds tbody tr[data-world="${long}"]`);
    await expect.poll(() => page.locator('#sel-id').textContent()).toBe(long);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('a world clicked gets its map, triggers and ledger with its first stats, not up to a second later', { timeout: 30_000 }, async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'map-now', npcs: 7 } })).status).toBe(201);
    const { page, errors } = await open();
    await page.waitForSelector('#worlds tbody tr[data-world="map-now"]', { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('sel-id')?.textContent === '1');
    const asked: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/v1/worlds/map-now/')) asked.push(path.slice('/api/v1/worlds/map-now/'.length));
    });
    await page.click('#worlds tbody tr[data-world="map-now"]');
    await expect.poll(() => asked.filter((a) => a === 'stats').length).toBeGreaterThan(1);
    // The first poll of the clicked world fetched all of it: stats, then map, history and ledger.
    expect(asked.slice(0, 4)).toEqual(['stats', 'map', 'periodic/history', 'ledger']);
    await expect.poll(() => text(page, 'map-info')).toMatch(/^7 of 7 NPCs drawn/);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('a wrong token: the login form says 401 with the code, and polling stops', { timeout: 30_000 }, async () => {
    const page = await browser.newPage();
    const asked: string[] = [];
    page.on('request', (r) => new URL(r.url()).pathname.startsWith('/api/') && asked.push(r.url()));
    await page.goto(`${s.base}/#token=wrong`);
    await page.waitForFunction(() => document.getElementById('login-error')?.textContent?.includes('401'), undefined, {
      timeout: 10_000,
    });
    expect(await text(page, 'login-error')).toContain('WT_ERR_ADMIN_UNAUTHORIZED');
    // Several poll periods (500 ms) later: still the one refused request, no more.
    await page.waitForTimeout(2000);
    expect(asked.length).toBe(1);
    await page.close();
  });

  it('Pause, Enter maintenance and Force mode ask first, naming the world', { timeout: 30_000 }, async () => {
    const { page } = await open();
    await page.waitForFunction(() => document.getElementById('sel-id')?.textContent === '1', undefined, { timeout: 15_000 });
    const asked: string[] = [];
    let answer = false;
    page.on('dialog', async (d) => {
      asked.push(`${d.type()}: ${d.message()}`);
      await (answer ? d.accept() : d.dismiss());
    });
    // Declined: nothing is sent, the world runs on.
    await page.click('#pause');
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/^confirm: Pause world 1\b/);
    expect(await text(page, 'action-msg')).toBe('pause: cancelled');
    expect((await call(s.base, 'GET', '/api/v1/worlds/1')).json.paused).toBe(false);
    await page.click('#maint-on');
    await expect.poll(() => asked.length).toBe(2);
    expect(asked[1]).toMatch(/^confirm: .*maintenance.* world 1\b/i);
    await page.click('#override-set');
    await expect.poll(() => asked.length).toBe(3);
    expect(asked[2]).toMatch(/^confirm: .*world 1\b/);
    expect((await call(s.base, 'GET', '/api/v1/worlds/1/stats')).json.controller.status.override).toBeFalsy();
    // Accepted: paused.
    answer = true;
    await page.click('#pause');
    await expect.poll(async () => (await call(s.base, 'GET', '/api/v1/worlds/1')).json.paused).toBe(true);
    // Resume is not destructive: no question.
    await page.click('#resume');
    await expect.poll(async () => (await call(s.base, 'GET', '/api/v1/worlds/1')).json.paused).toBe(false);
    expect(asked.length).toBe(4);
    await page.close();
  });

  it('charts a world deleted and created again under the same id from its new steps', { timeout: 45_000 }, async () => {
    const create = { id: 'again', npcs: 5, config: { simulation: { tickIntervalSeconds: 0.01 } } };
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: create })).status).toBe(201);
    const { page, errors } = await open();
    await page.waitForSelector('#worlds tbody tr[data-world="again"]', { timeout: 15_000 });
    await page.click('#worlds tbody tr[data-world="again"]');
    const charted = async () => Number(await page.locator('#cost').getAttribute('data-last-step'));
    await expect.poll(charted, { timeout: 15_000 }).toBeGreaterThan(100);
    // Deleted and created again, paused, then stepped 3 times (the history's steps 0, 1, 2), while shown.
    // The page's requests wait meanwhile: a poll between delete and create would move the selection
    // to another world (as it should), which is not what this test is about.
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let holding = 0;
    await page.route('**/api/v1/**', async (route) => {
      holding++;
      await held;
      await route.continue().catch(() => {}); // the page may be closed by then
    });
    await expect.poll(() => holding).toBeGreaterThan(0);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/again')).status).toBe(200);
    const paused = { ...create, config: { simulation: { tickIntervalSeconds: 0.01, pauseSimulation: true } } };
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: paused })).status).toBe(201);
    expect((await call(s.base, 'POST', '/api/v1/worlds/again/scheduler/step', { body: { n: 3 } })).status).toBe(200);
    release(); // the route stays, letting every request through from now on
    await expect.poll(charted, { timeout: 10_000 }).toBe(2);
    expect(await page.locator('#sel-id').textContent()).toBe('again');
    await expect.poll(() => text(page, 'conn')).toBe('live');
    await page.close();
    expect(errors).toEqual([]);
  });
});
