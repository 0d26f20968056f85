/**
 * Incident drill: a game's message handler runs a synchronous 2 s loop, blocking the event loop (every
 * world, session and admin request waits). A real server process (test/helpers/incident-game-main.ts,
 * a game without the life-sim module). What the operator must see: an error line naming the world, the
 * phase, the system and the message type (`msg:freeze`), the event-loop lag on `/metrics`, and the
 * heartbeat — which a game world runs too (its periodic phase) — back to fresh once the loop is free,
 * so `/readyz` answers 200 again (docs/ADMIN.md "Runbook").
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/game-process.js';
import { incidentServer } from '../../helpers/incident-server.js';

const s = incidentServer({ name: 'loop', main: 'test/helpers/incident-game-main.ts', npcs: 10, join: 'blocker' });
const { get } = s;
const heartbeatRuns = async (): Promise<number> => {
  const body = (await (await get('/api/v1/worlds/1/periodic')).json()) as { tasks: Array<{ name: string; runs: number }> };
  return body.tasks.find((t) => t.name === 'heartbeat')?.runs ?? 0;
};

describe('incident: a game handler blocks the event loop for 2 s', () => {
  it("a game world's heartbeat runs (its pipeline has the periodic phase), so /readyz is not red for want of one", async () => {
    await waitFor(async () => ((await heartbeatRuns()) >= 2 ? true : undefined), 10_000);
    expect(await (await get('/metrics')).text()).toMatch(/^worldtick_periodic_heartbeat_stale\{world="1"\} 0$/m);
    expect((await fetch(`${s.base}/readyz`)).status).toBe(200);
  });

  it('logs an error naming the world, phase, system and message type; the lag shows on /metrics; the heartbeat recovers', async () => {
    s.client.sendMessage('freeze', { ms: 2000 });
    const stall = await waitFor(() => s.p.lines.find((l) => l.msg === 'step blocked the event loop'), 20_000);
    expect(stall.level).toBe(50);
    expect(stall.world).toBe('1');
    expect(stall.stepMs).toBeGreaterThanOrEqual(1000);
    expect(Object.keys(stall.phaseMs)[0]).toBe('ingest');
    expect(Object.keys(stall.systemMs)[0]).toBe('ingest');
    // The costliest ingest type first (up to three of 1 ms or more: on a loaded machine a session
    // event applied in the same step can take a millisecond too).
    expect(Object.keys(stall.ingestMs)[0]).toBe('msg:freeze');
    expect(stall.ingestMs['msg:freeze']).toBeGreaterThanOrEqual(1000);
    // And whether the process ran in it: the CPU it used since the loop's tick began (busy when it had at
    // least half a core; on a host starved by other processes a busy loop can show contended: not asserted).
    expect(stall.processCpuMs).toBeGreaterThan(0);
    expect(['busy', 'contended', 'off-cpu']).toContain(stall.cpu);

    const metrics = await (await get('/metrics')).text();
    expect(Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    // /stats: the handler's cost, per ingest type.
    const stats = (await (await get('/api/v1/worlds/1/stats')).json()) as { ingest: { types: Array<{ type: string; applyMs: number }> } };
    expect(stats.ingest.types.find((t) => t.type === 'msg:freeze')!.applyMs).toBeGreaterThanOrEqual(1000);
    // The loop is free again: the heartbeat runs, /readyz is green.
    const runs = await heartbeatRuns();
    await waitFor(async () => ((await heartbeatRuns()) > runs ? true : undefined), 10_000);
    await waitFor(async () => ((await fetch(`${s.base}/readyz`)).status === 200 ? true : undefined), 10_000);
  }, 30_000);
});
