/**
 * An admin world left out at start because a newer build wrote its checkpoint (`WT_ERR_CHECKPOINT_TOO_NEW`,
 * docs/DURABILITY.md "Restore at start") is visible to operators, not only in the log: `GET /api/v1/worlds`
 * lists it under `notStarted` with why, its routes answer 409 `WT_ERR_CHECKPOINT_TOO_NEW` instead of 404,
 * a create of its id is refused (it would write a fresh record over the newer build's), `/metrics` has
 * `worldtick_world_not_started{world, reason}` (promtool-clean) and the dashboard has a card for the list.
 * A player's hello for it is answered `UNAVAILABLE` and closed 1013 (later: a server of a newer build may run it),
 * not `UNKNOWN_WORLD` and 4004, after which a client stops for good.
 * A real runtime on a real PostgreSQL store, the world's newest checkpoint rewritten as a newer schema.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { reconnectAdvice } from '../../../src/client/reconnect.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { CLUSTER_TOKEN, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { newerSchema } from '../../helpers/forge-checkpoint.js';
import { forgePgCheckpoint, pgRows } from '../../helpers/forge-pg-checkpoint.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { chromiumFor, launchChromium } from '../../helpers/chromium.js';

const pg = await freshDatabase();
const skip = 'skip' in pg ? pg.skip : null;
if (skip) console.warn(`not-started worlds: skipped (${skip})`);
/** The dashboard is checked in headless Chromium where it is installed (as test/integration/admin/dashboard.test.ts). */
const promtool = ['promtool', '/tmp/prom/usr/bin/promtool'].find((p) => spawnSync(p, ['--version']).status === 0) ?? null;

describe.skipIf(skip !== null)('a world not started because a newer build wrote its checkpoint', () => {
  const started: RuntimeInstance[] = [];
  afterAll(async () => {
    for (const i of started) await i.stop();
    await (pg as PgServer).destroy();
  }, 30_000);

  it('is listed with why, answers 409 on its routes, refuses a create of its id, and shows in /metrics and the dashboard', async () => {
    const url = (pg as PgServer).url;
    const first = await startRuntimeInstance('first', ['--store', url]);
    started.push(first);
    expect((await createWorld(first, { id: 'nw', npcs: 20 })).status).toBe(201);
    await first.stop(); // its final checkpoint of nw
    await forgePgCheckpoint(url, 'nw', newerSchema, { schema: WORLD_SNAPSHOT_SCHEMA + 1 });
    const before = await pgRows(url, 'nw');

    const s = await startRuntimeInstance('second', ['--store', url]);
    started.push(s);
    const list = (await s.api('GET', '/api/v1/worlds')).json;
    expect(list.worlds.map((w: { id: string }) => w.id)).toEqual(['1']);
    expect(list.notStarted).toEqual([
      {
        worldId: 'nw',
        reason: 'checkpoint-too-new',
        at: 'start',
        checkpoint: { what: 'schema', found: WORLD_SNAPSHOT_SCHEMA + 1, known: WORLD_SNAPSHOT_SCHEMA, step: expect.any(Number) },
        sinceMs: expect.any(Number),
        owner: null,
      },
    ]);

    for (const path of ['/api/v1/worlds/nw', '/api/v1/worlds/nw/stats']) {
      const r = await s.api('GET', path);
      expect(r.status, path).toBe(409);
      expect(r.json).toMatchObject({ code: 'WT_ERR_CHECKPOINT_TOO_NEW', details: { worldId: 'nw', reason: 'checkpoint-too-new' } });
      expect(r.json.message).toContain('a newer build wrote its checkpoint');
    }
    expect((await s.api('PUT', '/api/v1/worlds/nw/scheduler/config', { timeScale: 2 })).status).toBe(409);
    expect((await s.api('GET', '/api/v1/worlds/other/stats')).status).toBe(404); // an unknown world stays unknown
    for (const [world, code, closeCode] of [
      ['nw', 'UNAVAILABLE', 1013],
      ['other', 'UNKNOWN_WORLD', 4004],
    ] as const) {
      const c = new WorldtickClient({ url: s.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      await expect(c.join(world, 'p', 'p-token')).rejects.toThrow(new RegExp(code));
      await c.closed();
      expect([world, c.closeCode]).toEqual([world, closeCode]);
    }
    expect(reconnectAdvice(1013)).toBe('later');
    const create = await s.api('POST', '/api/v1/worlds', { id: 'nw', npcs: 5 });
    expect(create.status).toBe(409);
    expect(create.json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { worldId: 'nw' } });

    const metrics = (await s.api('GET', '/metrics')).text;
    expect(metrics).toMatch(/^worldtick_world_not_started\{world="nw",reason="checkpoint-too-new"\} 1$/m);
    if (promtool) {
      const out = spawnSync(promtool, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(out.stdout + out.stderr).toBe('');
    }
    expect((await s.api('GET', '/')).text).toContain('id="not-started"');
    expect((await s.api('GET', '/dashboard/app.js')).text).toContain('renderNotStarted(notStarted)');
    if (chromiumFor('not-started worlds: the dashboard card in a browser')) {
      // The card says why in a sentence and keeps the raw reason code visible.
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${s.adminUrl}/#token=${encodeURIComponent(CLUSTER_TOKEN)}`);
        const why = page.locator('#not-started tbody tr td.why');
        await why.waitFor({ timeout: 15_000 });
        expect((await why.textContent()) ?? '').toContain(
          'A newer build of the server wrote its checkpoint; this build cannot read it. (left out at start)',
        );
        expect(await why.locator('code').textContent()).toBe('checkpoint-too-new');
        expect(await why.getAttribute('title')).toBe('reason: checkpoint-too-new, at: start');
      } finally {
        await browser.close();
      }
    }

    await s.stop();
    expect(await pgRows(url, 'nw')).toEqual(before); // nothing of the newer build's world was written over
  }, 60_000);
});
