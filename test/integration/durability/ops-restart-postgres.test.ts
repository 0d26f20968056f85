/**
 * Operator state survives a restart on the shared store too: a real runtime on a real PostgreSQL
 * (a fresh database on the run's shared server; skipped with a message only where it cannot be had) is stopped
 * and a new runtime on the same database has the world's maintenance, its override and its
 * declared task back, and the runtime-wide flag (docs/ADMIN.md, "Durable").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { call, TOKEN } from '../admin/harness.js';

const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[ops restart postgres] skipped: ${pg.skip}`);
afterAll(async () => {
  if (!('skip' in pg)) await pg.destroy();
});

const start = async (url: string): Promise<{ rt: Runtime; base: string }> => {
  const options = parseOptions(
    ['--npcs', '100', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN, '--store', url],
    {},
  );
  const rt = createRuntime(options, createLogger('silent'));
  await rt.start();
  return { rt, base: `http://127.0.0.1:${rt.admin.port}` };
};

describe.skipIf('skip' in pg)('operator state survives a restart (PostgreSQL store)', () => {
  it('maintenance, override, declared task and the runtime flag come back', async () => {
    const url = (pg as { url: string }).url;
    const a = await start(url);
    try {
      expect((await call(a.base, 'PUT', '/api/v1/worlds/1/maintenance', { body: { on: true, reason: 'pg' } })).json.durable).toBe(true);
      const o = await call(a.base, 'PUT', '/api/v1/worlds/1/controller/override', { body: { mode: 'emergency', seconds: 900 } });
      expect(o.json.durable).toBe(true);
      const t = await call(a.base, 'POST', '/api/v1/worlds/1/periodic', { body: { name: 'pg.task', intervalSeconds: 10 } });
      expect(t.json.durable).toBe(true);
      expect((await call(a.base, 'PUT', '/api/v1/maintenance', { body: { on: true, reason: 'all' } })).json.durable).toBe(true);
    } finally {
      await a.rt.stop();
    }
    const b = await start(url);
    try {
      // Applied before the loop and the game server started.
      expect(b.rt.admin.ops.isOn('1')).toBe(true);
      const m = (await call(b.base, 'GET', '/api/v1/worlds/1/maintenance')).json;
      expect(m).toMatchObject({ on: true, world: { on: true, reason: 'pg' }, runtime: { on: true, reason: 'all' } });
      const o = (await call(b.base, 'GET', '/api/v1/worlds/1/controller/override')).json;
      expect(o.override).toMatchObject({ mode: 'emergency' });
      expect(o.override.remainingSeconds).toBeGreaterThan(800);
      const tasks = (await call(b.base, 'GET', '/api/v1/worlds/1/periodic')).json.tasks as Array<{ name: string }>;
      expect(tasks.map((x) => x.name)).toContain('pg.task');
    } finally {
      await b.rt.stop();
    }
  }, 60_000);
});
