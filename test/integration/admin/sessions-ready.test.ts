import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWorldMap } from '../../../src/admin/map.js';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { call, sleep, startRuntime, TOKEN, useRuntime } from './harness.js';

describe('admin: game sessions in stats, metrics and map', () => {
  let client: WorldtickClient;
  const s = useRuntime();
  beforeAll(async () => {
    client = new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await client.connect();
    await client.join('1', 'operator-test');
    await sleep(300); // a few steps of snapshots
  });
  afterAll(async () => {
    client?.close();
  });

  it('a joined client shows as a session, bytes sent grow, and the player is on the map', async () => {
    const st = await call(s.base, 'GET', '/api/v1/worlds/1/stats');
    expect(st.json.sessions.inWorld).toBe(1);
    expect(st.json.sessions.server.sessions).toBe(1);
    expect((await call(s.base, 'GET', '/api/v1/worlds')).json.worlds[0].sessions).toBe(1);
    const m = (await call(s.base, 'GET', '/metrics')).text;
    expect(m).toContain('worldtick_sessions{world="1"} 1');
    const bytes = Number(/worldtick_bytes_sent_total (\d+)/.exec(m)![1]);
    expect(bytes).toBeGreaterThan(0);
    const res = await fetch(`${s.base}/api/v1/worlds/1/map`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(decodeWorldMap(new Uint8Array(await res.arrayBuffer())).playerX.length).toBe(1);
  });
});

describe('admin: readiness', () => {
  it('/readyz is 200 while running and 503 while the runtime stops', async () => {
    const s = await startRuntime();
    let releaseStop: () => void = () => undefined;
    // A service that takes its time to stop: the runtime stops services last-in first-out, so the
    // admin server (first in) still answers while this one stops.
    s.runtime.services.push({ name: 'slow-stop', start: async () => undefined, stop: () => new Promise<void>((r) => (releaseStop = r)) });
    expect((await call(s.base, 'GET', '/readyz', { token: null })).status).toBe(200);
    const stopping = s.runtime.stop();
    const r = await call(s.base, 'GET', '/readyz', { token: null });
    expect(r.status).toBe(503);
    expect(r.json).toEqual({ ready: false, reason: 'stopping' });
    expect((await call(s.base, 'GET', '/healthz', { token: null })).status).toBe(200);
    releaseStop();
    await stopping;
  });
});
