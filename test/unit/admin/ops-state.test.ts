/**
 * Maintenance effects on a real world (jobs held, periodic tasks held, heartbeat kept), per-task
 * slow-down of declared adaptive tasks, and periodic tasks declared in the config file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpsState } from '../../../src/admin/ops-state.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { EventBus } from '../../../src/periodic/event-bus.js';
import { declareTask } from '../../../src/periodic/declared-tasks.js';
import { PeriodicScheduler } from '../../../src/periodic/scheduler.js';
import type { WorldTopics } from '../../../src/periodic/world-periodic.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

describe('maintenance on a world', () => {
  it('holds job starts and non-critical periodic tasks; running work and the heartbeat continue; release resumes', () => {
    const w = createSimWorld({ id: 'm', capacity: 64, config: { simulation: { maxJobOpsPerStep: 5 }, controller: { enabled: false } } });
    w.jobs.register('gen', { handler: () => new Promise(() => {}) });
    for (let i = 0; i < 3; i++) w.jobs.submit('gen', i, { user: `u${i}` });
    const ops = new OpsState();
    expect(ops.setWorld(w, true, 'test')).toBe(true);
    expect(ops.setWorld(w, true, 'again')).toBe(false); // no change, not counted
    runStep(w);
    expect(w.jobs.stats()).toMatchObject({ started: 0, pending: 3, held: true });
    expect(w.periodic.maintenance).toBe(true);
    ops.setWorld(w, false, '');
    runStep(w);
    expect(w.jobs.stats()).toMatchObject({ started: 3, pending: 0, held: false });
    expect(ops.changes.maintenance).toBe(2);
  });
});

describe('declared tasks', () => {
  it('an adaptive declared task runs every slowFactor-th target while degraded; each run publishes `signal`', () => {
    let wall = 0;
    let mode: 'normal' | 'degraded' = 'degraded';
    const bus = new EventBus<WorldTopics>();
    const periodic = new PeriodicScheduler({
      bus: bus as never,
      worldNow: () => 0,
      wallNowMs: () => wall,
      mode: () => mode,
      heartbeatSeconds: 0,
    });
    declareTask({ periodic, bus }, { name: 'slow3', intervalSeconds: 1, clock: 'wall', adaptive: true, slowFactor: 3 });
    for (let i = 0; i < 9; i++) {
      wall += 1000;
      periodic.tick();
    }
    expect(periodic.status()[0]).toMatchObject({ name: 'slow3', runs: 3, skipped: 6, slowFactor: 3, declared: true });
    mode = 'normal';
    wall += 1000;
    periodic.tick();
    expect(bus.history('signal').map((e) => e.payload.seq)).toEqual([1, 2, 3, 4]);
  });

  it('the config file declares tasks for the default world; a bad one is refused naming its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-periodic-'));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        periodic: [
          { name: 'backup', intervalSeconds: 300, clock: 'wall', critical: true },
          { name: 'market', intervalSeconds: 86400 },
        ],
      }),
    );
    const rt = createRuntime(parseOptions(['--config', good, '--npcs', '10'], {}), createLogger('silent'));
    expect(
      rt.defaultWorld.periodic
        .status()
        .filter((t) => t.declared)
        .map((t) => [t.name, t.clock, t.critical]),
    ).toEqual([
      ['backup', 'wall', true],
      ['market', 'world', false],
    ]);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        periodic: [
          { name: 'a', intervalSeconds: -1 },
          { name: 'a', intervalSeconds: 1, when: 'now' },
        ],
      }),
    );
    expect(() => parseOptions(['--config', bad], {})).toThrow(
      /config file: periodic\[0\]\.intervalSeconds must be a number > 0 <= 1000000000 \(got number -1\).*config file: periodic\[1\]\.when is not a known option/,
    );
  });
});
