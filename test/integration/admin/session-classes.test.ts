import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { call, sleep, useRuntime } from './harness.js';

describe('admin: session classes in stats and metrics', () => {
  const clients: WorldtickClient[] = [];
  const s = useRuntime();
  beforeAll(async () => {
    for (const token of ['', 'spectator:a', 'bot']) {
      const c = new WorldtickClient({
        url: `ws://127.0.0.1:${s.runtime.gameServer.port}`,
        WebSocket: WebSocket as unknown as WebSocketCtor,
      });
      await c.connect();
      await c.join('1', `c${clients.length}`, token);
      clients.push(c);
    }
    await sleep(300); // a few steps of snapshots
  });
  afterAll(async () => {
    for (const c of clients) c.close();
  });

  it('each class is counted in /stats and /metrics, with the quality-ladder levels', async () => {
    const st = await call(s.base, 'GET', '/api/v1/worlds/1/stats');
    const byClass = st.json.sessions.server.byClass;
    expect(byClass.player.sessions).toBe(1);
    expect(byClass.spectator.sessions).toBe(1);
    expect(byClass.bot.sessions).toBe(1);
    expect(byClass.observer.sessions).toBe(0);
    expect(byClass.spectator.snapshots).toBeGreaterThan(0);
    // Exact view mode (the default): no region figures, per world or in the server's report.
    expect(st.json.regions).toBeNull();
    expect(st.json.sessions.server.worlds['1'].regions).toBeNull();
    const m = (await call(s.base, 'GET', '/metrics')).text;
    expect(m).toContain('worldtick_net_class_sessions{class="player"} 1');
    expect(m).toContain('worldtick_net_class_sessions{class="spectator"} 1');
    expect(m).toContain('worldtick_net_class_sessions{class="bot"} 1');
    expect(m).toMatch(/worldtick_net_class_snapshots_total\{class="spectator"\} [1-9]/);
    expect(m).toMatch(/worldtick_net_class_degraded_sessions\{class="player"\} \d/);
    expect(m).toMatch(/worldtick_net_ladder_sessions\{level="0"\} \d/);
    // The active players' spread: the /stats figures, exported per world and per class.
    const ladder = st.json.sessions.server.worlds['1'].ladder;
    expect(m).toContain(`worldtick_net_active_spread{world="1"} ${ladder.activeSpread}`);
    expect(m).toContain(`worldtick_net_crowd_spread{world="1"} ${ladder.crowdSpread}`);
    expect(m).toMatch(/worldtick_net_active_snapshot_seconds\{world="1"\} [\d.e-]+\n/);
    expect(m).toContain(`worldtick_net_spread_raised_total{world="1"} ${ladder.spreadRaised}`);
    expect(m).toContain(`worldtick_net_class_spread_total{class="player"} ${byClass.player.spread}`);
    expect(m).toContain('worldtick_net_class_spread_total{class="bot"} 0');
    expect(m).not.toContain('worldtick_net_region_frames_sent_total{');
  });
});
