import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { spawnNpc } from '../../../src/world/sim-world.js';
import { sceneInputOf } from '../../../src/content/scene-job.js';
import { generateScene } from '../../../src/content/scene-gen.js';
import { SceneState } from '../../../components/npc.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('runtime: scene jobs on the worker pool service', () => {
  it('NPCs next to a joined player get worker-generated scenes in the running default world; stop closes the pool', async () => {
    const rt = createRuntime(
      parseOptions(['--port', '0', '--admin-port', '0', '--npcs', '100', '--stats-interval', '0', '--data-dir', tempDataDir().dir], {}),
      createLogger('silent'),
    );
    await rt.start();
    let stopped = false;
    try {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const joined = await c.join('1', 'scenes');
      const w = rt.defaultWorld;
      const px = w.stores.Position.x[joined.playerId],
        py = w.stores.Position.y[joined.playerId];
      // Between steps (same thread): NPCs right next to the player, so they are detailed-tier.
      const ids = [0, 1, 2, 3, 4].map((k) => spawnNpc(w, px + 3 + k * 4, py - 2 - k * 3, k));
      const end = performance.now() + 20_000;
      while (!ids.every((e) => w.stores.Npc.sceneState[e] === SceneState.ready)) {
        if (performance.now() > end) throw new Error(`scenes not ready: ${ids.map((e) => w.stores.Npc.sceneState[e]).join(',')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const e of ids) expect(w.stores.Npc.sceneHash[e]).toBe(generateScene(sceneInputOf(w, e, w.scenes!)).hash);
      // Operators see the outcomes in /metrics.
      const metrics = await (
        await fetch(`http://127.0.0.1:${rt.admin.port}/metrics`, { headers: { authorization: `Bearer ${rt.adminToken}` } })
      ).text();
      const applied = Number(/worldtick_scene_jobs_total\{world="1",outcome="applied"\} (\d+)/.exec(metrics)?.[1] ?? -1);
      expect(applied).toBeGreaterThanOrEqual(ids.length);
      expect(applied).toBeLessThanOrEqual(w.scenes!.applied); // more may land after the scrape
      // A world created through the admin API requests scenes on the same pool.
      const res = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/worlds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'scenes2', capacity: 100, npcs: 0 }),
      });
      expect(res.status).toBe(201);
      const w2 = rt.runner.get('scenes2');
      expect(w2.scenes).not.toBeNull();
      expect(w.scenes).not.toBe(w2.scenes);
      expect(rt.scenePool.stats().completed).toBeGreaterThanOrEqual(ids.length);
      c.close();
      await rt.stop();
      stopped = true;
      expect(rt.scenePool.stats()).toMatchObject({ closed: true, threads: 0 });
    } finally {
      if (!stopped) await rt.stop();
    }
  });

  it('--job-threads sizes the pool; out of range is refused with a coded error', async () => {
    const rt = createRuntime(
      parseOptions(
        [
          '--port',
          '0',
          '--admin-port',
          '0',
          '--npcs',
          '10',
          '--stats-interval',
          '0',
          '--job-threads',
          '2',
          '--data-dir',
          tempDataDir().dir,
        ],
        {},
      ),
      createLogger('silent'),
    );
    expect(rt.scenePool.stats()).toMatchObject({ maxThreads: 2, threads: 0, closed: false });
    await rt.scenePool.close();
    expect(() => parseOptions(['--job-threads', '0'], {})).toThrow(expect.objectContaining({ code: 'WT_ERR_OPTION_INVALID' }));
  });
});
