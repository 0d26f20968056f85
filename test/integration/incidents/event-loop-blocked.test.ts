/**
 * Incident drill: a game's message handler runs a synchronous 2 s loop, blocking the event loop (every
 * world, session and admin request waits). A real server process (test/helpers/incident-game-main.ts,
 * a game without the life-sim module). What the operator must see: an error line naming the world, the
 * phase, the system and the message type (`msg:freeze`), the event-loop lag on `/metrics`, and the
 * heartbeat — which a game world runs too (its periodic phase) — back to fresh once the loop is free,
 * so `/readyz` answers 200 again (docs/ADMIN.md "Runbook").
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { killHard, startGameProcess, waitFor, type GameProcess, type Line } from '../../helpers/game-process.js';

const TOKEN = 'incident-token';
const dir = tempDataDir('wt-incident-loop-');
let p: GameProcess;
let client: WorldtickClient;

const get = async (path: string): Promise<Response> =>
  fetch(`${p.admin.replace('/api/v1', '')}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
const heartbeatRuns = async (): Promise<number> => {
  const body = (await (await get('/api/v1/worlds/1/periodic')).json()) as { tasks: Array<{ name: string; runs: number }> };
  return body.tasks.find((t) => t.name === 'heartbeat')?.runs ?? 0;
};

beforeAll(async () => {
  p = await startGameProcess({
    main: 'test/helpers/incident-game-main.ts',
    args: ['--port', '0', '--admin-port', '0', '--npcs', '10', '--stats-interval', '0'],
    dataDir: dir.dir,
    token: TOKEN,
  });
  const ready = p.lines.find((l) => l.msg === 'server ready') as Line;
  client = new WorldtickClient({ url: `ws://127.0.0.1:${ready.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  await client.connect();
  await client.join('1', 'blocker');
}, 30_000);

afterAll(async () => {
  client?.close();
  if (p) await killHard(p);
  dir.remove();
});

describe('incident: a game handler blocks the event loop for 2 s', () => {
  it("a game world's heartbeat runs (its pipeline has the periodic phase), so /readyz is not red for want of one", async () => {
    await waitFor(async () => ((await heartbeatRuns()) >= 2 ? true : undefined), 10_000);
    expect(await (await get('/metrics')).text()).toMatch(/^worldtick_periodic_heartbeat_stale\{world="1"\} 0$/m);
    expect((await fetch(`${p.admin.replace('/api/v1', '')}/readyz`)).status).toBe(200);
  });

  it('logs an error naming the world, phase, system and message type; the lag shows on /metrics; the heartbeat recovers', async () => {
    client.sendMessage('freeze', { ms: 2000 });
    const stall = await waitFor(() => p.lines.find((l) => l.msg === 'step blocked the event loop'), 20_000);
    expect(stall.level).toBe(50);
    expect(stall.world).toBe('1');
    expect(stall.stepMs).toBeGreaterThanOrEqual(1000);
    expect(Object.keys(stall.phaseMs)[0]).toBe('ingest');
    expect(Object.keys(stall.systemMs)[0]).toBe('ingest');
    expect(Object.keys(stall.ingestMs)).toEqual(['msg:freeze']);
    expect(stall.ingestMs['msg:freeze']).toBeGreaterThanOrEqual(1000);

    const metrics = await (await get('/metrics')).text();
    expect(Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    // /stats: the handler's cost, per ingest type.
    const stats = (await (await get('/api/v1/worlds/1/stats')).json()) as { ingest: { types: Array<{ type: string; applyMs: number }> } };
    expect(stats.ingest.types.find((t) => t.type === 'msg:freeze')!.applyMs).toBeGreaterThanOrEqual(1000);
    // The loop is free again: the heartbeat runs, /readyz is green.
    const runs = await heartbeatRuns();
    await waitFor(async () => ((await heartbeatRuns()) > runs ? true : undefined), 10_000);
    await waitFor(async () => ((await fetch(`${p.admin.replace('/api/v1', '')}/readyz`)).status === 200 ? true : undefined), 10_000);
  }, 30_000);
});
