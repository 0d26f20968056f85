/**
 * The loop's late ticks (src/loop/loop-runner.ts `onLate`) and their log line (src/server/step-log.ts
 * `createLoopLateLog`), and the stall line's CPU verdict. The runner runs on its real timer; its clock
 * is made to jump, as a process stopped between two ticks (SIGSTOP, a paused VM) sees it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cpuVerdict } from '../../../src/controller/cpu-meter.js';
import { LOOP_LATE_MS, LoopRunner, type LoopLate } from '../../../src/loop/loop-runner.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createLoopLateLog, createStepLog } from '../../../src/server/step-log.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { resumeWorld } from '../../../src/world/step.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

const world = (id: string) => {
  const w = createSimWorld({ id, capacity: 10, config: { simulation: { tickIntervalSeconds: 0.05, timeScale: 1 } } });
  resumeWorld(w);
  return w;
};

describe('loop late ticks', () => {
  it('a tick that fires 3 s late (the clock jumped: the process did not run) is reported off-cpu with the steps it dropped', async () => {
    let offset = 0;
    const late: LoopLate[] = [];
    const r = new LoopRunner({ now: () => performance.now() + offset, onLate: (l) => late.push(l) });
    const a = world('a');
    const b = world('b');
    r.add(a);
    r.add(b);
    r.start();
    try {
      await sleep(200);
      expect(late).toEqual([]); // on time so far (each tick within LOOP_LATE_MS of its due time)
      expect(r.cpuMsSinceTick()).toBeGreaterThanOrEqual(0);
      const dropped0 = a.counters.droppedSteps + b.counters.droppedSteps;
      offset += 3000;
      await sleep(150);
      expect(late).toHaveLength(1);
      const [l] = late as [LoopLate];
      expect(l.lateMs).toBeGreaterThanOrEqual(3000 - 60);
      expect(l.wallMs).toBeGreaterThanOrEqual(l.lateMs);
      // 3 s of wall time in which this process used at most a few real ms: not running.
      expect(l.processCpuMs).toBeLessThan(l.wallMs / 2);
      expect(l.cpu).toBe('off-cpu');
      // 60 steps due at once, 5 run per world (maxCatchUpSteps), the rest dropped and counted.
      expect(l.droppedSteps).toBe(a.counters.droppedSteps + b.counters.droppedSteps - dropped0);
      expect(l.droppedSteps).toBeGreaterThanOrEqual(2 * (Math.floor((3000 - 60) / 50) - 5));
    } finally {
      r.stop();
    }
  });

  it('without onLate the runner reads no CPU: cpuMsSinceTick is null', async () => {
    const r = new LoopRunner();
    r.add(world('c'));
    r.start();
    await sleep(120);
    r.stop();
    expect(r.cpuMsSinceTick()).toBeNull();
  });

  it('busy, contended or off-cpu: at least half a core over the wall time is busy, under a tenth off-cpu', () => {
    expect(cpuVerdict(2000, 2000)).toBe('busy');
    expect(cpuVerdict(1000, 2000)).toBe('busy');
    expect(cpuVerdict(999, 2000)).toBe('contended');
    expect(cpuVerdict(200, 2000)).toBe('contended');
    expect(cpuVerdict(199, 2000)).toBe('off-cpu');
    expect(cpuVerdict(3, 2000)).toBe('off-cpu');
    expect(cpuVerdict(2600, 2000)).toBe('busy'); // worker threads' CPU counts too
  });

  it('the late line: the figures, at most one per interval, counting the suppressed; an error only when the process was busy', () => {
    const { logger, lines } = jsonLogSink('info');
    let now = 0;
    const log = createLoopLateLog(logger, 10_000, () => now);
    const l = { lateMs: 2006.44, wallMs: 2055.31, processCpuMs: 9.04, cpu: 'off-cpu', droppedSteps: 36 } as const;
    log(l);
    now = 5000;
    log(l);
    log(l);
    now = 10_001;
    log({ ...l, cpu: 'busy', processCpuMs: 2050 });
    const got = lines.filter((x) => x.msg === 'loop timer fired late');
    expect(got).toHaveLength(2);
    // The host did not let it run: warn. Its own work held the loop: error.
    expect(got[0]).toMatchObject({
      level: 40,
      lateMs: 2006.4,
      wallMs: 2055.3,
      processCpuMs: 9,
      cpu: 'off-cpu',
      droppedSteps: 36,
      suppressed: 0,
    });
    expect(got[1]).toMatchObject({ level: 50, cpu: 'busy', processCpuMs: 2050, suppressed: 2 });
    expect(LOOP_LATE_MS).toBe(1000);
  });

  it('a stall in the warm-up is logged at warn (warmup: true); a mere overrun in it is not', () => {
    const { logger, lines } = jsonLogSink('info');
    const tel = createTelemetry({ stepLog: createStepLog(logger, { now: () => 0 }) });
    const w = createSimWorld({ id: 'new', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    for (const ms of [1800, 90]) {
      w.stats.totalMs = ms; // a new big world's first step (its tier grid built in one go), then a cold one
      w.clock.step++;
      tel.onStep(w);
    }
    expect(lines.filter((x) => x.msg === 'step blocked the event loop').map((x) => [x.world, x.stepMs, x.warmup])).toEqual([
      ['new', 1800, true],
    ]);
    expect(lines.filter((x) => x.msg === 'step over frame budget')).toEqual([]);
  });

  it("a stalled step's line says whether the process ran in it (CPU since the tick began)", () => {
    const { logger, lines } = jsonLogSink('info');
    let cpu: number | null = 12;
    const tel = createTelemetry({ stepLog: createStepLog(logger, { warmupSteps: 0, now: () => 0, cpuSinceTick: () => cpu }) });
    const w = createSimWorld({ id: 's', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    w.stats.totalMs = 2500;
    w.clock.step++;
    tel.onStep(w);
    const other = createSimWorld({ id: 't', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    cpu = 2400;
    other.stats.totalMs = 2500;
    other.clock.step++;
    tel.onStep(other);
    cpu = null; // a runner that reads no CPU: no fields
    const third = createSimWorld({ id: 'u', capacity: 10, config: { controller: { frameBudgetMs: 5 } } });
    third.stats.totalMs = 1500;
    third.clock.step++;
    tel.onStep(third);
    const stalls = lines.filter((x) => x.msg === 'step blocked the event loop');
    expect(stalls.map((x) => [x.level, x.world, x.processCpuMs, x.cpu])).toEqual([
      [50, 's', 12, 'off-cpu'],
      [50, 't', 2400, 'busy'],
      [50, 'u', undefined, undefined],
    ]);
  });
});
