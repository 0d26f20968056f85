import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { call, startRuntime, type Started } from './harness.js';

/**
 * Region-frame figures (net `viewMode: 'regions'`) in the admin's `/stats` and `/metrics`, from a
 * real runtime (uWS game server, admin server) with real WebSocket clients: two players share a
 * cell (served by its region frame), a third stands alone (fewer than `regionMinPlayers` players:
 * exact snapshots, counted as sparse fallbacks).
 */
const W = '/api/v1/worlds/1';
let s: Started;
let dir: string;
const clients: WorldtickClient[] = [];

const promtool = ['promtool', '/usr/bin/promtool', '/tmp/prom/usr/bin/promtool'].find(
  (p) => (!p.includes('/') || existsSync(p)) && spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0,
);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wt-regions-'));
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ net: { viewMode: 'regions', regionMinPlayers: 2, interestRadius: 80, resumeGraceSeconds: 0 } }));
  s = await startRuntime(['--config', cfg, '--npcs', '400']);
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    ids.push((await c.join('1', `r${i}`)).playerId);
    clients.push(c);
  }
  // Paused, then stepped by the API: the figures below are read between steps, stable.
  expect((await call(s.base, 'POST', `${W}/scheduler/pause`)).status).toBe(200);
  const w = s.runtime.defaultWorld;
  const { Position } = w.stores;
  const at: Array<[number, number]> = [
    [100, 100],
    [130, 120],
    [900, 900],
  ];
  ids.forEach((p, i) => {
    Position.x[p] = w.bounds.minX + at[i][0];
    Position.y[p] = w.bounds.minY + at[i][1];
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stats = async () => (await call(s.base, 'GET', `${W}/stats`)).json;
/** Step `n` times by the API, then wait until both clients of the shared cell hold a region frame of these steps. */
const step = async (n: number) => {
  const from = s.runtime.defaultWorld.clock.step;
  expect((await call(s.base, 'POST', `${W}/scheduler/step`, { body: { n } })).status).toBe(200);
  await Promise.all(
    clients.slice(0, 2).map((c) => (c.lastRegion && c.lastRegion.step >= from ? null : c.waitFor((m) => m.type === 24 && m.step >= from))),
  );
};

describe('admin: region-frame figures', () => {
  it('/stats shows the region counters per world, and they move as frames are sent', async () => {
    const before = (await stats()).regions;
    expect(before).toMatchObject({ cellSize: 80 });
    await step(10);
    const st = await stats();
    const after = st.regions;
    expect(after.framesSent - before.framesSent).toBeGreaterThan(0);
    expect(after.framesEncoded - before.framesEncoded).toBeGreaterThan(0);
    expect(after.sparseFallbacks - before.sparseFallbacks).toBeGreaterThan(0);
    expect(after.denseFallbacks).toBeGreaterThanOrEqual(0);
    expect(after.denseCells).toBeGreaterThanOrEqual(0);
    // The same figures in the game server's report, per world.
    expect(st.sessions.server.worlds['1'].regions).toEqual(after);
    // The two clients in the shared cell received region frames.
    expect(clients[0].view.regionFrames).toBeGreaterThan(0);
    expect(clients[1].view.regionFrames).toBeGreaterThan(0);
  });

  it('/metrics exports the same counters, accepted by promtool', async () => {
    await step(3);
    const r = (await stats()).regions;
    const m = (await call(s.base, 'GET', '/metrics')).text;
    expect(m).toContain(`worldtick_net_region_cell_size{world="1"} 80`);
    expect(m).toContain(`worldtick_net_region_frames_sent_total{world="1"} ${r.framesSent}`);
    expect(m).toContain(`worldtick_net_region_frames_encoded_total{world="1"} ${r.framesEncoded}`);
    expect(m).toContain(`worldtick_net_region_dense_cells_total{world="1"} ${r.denseCells}`);
    expect(m).toContain(`worldtick_net_region_fallbacks_total{world="1",reason="dense"} ${r.denseFallbacks}`);
    expect(m).toContain(`worldtick_net_region_fallbacks_total{world="1",reason="sparse"} ${r.sparseFallbacks}`);
    expect(r.framesSent).toBeGreaterThan(0);
    if (!promtool) return console.warn('SKIP promtool check: promtool not installed');
    const out = spawnSync(promtool, ['check', 'metrics'], { input: m, encoding: 'utf8' });
    expect(out.stdout + out.stderr).toBe('');
    expect(out.status).toBe(0);
  });
});
