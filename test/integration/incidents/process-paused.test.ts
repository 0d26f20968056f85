/**
 * Incident drill: the server process does not run for a while — stopped (SIGSTOP), a paused or
 * migrated VM, starved by the host. A real server process (test/helpers/incident-game-main.ts).
 * What the operator must see: that the process stood still, not which of its systems "took" the
 * time — the stalled step's line (`cpu: "off-cpu"`, `processCpuMs` far below `stepMs`) when the
 * pause fell inside a step, and `loop timer fired late` (with the steps dropped) when it fell
 * between two (docs/ADMIN.md "Runbook: incidents").
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitFor, type Line } from '../../helpers/game-process.js';
import { incidentServer } from '../../helpers/incident-server.js';

const s = incidentServer({ name: 'paused', main: 'test/helpers/incident-game-main.ts', npcs: 10, join: 'pauser' });

const STEPS = /^worldtick_world_steps_total\{world="1"\} (\S+)$/m;

/** The process state letter of `pid` (`T`: stopped). */
const state = (pid: number): string => /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';

describe('incident: the server process does not run for 1.2-1.5 s', () => {
  it('stopped inside a step (a message handler stops its own process): the stall line says off-cpu', async () => {
    const pid = s.p.child.pid!;
    // Past the world's warm-up (its first 20 steps raise no overrun or stall line).
    await waitFor(async () => (((await s.metric(STEPS)) ?? 0) >= 40 ? true : undefined), 20_000);
    s.client.sendMessage('halt', {});
    await waitFor(() => (state(pid) === 'T' ? true : undefined), 10_000);
    await sleep(1500);
    process.kill(pid, 'SIGCONT');
    const stall = await waitFor(() => s.p.lines.find((l) => l.msg === 'step blocked the event loop'), 20_000);
    expect(stall.level).toBe(50);
    expect(stall.stepMs).toBeGreaterThanOrEqual(1000);
    // The step's time is where the stop fell (the handler: ingest, msg:halt), but the process used
    // only a few ms of CPU in it: it was not running.
    expect(stall.ingestMs['msg:halt']).toBeGreaterThanOrEqual(1000);
    expect(stall.cpu).toBe('off-cpu');
    expect(stall.processCpuMs).toBeLessThan(stall.stepMs / 2);
  }, 30_000);

  it('stopped from outside between two steps: `loop timer fired late`, off-cpu, with the steps it dropped', async () => {
    const pid = s.p.child.pid!;
    const late = (): Line[] => s.p.lines.filter((l) => l.msg === 'loop timer fired late');
    let line: Line | undefined;
    // A stop that falls inside a step (a step here is well under a millisecond of every 50) shows as
    // that step's stall, not as a late tick: then stop it again.
    for (let attempt = 0; attempt < 3 && line === undefined; attempt++) {
      const before = late().length;
      process.kill(pid, 'SIGSTOP');
      await sleep(1200);
      process.kill(pid, 'SIGCONT');
      line = await waitFor(() => late()[before] ?? undefined, 3000).catch(() => undefined);
    }
    expect(line).toBeDefined();
    expect(line!.level).toBe(40); // the host did not let it run: warn (its own work holding the loop: error)
    expect(line!.lateMs).toBeGreaterThanOrEqual(1000);
    expect(line!.cpu).toBe('off-cpu');
    expect(line!.processCpuMs).toBeLessThan(line!.wallMs / 2);
    // 1.2 s at 20 Hz is ~24 steps due at once; 5 run (maxCatchUpSteps), the rest dropped.
    expect(line!.droppedSteps).toBeGreaterThanOrEqual(10);
    expect(await s.metric(/^worldtick_dropped_steps_total\{world="1"\} (\S+)$/m)).toBeGreaterThanOrEqual(line!.droppedSteps);
    // It runs on: the world steps again.
    const steps = (await s.metric(STEPS)) ?? Number.POSITIVE_INFINITY;
    await waitFor(async () => (((await s.metric(STEPS)) ?? 0) > steps ? true : undefined), 10_000);
  }, 30_000);
});
