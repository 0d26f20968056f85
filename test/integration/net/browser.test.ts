import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe.skipIf(!chromiumFor('client library in a browser'))('client library in a browser', () => {
  it('bundles for the browser (no Node-only imports) and joins a world from Chromium with the native WebSocket', async () => {
    const out = await build({
      entryPoints: [`${ROOT}src/client/client.ts`],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'worldtick',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/require\(["']node:/);
    ts = await startTestServer();
    const browser = await launchChromium(['--no-sandbox']);
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: code });
      const url = ts.url;
      const joined = page.evaluate(async (u) => {
        const w = globalThis as unknown as { worldtick: { WorldtickClient: new (o: { url: string }) => any } };
        const c = new w.worldtick.WorldtickClient({ url: u });
        await c.connect();
        const welcome = await c.join('w1', 'browser');
        await c.waitFor((m: { type: number }) => m.type === 17, 10_000);
        return { playerId: welcome.playerId, hasSelf: c.view.entities.has(welcome.playerId), latency: c.stats.lastLatencyMs };
      }, url);
      // The world is paused: step it until the page has its snapshot.
      let result: { playerId: number; hasSelf: boolean; latency: number } | null = null;
      void joined.then((r) => {
        result = r;
      });
      for (let i = 0; i < 200 && !result; i++) {
        if (ts.server.stats().sessions > 0) ts.step(1);
        await new Promise((r) => setTimeout(r, 25));
      }
      const r = await joined;
      expect(r.playerId).toBeGreaterThan(0);
      expect(r.hasSelf).toBe(true);
      expect(r.latency).toBeGreaterThanOrEqual(0);
    } finally {
      await browser.close();
    }
  });
});
