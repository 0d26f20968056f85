/**
 * Error codes that used to be exported but never used (src/errors.ts): `WT_ERR_WORLD_FAULTED` is the
 * answer to a forced step of a faulted world (and of a step that faults it), 409 through the admin
 * API; `WT_ERR_JOB_REJECTED` is what a submit to a closed job queue (world destroyed) throws.
 */
import { describe, expect, it } from 'vitest';
import { worldRoutes } from '../../../src/admin/routes-worlds.js';
import { statusOf } from '../../../src/admin/http-errors.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { ErrorCode, isWorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createSimWorld, destroySimWorld } from '../../../src/world/sim-world.js';

const errorOf = async (fn: () => unknown): Promise<unknown> => {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('WT_ERR_WORLD_FAULTED', () => {
  it('a step that faults the world answers 409 with the fault; a faulted world is refused until resumed', async () => {
    let boom = true;
    const w = createSimWorld({
      id: 'f',
      capacity: 16,
      systems: [
        {
          name: 'exploding',
          phase: 'behavior',
          run: () => {
            if (boom) throw new Error('kaboom');
          },
        },
      ],
    });
    const runner = new LoopRunner({});
    runner.add(w);
    const routes = worldRoutes({ runner, telemetry: createTelemetry({}), logger: createLogger('silent') });
    const route = (method: string, suffix: string) => routes.find((r) => r.method === method && r.pattern.endsWith(suffix))!;
    const req = (path: string) => ({ method: 'POST', path, query: new URLSearchParams(), params: { id: 'f' }, body: undefined });
    await route('POST', '/scheduler/pause').handler(req('/api/v1/worlds/f/scheduler/pause'));

    const first = await errorOf(() => route('POST', '/scheduler/step').handler(req('/api/v1/worlds/f/scheduler/step')));
    expect(isWorldtickError(first) && first.code).toBe(ErrorCode.WORLD_FAULTED);
    expect(statusOf(first)).toBe(409);
    expect((first as Error).message).toMatch(/system exploding at step 0: .*kaboom.*resume clears the fault/);
    expect(w.fault).toMatchObject({ system: 'exploding', step: 0 });

    // Refused before stepping while faulted (nothing re-run).
    boom = false;
    const again = await errorOf(() => route('POST', '/scheduler/step').handler(req('/api/v1/worlds/f/scheduler/step')));
    expect(isWorldtickError(again) && again.code).toBe(ErrorCode.WORLD_FAULTED);
    expect(w.clock.step).toBe(0);

    // Resume clears it; paused again, the step runs.
    await route('POST', '/scheduler/resume').handler(req('/api/v1/worlds/f/scheduler/resume'));
    await route('POST', '/scheduler/pause').handler(req('/api/v1/worlds/f/scheduler/pause'));
    const ok = await route('POST', '/scheduler/step').handler(req('/api/v1/worlds/f/scheduler/step'));
    expect(ok.json).toMatchObject({ stepsRun: 1 });
    destroySimWorld(w);
  });
});

describe('WT_ERR_JOB_REJECTED', () => {
  it('a submit to the queue of a destroyed world throws, counted; nothing is queued', () => {
    const w = createSimWorld({ id: 'j', capacity: 16 });
    w.jobs.register('gen', { handler: async () => 1 });
    w.jobs.submit('gen', 0);
    destroySimWorld(w);
    const err = (() => {
      try {
        w.jobs.submit('gen', 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isWorldtickError(err) && err.code).toBe(ErrorCode.JOB_REJECTED);
    expect(w.jobs.stats()).toMatchObject({ pending: 0, rejected: 1 });
  });
});
