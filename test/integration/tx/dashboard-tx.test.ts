/** The dashboard shows a world's recent transactions (headless Chromium, real runtime with a store). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { startRuntime, TOKEN } from '../admin/harness.js';
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

it.skipIf(!chromiumFor('dashboard transactions test'))('lists recent purchases and rewards with their results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-dash-tx-'));
  // The browser starts while the runtime does (if one fails, the other is closed).
  const [started, launched] = await Promise.allSettled([startRuntime(['--npcs', '50', '--data-dir', dir]), launchChromium(ARGS)]);
  if (started.status === 'rejected' || launched.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    if (launched.status === 'fulfilled') await launched.value.close();
    rmSync(dir, { recursive: true, force: true });
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  const s = started.value;
  const browser = launched.value;
  try {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'shopper');
    expect((await c.purchase('dash-buy-1', 'potion', 2, 10)).status).toBe('ok');
    expect((await c.purchase('dash-buy-2', 'dragon', 1, 1)).code).toBe('TX_UNKNOWN_ITEM');
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.goto(`${s.base}/#token=${encodeURIComponent(TOKEN)}`);
    await page.waitForFunction(() => (document.getElementById('transactions') as HTMLTableElement).tBodies[0].rows.length >= 3, undefined, {
      timeout: 15_000,
    });
    const rows = await page.locator('#transactions tbody tr').allInnerTexts();
    expect(rows.some((r) => r.includes('dash-buy-1') && r.includes('potion×2') && r.includes('-20'))).toBe(true);
    expect(rows.some((r) => r.includes('dash-buy-2') && r.includes('TX_UNKNOWN_ITEM'))).toBe(true);
    expect(rows.some((r) => r.includes('start-grant') && r.includes('reward'))).toBe(true);
    expect(await page.locator('#tx-info').textContent()).toMatch(/ok \/ \d+ results/);
    c.close();
  } finally {
    await browser.close();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
