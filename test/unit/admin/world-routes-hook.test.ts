import { describe, expect, it } from 'vitest';
import { worldRoutes } from '../../../src/admin/routes-worlds.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';

describe('world routes: onWorldDeleted', () => {
  it('runs after a DELETE removed the world (a throwing hook is logged, the delete still succeeds, not durable)', async () => {
    const runner = new LoopRunner({});
    runner.add(createSimWorld({ id: 'a', capacity: 16 }));
    runner.add(createSimWorld({ id: 'b', capacity: 16 }));
    const seen: Array<[string, boolean]> = [];
    const routes = worldRoutes({
      runner,
      telemetry: createTelemetry({}),
      logger: createLogger('silent'),
      onWorldDeleted: (w: SimWorld) => {
        seen.push([w.id, runner.has(w.id)]);
        if (w.id === 'b') throw new Error('hook failed');
        return true; // the world's stored record is gone
      },
    });
    const del = routes.find((r) => r.method === 'DELETE')!;
    const req = (id: string) => ({
      method: 'DELETE',
      path: `/api/v1/worlds/${id}`,
      query: new URLSearchParams(),
      params: { id },
      body: undefined,
    });
    expect((await del.handler(req('a'))).json).toEqual({ deleted: 'a', durable: true });
    expect((await del.handler(req('b'))).json).toEqual({ deleted: 'b', durable: false });
    expect(seen).toEqual([
      ['a', false],
      ['b', false],
    ]);
  });
});
